"""Never drop a job: what a settling or reconciling rewrite keeps of the jobs its listing no longer returns.

A slice outside the window is rewritten from a new listing of its day; a job that AWS Backup
no longer returns (aged out of its retention, or a listing that lags) stays under its last
status. The slice's own objects are read (one region of one day: small next to a table), the
jobs the new listing did not return are written again, line for line, and a WARNING names them.
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Set, Tuple

import boto3

from .aws import AWS_ERRORS, botocore_config, named_error
from .csvtext import csv_line
from .errors import BucketError
from .layout import day_path, is_region_object, list_objects
from .schema import CSV_DELIMITER, CSV_ESCAPE, Table
from .write import SliceWriter

log = logging.getLogger("backup_report")

#: Job ids a WARNING names at most.
NAMED_IN_WARNING = 10


@dataclass
class Carried:
    """The jobs a rewrite kept from the slice's earlier objects."""

    ids: List[str] = field(default_factory=list)
    #: The slice's earlier objects read back, and their bytes.
    objects_read: int = 0
    bytes_read: int = 0
    #: Rows per (account id, status), as ``manifest.Counts``.
    counts: Counter = field(default_factory=Counter)
    #: Restore jobs among them ``COMPLETED`` whose validation is ``VALIDATING``.
    validating: int = 0


def _fields(line: str) -> List[str]:
    return next(csv.reader([line], delimiter=CSV_DELIMITER, quoting=csv.QUOTE_NONE, escapechar=CSV_ESCAPE))


def _read(session: boto3.Session, path: str) -> str:
    bucket, _, key = path[len("s3://"):].partition("/")
    try:
        body = session.client("s3", config=botocore_config()).get_object(Bucket=bucket, Key=key)["Body"].read()
    except AWS_ERRORS as error:
        raise named_error(BucketError, f"Cannot read {path}", error) from error
    return body.decode("utf-8")


def _rows(text: str, table: Table) -> Iterable[Tuple[List[str], str]]:
    """Each row of an object as (its values by the table's columns, its line in the table's CSV text)."""
    lines = text.split("\n")
    header = _fields(lines[0]) if lines and lines[0] else []
    same = tuple(header) == table.column_names
    for line in lines[1:]:
        if not line:
            continue
        values = _fields(line)
        if same:
            yield values, line
        else:  # written before a column was added: the same values, the missing columns NULL
            by_name = dict(zip(header, values))
            values = [by_name.get(name, "") for name in table.column_names]
            yield values, csv_line(values)


def carry_over(session: boto3.Session, bucket: str, prefix: str, table: Table, region: str, day: dt.date,
               listed: Set[str], writer: SliceWriter) -> Carried:
    """Write again, with ``writer``, the jobs of the slice's earlier objects whose ids are not in
    ``listed`` (the new listing's); returns them. Raises BucketError when an object cannot be read."""
    carried = Carried()
    kept: Set[str] = set()
    names = table.column_names
    account = names.index("account_id")
    validation = names.index("validation_status") if "validation_status" in names else None
    earlier = [p for p in list_objects(session, day_path(bucket, prefix, table, day))
               if is_region_object(p, region) and p not in writer.written]
    by_status: Dict[str, List[str]] = {}
    for path in sorted(earlier):
        status = path.rsplit("/status=", 1)[1].split("/", 1)[0]
        text = _read(session, path)
        carried.objects_read += 1
        carried.bytes_read += len(text.encode("utf-8"))
        for values, line in _rows(text, table):
            job_id = values[0]
            if job_id in listed or job_id in kept:
                continue
            kept.add(job_id)
            carried.ids.append(job_id)
            carried.counts[(values[account], status)] += 1
            if validation is not None and status == "COMPLETED" and values[validation] == "VALIDATING":
                carried.validating += 1
            by_status.setdefault(status, []).append(line)
    for status, lines in sorted(by_status.items()):
        writer.add_lines(status, lines)
    log.info("%s jobs %s %s: %d earlier object(s) read back (%d bytes) to keep the jobs the listing no longer "
             "returns", table.job_type, region, day, carried.objects_read, carried.bytes_read)
    if carried.ids:
        shown = ", ".join(carried.ids[:NAMED_IN_WARNING]) + (", ..." if len(carried.ids) > NAMED_IN_WARNING else "")
        log.warning("%s jobs %s %s: %d job(s) the listing no longer returns kept under their last status: %s",
                    table.job_type, region, day, len(carried.ids), shown)
    return carried
