"""``alerts``: the ledger of announcements. One row per attention item a run announced, with the
channels that accepted it; append-only (one object per run and report day, never rewritten).

It is how a run knows what earlier runs announced, and how an auditor answers "were we told,
and when?". An item's partition is its job's report day, so a run reads only the days of its
window.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Collection, Dict, Iterable, List, Sequence, Set, Tuple

import boto3

from .attention import Item
from .aws import AWS_ERRORS, botocore_config, describe_error
from .errors import BucketError
from .layout import day_path, list_objects, run_object_path
from .schema import ALERTS, CSV_DELIMITER, CSV_ESCAPE
from .shape import typed_frame
from .write import write_csv

#: (item key) -> the channels that accepted it, in any run.
Announced = Dict[Tuple[str, str, str, str], Set[str]]


@dataclass
class Ledger:
    """What the ``alerts`` objects of some days hold: the announcements, and the objects read."""

    announced: Announced = field(default_factory=dict)
    paths: Set[str] = field(default_factory=set)


def _bucket_and_key(path: str) -> Tuple[str, str]:
    bucket, _, key = path[len("s3://"):].partition("/")
    return bucket, key


def parse_rows(text: str) -> List[Dict[str, str]]:
    """The rows of one ``alerts`` object, read with the writer's dialect (see ``schema``)."""
    reader = csv.reader(io.StringIO(text), delimiter=CSV_DELIMITER, quoting=csv.QUOTE_NONE,
                        escapechar=CSV_ESCAPE)
    header = next(reader, None)
    if not header:
        return []
    return [dict(zip(header, values)) for values in reader if values]


def read_ledger(session: boto3.Session, bucket: str, prefix: str, days: Iterable[dt.date]) -> Ledger:
    """What earlier runs announced of ``days``. Raises BucketError."""
    s3 = session.client("s3", config=botocore_config())
    ledger = Ledger()
    for day in days:
        for path in list_objects(session, day_path(bucket, prefix, ALERTS, day)):
            ledger.paths.add(path)
            if not path.endswith(".csv"):
                continue
            object_bucket, key = _bucket_and_key(path)
            try:
                body = s3.get_object(Bucket=object_bucket, Key=key)["Body"].read().decode("utf-8")
            except AWS_ERRORS as error:
                raise BucketError(f"Cannot read the alerts ledger {path}: {describe_error(error)} (the job's "
                                  "role needs s3:GetObject on the report prefix's alerts/ folder)") from error
            for row in parse_rows(body):
                # an object written before scan jobs has no scan_result_status: it reads as none
                item_key = (row["job_type"], row["job_id"], row["status"],
                            row.get("validation_status") or row.get("scan_result_status") or "")
                channels = {c for c in row.get("channels", "").split(",") if c}
                ledger.announced.setdefault(item_key, set()).update(channels)
    return ledger


def alert_rows(records: Sequence[Tuple[Item, Sequence[str]]], run_id: str,
                announced_at: dt.datetime) -> Dict[str, List]:
    """Column values of ``alerts`` for ``records`` (an item and the channels that accepted it)."""
    values: Dict[str, List] = {"run_id": [run_id] * len(records), "announced_at": [announced_at] * len(records),
                               "channels": [",".join(channels) for _, channels in records]}
    # every other column is the item's field of the same name; read item by item (each item's
    # fields together in memory), then turned into columns
    names = [c.name for c in ALERTS.columns if c.name not in values]
    fields = attrgetter(*names)
    rows = [fields(item) for item, _ in records]
    values.update(zip(names, [list(column) for column in zip(*rows)] if rows else [[] for _ in names]))
    return {c.name: values[c.name] for c in ALERTS.columns}


def write_announced(session: boto3.Session, bucket: str, prefix: str, run_id: str, announced_at: dt.datetime,
                    records: Sequence[Tuple[Item, Sequence[str]]], existing: Collection[str] = ()) -> List[str]:
    """Append this run's announcements: one object per report day, named after the run (``.1``,
    ``.2``, ... after it when a run of the same id wrote one: ``existing``). Raises BucketError."""
    paths: List[str] = []
    by_day: Dict[dt.date, List[Tuple[Item, Sequence[str]]]] = {}
    for record in records:
        by_day.setdefault(record[0].report_date, []).append(record)
    for day, of_day in sorted(by_day.items()):
        frame = typed_frame(ALERTS.columns, alert_rows(of_day, run_id, announced_at))
        path, n = run_object_path(bucket, prefix, ALERTS, day, run_id), 0
        while path in existing:  # append-only: never replace an earlier run's rows
            n += 1
            path = run_object_path(bucket, prefix, ALERTS, day, f"{run_id}.{n}")
        write_csv(frame, ALERTS, path, session)
        paths.append(path)
    return paths
