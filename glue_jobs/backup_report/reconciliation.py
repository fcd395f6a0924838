"""The ``reconciliation`` table after the lanes: its rows, what still differs, and the run's summary of it.

One object per report day, job type and region (``layout.reconciliation_object_path``); a rerun
replaces that day's object of the same job type and region. ``reported`` is what the report
holds after the run: the counts a slice written by the run kept, else its manifest's (``reconcile``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import boto3

from . import catalog
from .arguments import Settings
from .errors import BucketError, CatalogError
from .layout import day_path, is_lane_object, list_objects, reconciliation_object_path
from .manifest import Counts
from .reconcile import MAX_DIFFERENCES, Check, Key, Slice, differing
from .schema import JOB_TABLES_BY_TYPE, RECONCILIATION
from .shape import typed_frame
from .slices import SliceResult
from .write import delete_objects, write_csv

log = logging.getLogger("backup_report")


@dataclass
class Outcome:
    """The run's reconciliation: for ``Backup Report Run Finished`` and the summary line."""

    days_checked: int = 0
    slices_differing: int = 0
    differences: List[Dict] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    #: Slices this run rewrote to reconcile them.
    rewritten: int = 0
    paths: List[str] = field(default_factory=list)

    def detail(self) -> Dict:
        """The event's ``reconciliation``."""
        return {"days_checked": self.days_checked, "slices_differing": self.slices_differing,
                "differences": self.differences[:MAX_DIFFERENCES], "errors": list(self.errors),
                "slices_rewritten": self.rewritten}

    def text(self) -> str:
        """The summary line's part."""
        errors = f", {len(self.errors)} error(s)" if self.errors else ""
        return (f"reconciliation: {self.days_checked} day(s) checked, {self.rewritten} slice(s) rewritten, "
                f"{self.slices_differing} differing{errors}")


def _reported(found: Slice, result: Optional[SliceResult]) -> Tuple[Optional[Counts], set]:
    """The report's counts of a slice after the run, and the states whose count is unknown."""
    if result is not None and result.written:
        return dict(result.account_counts), set()
    if found.in_window:  # its rewrite failed: its earlier rows, not read again
        return None, set()
    if not found.held:
        return {}, set()
    if found.before is None:
        return None, set()
    return dict(found.before.counts), set(found.before.unknown_states)


def _rows(key: Key, found: Slice, result: Optional[SliceResult]) -> Tuple[List[Dict], List[Tuple[str, str]]]:
    """The slice's rows, and the (account, state) keys that still differ (comparable slices only)."""
    day, job_type, region = key
    table = JOB_TABLES_BY_TYPE[job_type]
    reported, unknown = _reported(found, result)
    keys = set(found.aws_backup) | set(reported or {})
    if reported is None:  # unknown per account; equal by report_runs' totals, or a difference
        differs = set() if found.equal_by_totals else set(keys)
    else:
        differs = differing(table, reported, found.aws_backup) | {k for k in keys if k[1] in unknown}
    rewritten = result is not None and result.written and result.reason == "reconciling"
    rows = []
    for account, state in sorted(keys):
        ours = None if reported is None or state in unknown else reported.get((account, state), 0)
        theirs = found.aws_backup.get((account, state), 0)
        if not found.comparable:
            action = "not_comparable"
        elif not found.held or (account, state) in differs:
            action = "recorded"  # what still differs after the run, rewritten or not
        elif rewritten:
            action = "rewritten"
        else:
            action = "equal"
        rows.append({"job_type": job_type, "region": region, "account_id": account, "state": state,
                     "reported": ours, "aws_backup": theirs, "difference": None if ours is None else ours - theirs,
                     "summary_start": found.period[0], "summary_end": found.period[1], "action": action,
                     "report_date": day})
    still = sorted(differs) if found.comparable and found.held else []
    return rows, still


def _write(session: boto3.Session, settings: Settings, check: Check, rows: Dict[Key, List[Dict]]) -> List[str]:
    """One object per slice with rows; the older objects of every slice compared are deleted."""
    paths: List[str] = []
    days = sorted({key[0] for key in check.slices})
    for day in days:
        older = list_objects(session, day_path(settings.bucket, settings.prefix, RECONCILIATION, day))
        written = set()
        for key in sorted(k for k in check.slices if k[0] == day):
            _, job_type, region = key
            if rows.get(key):
                path = reconciliation_object_path(settings.bucket, settings.prefix, day, job_type, region,
                                                  settings.run_id)
                values = {c.name: [r.get(c.name) for r in rows[key]] for c in RECONCILIATION.columns}
                values.update(run_id=[settings.run_id] * len(rows[key]),
                              checked_at=[check.checked_at] * len(rows[key]))
                write_csv(typed_frame(RECONCILIATION.columns, values), RECONCILIATION, path, session)
                written.add(path)
                paths.append(path)
            delete_objects(session, [p for p in older if is_lane_object(p, job_type, region) and p not in written])
    catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, RECONCILIATION, days)
    return paths


def finish(session: boto3.Session, settings: Settings, check: Check, results: Sequence[SliceResult]) -> Outcome:
    """Write ``reconciliation`` for the slices compared, after the lanes wrote theirs; WARNING per
    slice that still differs. Never raises: a failed write is one of ``Outcome.errors``."""
    out = Outcome(errors=list(check.errors))
    by_key = {(r.day, r.job_type, r.region): r for r in results}
    rows: Dict[Key, List[Dict]] = {}
    checked = set()
    for key, found in sorted(check.slices.items()):
        result = by_key.get(key)
        rows[key], still = _rows(key, found, result)
        if found.comparable:
            checked.add(key[0])
        if result is not None and result.written and result.reason == "reconciling":
            out.rewritten += 1
        if still and (result is None or result.written):  # a slice that failed is an ERROR already
            out.slices_differing += 1
            shown = "; ".join(f"account {a} {s}: reported {r['reported']}, AWS Backup {r['aws_backup']}"
                              for a, s in still[:5] for r in rows[key] if (r["account_id"], r["state"]) == (a, s))
            log.warning("reconciliation: %s jobs %s %s differ from AWS Backup's counts: %s%s", key[1], key[2],
                        key[0], shown, "; ..." if len(still) > 5 else "")
            for r in rows[key]:
                if (r["account_id"], r["state"]) in still and len(out.differences) < MAX_DIFFERENCES:
                    out.differences.append({
                        "job_type": key[1], "region": key[2], "report_date": key[0].isoformat(),
                        "account_id": r["account_id"], "state": r["state"], "reported": r["reported"],
                        "aws_backup": r["aws_backup"]})
    out.days_checked = len(checked)
    try:
        out.paths = _write(session, settings, check, rows)
    except (BucketError, CatalogError) as error:
        out.errors.append(f"writing reconciliation: {error}")
        log.warning("reconciliation: %s", out.errors[-1])
    if check.slices or check.errors:
        log.info("%s; %d summaries call(s); %d manifest(s) read, %d bytes", out.text(), check.calls,
                 check.objects_read, check.bytes_read)
    return out

