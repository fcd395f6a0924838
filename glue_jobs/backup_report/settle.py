"""Until final: which slices outside the window to rewrite (``settling``) or give up on (``expired``), from ``report_runs``.

The job finds them in ``report_runs`` alone: per report day of the last ``LEDGER_DAYS``, the
newest objects first, until each slice of the run's job types and regions has its latest
succeeded row (usually one object a day). A slice whose latest counted row holds a job that is
not final (``NOT_FINAL``) is rewritten while its day is no older than ``RETENTION_DAYS`` before
the run's clock; past that, it gets one ``expired`` row and is never looked at again.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import boto3

from .aws import AWS_ERRORS, botocore_config, named_error
from .errors import BucketError
from .schema import CSV_DELIMITER, CSV_ESCAPE, REPORT_RUNS
from .slices import SliceResult

log = logging.getLogger("backup_report")

#: ``report_runs`` counts of jobs that are not final yet, per job type (docs/reference.md, Until final). A job
#: type added later needs only its entry here.
NOT_FINAL: Dict[str, Tuple[str, ...]] = {
    "backup": ("created", "pending", "running", "aborting"),
    "copy": ("created", "pending", "running", "aborting"),
    "restore": ("pending", "running", "validating"),
    "scan": ("created", "running"),
}
#: Days before the run's clock date that a slice is still rewritten: AWS Backup keeps jobs about
#: 30 days, and the margin keeps whole days.
RETENTION_DAYS = 28
#: Days of ``report_runs`` read back: the settling days and the few past them that may expire.
LEDGER_DAYS = 31
EXPIRED = "expired"
#: ``report_runs.error`` of an expired slice.
EXPIRED_CAUSE = ("its jobs were not final when AWS Backup's retention ended ({pending} not final in the latest "
                 "counted row, of run {run_id}); they keep their last status and no later run looks at this slice")
#: Report days read at once.
READERS = 8

#: A slice: (report day, job type, region).
Key = Tuple[dt.date, str, str]


@dataclass(frozen=True)
class Row:
    """One ``report_runs`` row of a slice, as this module needs it."""

    run_id: str
    order: Tuple[str, str]  # (object written at, run started at): the latest is the greatest
    succeeded: bool
    reason: str
    counts: Dict[str, Optional[int]]

    def not_final(self, job_type: str) -> int:
        """Jobs the row counts that are not final (a column it predates counts 0)."""
        return sum(self.counts.get(column) or 0 for column in NOT_FINAL.get(job_type, ()))


@dataclass
class Ledger:
    """The latest ``report_runs`` rows of the slices read (``read_ledger``)."""

    latest: Dict[Key, Row] = field(default_factory=dict)
    #: The latest succeeded row: what the slice's objects hold (a failed slice keeps its rows).
    counted: Dict[Key, Row] = field(default_factory=dict)
    objects_read: int = 0
    bytes_read: int = 0

    def held(self, key: Key) -> bool:
        """Whether the report holds the slice (it has a ``report_runs`` row)."""
        return key in self.latest


def _parse(text: str, last_modified: str) -> Iterable[Tuple[Tuple[str, str], Row]]:
    reader = csv.reader(io.StringIO(text), delimiter=CSV_DELIMITER, quoting=csv.QUOTE_NONE, escapechar=CSV_ESCAPE)
    header = next(reader, [])
    counted = [c.name for c in REPORT_RUNS.columns if c.type == "bigint"]
    for values in reader:
        row = dict(zip(header, values))  # an object written before a column existed lacks it: None
        counts = {name: int(row[name]) if row.get(name) else None for name in counted}
        yield (row.get("job_type", ""), row.get("region", "")), Row(
            row.get("run_id", ""), (last_modified, row.get("run_started_at", "")), row.get("succeeded") == "true",
            row.get("reason") or "window", counts)


def _read_day(s3, bucket: str, objects: List[dict], wanted: Set[Tuple[str, str]], day: dt.date) -> Tuple[Dict[Key, Row], Dict[Key, Row], int, int]:
    """The latest rows of one day, reading its objects newest first until every wanted slice has
    a counted (or expired) row and no object of the same instant is left."""
    latest: Dict[Key, Row] = {}
    counted: Dict[Key, Row] = {}
    read = size = 0
    objects = sorted(objects, key=lambda o: (o["LastModified"], o["Key"]), reverse=True)
    for i, obj in enumerate(objects):
        try:
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        except AWS_ERRORS as error:
            raise named_error(BucketError, f"Cannot read s3://{bucket}/{obj['Key']}", error) from error
        read, size = read + 1, size + len(body)
        for (job_type, region), row in _parse(body.decode("utf-8"), obj["LastModified"].isoformat()):
            key = (day, job_type, region)
            if key not in latest or row.order > latest[key].order:
                latest[key] = row
            if row.succeeded and (key not in counted or row.order > counted[key].order):
                counted[key] = row
        done = all((day, *k) in counted or (day, *k) in latest and latest[(day, *k)].reason == EXPIRED
                   for k in wanted)
        if done and (i + 1 == len(objects) or objects[i + 1]["LastModified"] < obj["LastModified"]):
            break
    return latest, counted, read, size


def read_ledger(session: boto3.Session, bucket: str, prefix: str, days: Sequence[dt.date],
                wanted: Set[Tuple[str, str]]) -> Ledger:
    """The latest rows of the (job type, region) slices ``wanted`` on ``days``, from one listing
    of ``report_runs`` from the first day on and the objects needed. Raises BucketError."""
    ledger = Ledger()
    if not days:
        return ledger
    s3 = session.client("s3", config=botocore_config())
    root = f"{prefix}/report_runs/report_date="
    by_day: Dict[dt.date, List[Any]] = {}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=root, StartAfter=f"{root}{min(days).isoformat()}"):
            for obj in page.get("Contents", []):
                day = dt.date.fromisoformat(obj["Key"][len(root):len(root) + 10])
                if day in days:
                    by_day.setdefault(day, []).append(obj)
    except AWS_ERRORS as error:
        raise named_error(BucketError, f"Cannot list s3://{bucket}/{root}", error) from error
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        found = list(pool.map(lambda d: _read_day(s3, bucket, by_day[d], wanted, d), sorted(by_day)))
    for latest, counted, read, size in found:
        ledger.latest.update(latest)
        ledger.counted.update(counted)
        ledger.objects_read += read
        ledger.bytes_read += size
    return ledger


def ledger_days(window: Sequence[dt.date], today: dt.date) -> List[dt.date]:
    """The days outside ``window`` whose ``report_runs`` a run reads: the last ``LEDGER_DAYS``."""
    inside = set(window)
    days = (today - dt.timedelta(days=n) for n in range(LEDGER_DAYS + 1))
    return sorted(d for d in days if d not in inside)


@dataclass
class Settling:
    """What ``plan`` found: the slices to rewrite per lane, and the ones given up on."""

    days: Dict[Tuple[str, str], List[dt.date]] = field(default_factory=dict)
    expired: List[SliceResult] = field(default_factory=list)

    @property
    def slices(self) -> int:
        return sum(len(days) for days in self.days.values())


def plan(ledger: Ledger, window: Sequence[dt.date], wanted: Set[Tuple[str, str]], today: dt.date) -> Settling:
    """The slices outside ``window`` of ``wanted`` (job type, region) whose latest counted row holds
    a job that is not final: to settle while their day is recent enough, else expired (once)."""
    limit = today - dt.timedelta(days=RETENTION_DAYS)
    out = Settling()
    for key in sorted(ledger.counted):
        day, job_type, region = key
        row = ledger.counted[key]
        pending = row.not_final(job_type)
        if day in window or (job_type, region) not in wanted or not pending or ledger.latest[key].reason == EXPIRED:
            continue
        if day >= limit:
            out.days.setdefault((job_type, region), []).append(day)
        else:
            out.expired.append(SliceResult(job_type, region, day, reason=EXPIRED,
                                           cause=EXPIRED_CAUSE.format(pending=pending, run_id=row.run_id)))
    for day in sorted({r.day for r in out.expired}):
        slices = [f"{r.job_type} jobs {r.region}" for r in out.expired if r.day == day]
        log.warning("report day %s: %s still held jobs that were not final when AWS Backup's retention ended; "
                    "report_runs records them as expired and no later run looks at them again", day,
                    ", ".join(slices))
    return out
