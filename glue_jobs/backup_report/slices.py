"""One slice: a job type x region x report day, fetched, shaped, written and registered as a unit."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

import boto3

from . import aws, carry, catalog, listing, manifest, scan_listing
from .arguments import Settings
from .attention import Item
from .aws import AWS_ERRORS
from .errors import BackupReportError, BucketError
from .runlog import SLICE_FAILED, SLICE_SKIPPED, SLICE_WRITTEN, log
from .schema import Table
from .shape import shape_jobs
from .write import SliceWriter

#: Jobs shaped and written at a time: memory stays bounded whatever a day's volume (why
#: this many: docs/performance.md).
CHUNK_ROWS = 10_000
#: How ``report_runs.error`` records a slice skipped after an earlier day of its lane failed.
NOT_ATTEMPTED = "not attempted after: "


@dataclass
class SliceResult:
    """What happened to one slice: written; failed (``cause``); or skipped, not attempted
    because an earlier day of its lane failed (``skipped_after``, with that day's ``cause``)."""

    job_type: str
    region: str
    day: dt.date
    #: Why the slice was not written; for a skipped slice, why the day it was skipped after failed.
    cause: str = ""
    counts: Dict[str, int] = field(default_factory=dict)
    #: The slice's jobs that need attention (``attention.pick``), for ``notify.announce``.
    attention: List[Item] = field(default_factory=list)
    #: The day of the same lane whose failure this slice was not attempted after.
    skipped_after: Optional[dt.date] = None
    #: Why the run wrote (or tried to write) the slice (``report_runs.reason``): ``window``,
    #: ``settling``, ``reconciling`` (``Planned``), or ``expired`` (``settle``, never written).
    reason: str = "window"
    #: Restore jobs written ``COMPLETED`` whose validation is ``VALIDATING`` (``report_runs.validating``).
    validating: int = 0
    #: Jobs written per (account id, status): what ``reconcile`` compares with AWS Backup's counts.
    account_counts: Dict[Tuple[str, str], int] = field(default_factory=dict)
    #: Jobs a settling or reconciling rewrite kept although the listing no longer returned them.
    carried: int = 0

    @classmethod
    def skip(cls, failed: "SliceResult", day: dt.date, reason: Optional[str] = None) -> "SliceResult":
        """``day`` of ``failed``'s lane, not attempted after ``failed`` (written for ``reason``)."""
        return cls(failed.job_type, failed.region, day, cause=failed.cause, skipped_after=failed.day,
                   reason=reason or failed.reason)

    @property
    def skipped(self) -> bool:
        return self.skipped_after is not None

    @property
    def failed(self) -> bool:
        """Attempted, and failed: its earlier rows are kept."""
        return bool(self.cause) and not self.skipped

    @property
    def written(self) -> bool:
        """Its rows replaced by this run's."""
        return not self.cause and not self.skipped

    @property
    def succeeded(self) -> bool:
        """``report_runs.succeeded``: the slice was written."""
        return self.written

    @property
    def error(self) -> str:
        """``report_runs.error``: the cause; after ``NOT_ATTEMPTED`` for a skipped slice."""
        return NOT_ATTEMPTED + self.cause if self.skipped else self.cause


class Planned(NamedTuple):
    """A slice a lane is to write: its day, why (``SliceResult.reason``), and AWS Backup's
    counts of it when the run read them (``reconcile``; kept in its manifest)."""

    day: dt.date
    reason: str = "window"
    aws_backup: Optional[Dict[Tuple[str, str], int]] = None


def _count_accounts(frame, counts: Dict[Tuple[str, str], int]) -> None:
    if len(frame):
        for (account, status), n in frame.groupby(["account_id", "status"], dropna=False).size().items():
            key = ("" if account != account or account is None else str(account), str(status))
            counts[key] = counts.get(key, 0) + int(n)


def _listed(client, table: Table, day: dt.date) -> Iterator[List[dict]]:
    """The pages of one day: listed by creation date, or (scan jobs) the scan listing of that day alone."""
    if table.job_type == scan_listing.JOB_TYPE:
        yield from scan_listing.in_pages(scan_listing.list_scan_jobs(client, [day])[day])
    else:
        yield from listing.list_jobs(client, table, day)


def run_slice(client, session: boto3.Session, settings: Settings, table: Table, region: str,
              day: dt.date, names: Mapping[str, str],
              registry: Optional[catalog.PartitionRegistry] = None, reason: str = "window",
              aws_backup: Optional[Dict[Tuple[str, str], int]] = None,
              pages: Optional[Iterable[List[dict]]] = None) -> SliceResult:
    """Fetch one job type x region x day and replace its rows; on failure keep the old rows.
    ``pages``: the day's jobs when they were listed already (a scan lane lists its days at once);
    else the slice lists its day.

    Order, so that a run killed at any moment hides no job: write the new objects (outside the
    window, with the jobs of the older ones the listing no longer returns: ``carry``), register
    their partitions (``registry``, shared by the run's slices), write the slice's manifest, then
    delete the older objects. A failed listing, upload or manifest deletes the slice's new
    objects; a failed registration too, deleting nothing older; a failed deletion of the older
    objects keeps the new rows (a job may show twice until the next run). Never raises.
    """
    if registry is None:
        registry = catalog.PartitionRegistry(session, settings.database)
    result = SliceResult(table.job_type, region, day, reason=reason)
    account_counts: Dict[Tuple[str, str], int] = {}
    writer = SliceWriter(session, settings.bucket, settings.prefix, table, region, day, settings.run_id)
    buffer: List[dict] = []
    # A job created while a day is being listed can shift the pages and repeat a job:
    # each job is kept once, as first listed.
    seen: Set[str] = set()
    id_field = table.columns[0].source
    try:
        for page in _listed(client, table, day) if pages is None else pages:
            for job in page:
                if job[id_field] not in seen:
                    seen.add(job[id_field])
                    buffer.append(job)
            if len(buffer) >= CHUNK_ROWS:
                frame = shape_jobs(buffer, table, region, names)
                _count_accounts(frame, account_counts)
                writer.write(frame)
                buffer = []
        frame = shape_jobs(buffer, table, region, names)
        _count_accounts(frame, account_counts)
        writer.write(frame)
        if reason != "window":  # never drops a job the slice held
            carried = carry.carry_over(session, settings.bucket, settings.prefix, table, region, day, seen, writer)
            for key, n in carried.counts.items():
                account_counts[key] = account_counts.get(key, 0) + n
            writer.validating += carried.validating
            result.carried = len(carried.ids)
        writer.flush()  # every object in S3 (a failed upload fails the slice here)
    except Exception as error:  # any failure of one slice must not stop the others, nor the ledger
        result.cause = aws.cause(error)
        writer.abandon()
        log.error(SLICE_FAILED, table.job_type, region, day, result.cause + " (earlier rows kept)",
                  exc_info=not isinstance(error, (*AWS_ERRORS, BucketError)))
        return result
    try:
        registry.register(table, writer.partitions())
        manifest.write_manifest(session, settings.bucket, settings.prefix, table, manifest.Manifest(
            table.job_type, region, day, settings.run_id, reason,
            [manifest.relative(settings.bucket, settings.prefix, table, day, p) for p in writer.written],
            account_counts, aws_backup))
    except Exception as error:  # nothing deleted yet: the older rows stay, and stay visible
        result.cause = f"{aws.cause(error)} (earlier rows kept; the next run retries)"
        writer.abandon()
        log.error(SLICE_FAILED, table.job_type, region, day, result.cause,
                  exc_info=not isinstance(error, BackupReportError))
        return result
    try:
        writer.finish()
    except BucketError as error:  # the new rows are complete: keep them rather than lose any
        result.cause = f"{error} (the new rows are written; older objects may remain until the next run)"
        log.error(SLICE_FAILED, table.job_type, region, day, result.cause)
        return result
    result.counts = dict(writer.counts)
    result.validating = writer.validating
    result.attention = list(writer.attention)
    result.account_counts = account_counts
    log.info(SLICE_WRITTEN + ("" if reason == "window" else f" ({reason})"), table.job_type, region, day,
             sum(result.counts.values()))
    return result


def window(settings: Settings) -> List[Planned]:
    """The window's slices of a lane: its days, in order."""
    return [Planned(day) for day in settings.days]


def run_lane(client, session: boto3.Session, settings: Settings, table: Table, region: str,
             names: Mapping[str, str], registry: Optional[catalog.PartitionRegistry] = None,
             planned: Optional[Sequence[Planned]] = None) -> List[SliceResult]:
    """The slices of one lane (a job type in ``region``): ``planned`` (default: the window's
    days), one after the other. Once one fails (retries exhausted, access denied), the remaining
    ones are skipped: they keep their rows and carry the same cause, rather than hammering a
    throttled or denied API.

    Scan jobs are listed for the lane's days at once (``scan_listing``), then written day
    after day; a failed listing fails every slice of the lane, each keeping its rows."""
    todo = window(settings) if planned is None else list(planned)
    listed: Optional[Dict[dt.date, List[dict]]] = None
    if table.job_type == scan_listing.JOB_TYPE and todo:
        try:
            listed = scan_listing.list_scan_jobs(client, [p.day for p in todo])
        except Exception as error:  # a lane's failure fails its slices, never the run
            cause = aws.cause(error)
            for i, p in enumerate(todo):
                log.error(SLICE_FAILED, table.job_type, region, p.day, cause + " (earlier rows kept)",
                          exc_info=not isinstance(error, AWS_ERRORS) and i == 0)
            return [SliceResult(table.job_type, region, p.day, cause=cause, reason=p.reason) for p in todo]
    results: List[SliceResult] = []
    failed: Optional[SliceResult] = None
    for day, reason, aws_backup in todo:
        if failed is not None:
            results.append(SliceResult.skip(failed, day, reason))
            log.error(SLICE_SKIPPED, table.job_type, region, day, failed.day, failed.cause)
            continue
        pages = None if listed is None else scan_listing.in_pages(listed.pop(day, []))
        result = run_slice(client, session, settings, table, region, day, names, registry, reason, aws_backup,
                           pages=pages)
        if not result.written:
            failed = result
        results.append(result)
    return results
