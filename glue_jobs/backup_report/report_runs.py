"""``report_runs``: one row per run x report day x job type x region, written every run."""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional, Sequence

import boto3

from .columns import LATER_RUN_STATUSES, RUN_STATUSES
from .layout import report_runs_object_path
from .schema import REPORT_RUNS
from .shape import typed_frame
from .slices import SliceResult
from .write import write_csv


def report_runs_rows(run_id: str, started_at: dt.datetime, results: Sequence[SliceResult]) -> Dict[str, List]:
    """Column values of ``report_runs`` for ``results``: counts for a written slice, null
    otherwise; ``error`` its cause (a skipped slice's as ``not attempted after: <cause>``)."""
    values: Dict[str, List] = {c.name: [] for c in REPORT_RUNS.columns}
    for r in results:
        values["run_id"].append(run_id)
        values["run_started_at"].append(started_at)
        values["job_type"].append(r.job_type)
        values["region"].append(r.region)
        values["succeeded"].append(r.written)
        values["error"].append(r.error)
        values["job_count"].append(sum(r.counts.values()) if r.written else None)
        for status in RUN_STATUSES:
            values[status].append(r.counts.get(status.upper(), 0) if r.written else None)
        values["reason"].append(r.reason)
        for status in LATER_RUN_STATUSES:
            values[status].append(r.counts.get(status.upper(), 0) if r.written else None)
        values["validating"].append(r.validating if r.written else None)
    return values


def write_report_runs(session: boto3.Session, bucket: str, prefix: str, run_id: str,
                 started_at: dt.datetime, results: Sequence[SliceResult]) -> List[str]:
    """Append this run's rows: one object per report day, named after the run."""
    paths: List[str] = []
    for day in sorted({r.day for r in results}):
        of_day = [r for r in results if r.day == day]
        frame = typed_frame(REPORT_RUNS.columns, report_runs_rows(run_id, started_at, of_day))
        path = report_runs_object_path(bucket, prefix, day, run_id)
        write_csv(frame, REPORT_RUNS, path, session)
        paths.append(path)
    return paths


def summarize_failures(results: Sequence[SliceResult]) -> Optional[str]:
    """One line per failed job type x region with its days and cause, or None when all succeeded."""
    failed: Dict[tuple, List[dt.date]] = {}
    for r in results:
        if not r.written:
            failed.setdefault((r.job_type, r.region, r.error), []).append(r.day)
    if not failed:
        return None
    lines = []
    for (job_type, region, error), days in sorted(failed.items()):
        span = f"{min(days)}..{max(days)}" if len(days) > 1 else str(days[0])
        lines.append(f"region {region}, {job_type} jobs, {len(days)} day(s) {span}: {error}")
    return "\n".join(lines)
