"""Proven complete: the report against AWS Backup's daily counts, the slices to rewrite for it, and ``reconciliation``.

``check`` (before the lanes): AWS Backup's counts (``summaries``) of the run's job types and
regions, and what the report holds of each day outside the window, from each slice's manifest
checked against a listing of its objects (``manifest``): no row is read again. A slice the
report holds that differs is rewritten (reason ``reconciling``) when AWS's counts changed since
its manifest was written, or its objects are not the ones the manifest names; a lasting
difference (states the listing never shows, parent and child jobs counted otherwise, a refresh
that lags) thus costs one rewrite, not one a day. ``finish`` (after the lanes): the rows of
``reconciliation``, what still differs, and the run's ``reconciliation`` summary. A failing or
denied summaries call is a WARNING and an ``errors`` entry: it never fails the run.
"""
from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import boto3

from . import aws, manifest, summaries
from .arguments import Settings
from .aws import AWS_ERRORS, botocore_config
from .layout import day_path, list_objects
from .listing import day_bounds
from .manifest import Counts, Held, Manifest
from .schema import JOB_TABLES_BY_TYPE, Table
from .settle import Ledger

log = logging.getLogger("backup_report")

#: AWS's ONE_DAY counts cover the 14 days before their refresh: older rows are left out.
SUMMARY_DAYS = 14
#: Whole days before the clock's day compared even when AWS returned no row for them (0 jobs):
#: one fewer than AWS's 14, so that a refresh time AWS does not document cannot make its oldest
#: day look empty.
COMPARED_DAYS = 13
#: Job types whose counts may cover fewer days (AWS says so of scans): only the days returned.
RETURNED_DAYS_ONLY = frozenset({"scan"})
#: A period that ended less recently than this before the run's clock is still changing.
SETTLED_AFTER = dt.timedelta(hours=24)
#: Differences the run's event lists at most.
MAX_DIFFERENCES = 50
#: Summaries requests (a job type in a region, page after page) at once.
AT_ONCE = 8

#: A slice: (report day, job type, region).
Key = Tuple[dt.date, str, str]


def differing(table: Table, reported: Counts, aws_backup: Counts) -> Set[Tuple[str, str]]:
    """The (account, state) keys whose counts differ. A state the listing never returns
    (``Table.summary_only_states``) is compared only inside its account's total, and so is every
    state of an account that AWS counts in one of them (the listing shows those jobs otherwise)."""
    out: Set[Tuple[str, str]] = set()
    for account in {a for a, _ in reported} | {a for a, _ in aws_backup}:
        ours = {s: n for (a, s), n in reported.items() if a == account}
        theirs = {s: n for (a, s), n in aws_backup.items() if a == account}
        totals_differ = sum(ours.values()) != sum(theirs.values())
        loose = any(theirs.get(s) for s in table.summary_only_states)
        for state in set(ours) | set(theirs):
            if state in table.summary_only_states or loose:
                if totals_differ:
                    out.add((account, state))
            elif ours.get(state, 0) != theirs.get(state, 0):
                out.add((account, state))
    return out


@dataclass
class Slice:
    """One (day, job type, region) compared: AWS's counts, and what the report held before the run."""

    aws_backup: Counts
    period: Tuple[dt.datetime, dt.datetime]
    comparable: bool
    held: bool
    in_window: bool
    #: Outside the window: the report's rows per its manifest (None: no manifest).
    before: Optional[Held] = None
    rewrite: bool = False
    #: Written before manifests existed: its report_runs counts per state equal AWS's totals.
    equal_by_totals: bool = False


@dataclass
class Check:
    """What ``check`` found: the slices compared, the calls' errors, and their cost."""

    checked_at: dt.datetime
    slices: Dict[Key, Slice] = field(default_factory=dict)
    errors: List[str] = field(default_factory=list)
    calls: int = 0
    objects_read: int = 0
    bytes_read: int = 0

    def aws_backup(self, key: Key) -> Optional[Counts]:
        """AWS's counts of a slice, when this run read them (for its manifest)."""
        found = self.slices.get(key)
        return None if found is None else dict(found.aws_backup)

    def rewrites(self) -> Dict[Tuple[str, str], List[dt.date]]:
        """Per lane (job type, region), the days to rewrite for reconciling."""
        out: Dict[Tuple[str, str], List[dt.date]] = {}
        for (day, job_type, region), found in sorted(self.slices.items()):
            if found.rewrite:
                out.setdefault((job_type, region), []).append(day)
        return out


def _fetch_all(management: boto3.Session, tables: Sequence[Table], regions: Sequence[str]
               ) -> List[Tuple[Table, str, Any]]:
    # clients made here: a boto3 session is not thread-safe, its clients are
    clients = {r: management.client("backup", region_name=r, config=botocore_config()) for r in regions}

    def one(job: Tuple[Table, str]) -> Any:
        table, region = job
        try:
            return summaries.fetch(clients[region], table)
        except AWS_ERRORS as error:
            return error

    jobs = [(t, r) for t in tables for r in regions]
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        return [(t, r, found) for (t, r), found in zip(jobs, pool.map(one, jobs))]


