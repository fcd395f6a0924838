"""CSV objects in S3 with awswrangler: one file per (day, status, region, chunk).

Files are named ``<region>_<run>_<chunk>.csv`` (see ``layout``) so that a region's slice of
a day can be replaced without touching the other regions, and without overwriting anything
before the slice is complete: new files are written first; only when the whole slice was
fetched and written, and the partitions of its new files are in the catalog (``job.run_slice``),
are that region's other files of the day (an earlier status, an earlier run) deleted. A run
killed at any moment therefore leaves every job visible, at worst twice. A slice that fails
deletes only what it wrote itself, so the rows already reported stay: nothing is lost.
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
from typing import Dict, List, Set

import awswrangler as wr
import boto3
import numpy as np
import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from .attention import Item
from .attention import pick as pick_attention
from .aws import botocore_config, describe_error
from .errors import BucketError
from .layout import (day_path, is_region_object, list_objects, partition_path, partitions_present, run_token,
                     slice_object_name)
from .schema import CSV_DELIMITER, CSV_ESCAPE, CSV_NULL, Table

log = logging.getLogger(__name__)

CSV_OPTIONS = dict(
    sep=CSV_DELIMITER,
    index=False,
    header=True,
    quoting=csv.QUOTE_NONE,
    escapechar=CSV_ESCAPE,
    na_rep=CSV_NULL,
    lineterminator="\n",
    encoding="utf-8",
)


def timestamp_text(values: pd.Series) -> np.ndarray:
    """UTC timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` (``TIMESTAMP_FORMAT``), None for NaT.

    Vectorised: much faster than ``date_format``, which calls strftime per value.
    """
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    text = np.char.replace(np.datetime_as_string(naive, unit="us"), "T", " ").astype(object)
    text[np.isnat(naive)] = None
    return text


def csv_text_frame(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """``frame``'s table columns as the text the CSV holds: timestamps and booleans as Hive reads them."""
    out = frame[list(table.column_names)].copy()
    for column in table.columns:
        if column.type == "boolean":
            out[column.name] = out[column.name].map({True: "true", False: "false"}).astype("object")
        elif column.type == "timestamp":
            out[column.name] = timestamp_text(out[column.name])
    return out


def write_csv(frame: pd.DataFrame, table: Table, path: str, session: boto3.Session) -> None:
    """Write one CSV object exactly as the catalog declares it (see ``schema.SERDE_PARAMETERS``)."""
    try:
        wr.s3.to_csv(csv_text_frame(frame, table), path=path, boto3_session=session,
                     use_threads=False, **CSV_OPTIONS)
    except (ClientError, BotoCoreError) as error:
        raise BucketError(f"Cannot write {path}: {describe_error(error)}") from error


class SliceWriter:
    """Replaces one region's rows of one day of one job table, chunk by chunk."""

    def __init__(self, session: boto3.Session, bucket: str, prefix: str, table: Table,
                 region: str, day: dt.date, run_id: str):
        self.session, self.bucket, self.prefix = session, bucket, prefix
        self.table, self.region, self.day = table, region, day
        self.written: Set[str] = set()
        self.counts: Dict[str, int] = {}
        #: The jobs written that need attention (kept while writing: the few, not the frames).
        self.attention: List[Item] = []
        self._chunk = 0
        self._run_token = run_token(run_id)

    def write(self, frame: pd.DataFrame) -> None:
        """Write a chunk of this slice's rows (with a ``status`` column), one object per status."""
        if frame.empty:
            return
        self.attention += pick_attention(frame, self.table, self.day)
        for status, rows in frame.groupby("status", sort=True):
            path = (partition_path(self.bucket, self.prefix, self.table, self.day, str(status))
                    + slice_object_name(self.region, self._run_token, self._chunk))
            write_csv(rows, self.table, path, self.session)
            self.written.add(path)
            self.counts[str(status)] = self.counts.get(str(status), 0) + len(rows)
        self._chunk += 1

    def partitions(self) -> List[str]:
        """The partition folders of this slice's new objects: to register before ``finish``."""
        return sorted(partitions_present(self.written))

    def finish(self) -> List[str]:
        """Delete this region's objects of the day that this run did not write; return them.

        Call it only once ``partitions()`` are in the catalog: else the jobs that moved to a
        new status would be in S3 but hidden from Athena until the partition is added.
        """
        existing = list_objects(self.session, day_path(self.bucket, self.prefix, self.table, self.day))
        stale = [p for p in existing if is_region_object(p, self.region) and p not in self.written]
        delete_objects(self.session, stale)
        return stale

    def abandon(self) -> None:
        """Delete what this run wrote of a slice that failed; the earlier rows stay (best effort)."""
        try:
            delete_objects(self.session, sorted(self.written))
        except BucketError as error:
            log.warning("could not remove a partial slice: %s", error)
        self.written.clear()
        self.counts.clear()
        self.attention.clear()


def delete_objects(session: boto3.Session, paths: List[str]) -> None:
    if not paths:
        return
    try:
        wr.s3.delete_objects(paths, use_threads=False, boto3_session=session)
    except (ClientError, BotoCoreError) as error:
        raise BucketError(f"Cannot delete {len(paths)} object(s) such as {paths[0]}: "
                          f"{describe_error(error)}") from error


def check_bucket(session: boto3.Session, bucket: str) -> None:
    """Fail fast, before any fetch, when the report bucket is missing or not ours to use."""
    try:
        session.client("s3", config=botocore_config()).head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        reason = {"404": "it does not exist", "NoSuchBucket": "it does not exist",
                  "403": "access is denied to the job's role"}.get(code, describe_error(error))
        raise BucketError(f"Cannot use --REPORT_BUCKET {bucket}: {reason}") from error
    except BotoCoreError as error:
        raise BucketError(f"Cannot reach --REPORT_BUCKET {bucket}: {describe_error(error)}") from error