def _days(job_type: str, returned: Sequence[dt.date], today: dt.date) -> Set[dt.date]:
    days = {d for d in returned if today - dt.timedelta(days=SUMMARY_DAYS) <= d <= today}
    if job_type not in RETURNED_DAYS_ONLY:
        days |= {today - dt.timedelta(days=n) for n in range(1, COMPARED_DAYS + 1)}
    return days


def check(management: boto3.Session, session: boto3.Session, settings: Settings, regions: Sequence[str],
          ledger: Ledger) -> Check:
    """Read AWS's counts and what the report holds; decide the slices to rewrite. Never raises
    for a summaries call (its error is in ``Check.errors``)."""
    clock = settings.run_started_at
    out = Check(checked_at=clock)
    window = set(settings.days)
    for table, region, found in _fetch_all(management, settings.job_tables, regions):
        if not isinstance(found, summaries.DailyCounts):
            out.errors.append(f"{table.job_type} {region}: {aws.cause(found)}")
            log.warning("reconciliation: AWS Backup's counts of %s jobs in %s could not be read (the report is "
                        "not compared, nor touched): %s", table.job_type, region, aws.cause(found))
            continue
        out.calls += found.calls
        for day in _days(table.job_type, list(found.counts), clock.date()):
            period = found.periods.get(day) or day_bounds(day)
            key = (day, table.job_type, region)
            counts = {k: n for k, n in found.counts.get(day, {}).items() if n}
            out.slices[key] = Slice(counts, period, period[1] <= clock - SETTLED_AFTER,
                                    day in window or ledger.held(key), day in window)
    _read_held(session, settings, ledger, out)
    return out


def _read_held(session: boto3.Session, settings: Settings, ledger: Ledger, out: Check) -> None:
    """What the report holds of the slices outside the window, and whether to rewrite them."""
    wanted = [k for k, s in out.slices.items() if s.held and not s.in_window]
    groups = sorted({(day, job_type) for day, job_type, _ in wanted})

    def one_day(group: Tuple[dt.date, str]) -> Dict[Key, Tuple[Optional[Manifest], List[str]]]:
        day, job_type = group
        table = JOB_TABLES_BY_TYPE[job_type]
        listed = list_objects(session, day_path(settings.bucket, settings.prefix, table, day))
        found = {}
        for key in (k for k in wanted if k[:2] == group):
            found[key] = (manifest.read_manifest(session, settings.bucket, settings.prefix, table, day, key[2]),
                          manifest.region_objects(listed, settings.bucket, settings.prefix, table, day, key[2]))
        return found

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        read = [pool.submit(one_day, g) for g in groups]
    for future in read:
        try:
            found = future.result()
        except Exception as error:  # the report stays as it is; the run goes on
            out.errors.append(f"reading the report's manifests: {aws.cause(error)}")
            log.warning("reconciliation: %s", out.errors[-1])
            continue
        for key, (kept, objects) in found.items():
            _decide(out.slices[key], JOB_TABLES_BY_TYPE[key[1]], kept, objects, ledger, key)
            out.objects_read += kept is not None
            out.bytes_read += len(kept.to_json()) if kept is not None else 0


def _totals_equal(table: Table, counts: Dict[str, Optional[int]], aws_backup: Counts) -> bool:
    """Whether a slice's ``report_runs`` counts per state equal AWS's summed over accounts (states the
    listing never shows: the totals only)."""
    theirs: Dict[str, int] = {}
    for (_, state), n in aws_backup.items():
        theirs[state] = theirs.get(state, 0) + n
    if sum(theirs.values()) != (counts.get("job_count") or 0):
        return False
    if any(theirs.get(state) for state in table.summary_only_states):
        return True
    return all((counts.get(state.lower()) or 0) == n for state, n in theirs.items())


def _decide(found: Slice, table: Table, kept: Optional[Manifest], objects: List[str], ledger: Ledger,
            key: Key) -> None:
    if kept is None:  # never written since manifests exist, or only failed: report_runs' totals
        counted = ledger.counted.get(key)
        if counted is not None and counted.counts.get("job_count") == 0 and not found.aws_backup:
            found.before = Held({}, True)
            return
        found.equal_by_totals = counted is not None and _totals_equal(table, counted.counts, found.aws_backup)
        found.rewrite = found.comparable and not found.equal_by_totals
        return
    found.before = manifest.held(kept, objects)
    differs = not found.before.intact or bool(differing(table, found.before.counts, found.aws_backup))
    changed = not found.before.intact or kept.aws_backup != found.aws_backup
    found.rewrite = found.comparable and differs and changed
