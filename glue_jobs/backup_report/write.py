"""CSV objects in S3 with awswrangler: files per (day, status, region), numbered per run.

Files are named ``<region>_<run>_<part>.csv`` (see ``layout``) so that a region's slice of
a day can be replaced without touching the other regions, and without overwriting anything
before the slice is complete: new files are written first; only when the whole slice was
fetched and written, and the partitions of its new files are in the catalog (``slices.run_slice``),
are that region's other files of the day (an earlier status, an earlier run) deleted. A run
killed at any moment therefore leaves every job visible, at worst twice. A slice that fails
deletes only what it wrote itself, so the rows already reported stay: nothing is lost.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Dict, List, Optional, Set

import awswrangler as wr
import boto3
import numpy as np
import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from . import csvtext
from .attention import Item
from .attention import pick as pick_attention
from .aws import AWS_ERRORS, botocore_config, describe_error, error_code, named_error
from .csvtext import CSV_OPTIONS, csv_text_frame
from .errors import BucketError
from .layout import (
    day_path,
    is_region_object,
    list_objects,
    partition_path,
    partitions_present,
    run_token,
    slice_object_name,
)
from .schema import Table

log = logging.getLogger(__name__)

#: Rows of a slice held back (the statuses with few rows in a chunk) before the status with the
#: most of them is written as one object: a chunk's worth, so memory stays a chunk or two of text.
OBJECT_ROWS = 10_000
#: Larger frames (an alerts ledger day of many announcements; never a job slice's chunk) are
#: written by pandas, which streams the text in parts, rather than built whole in memory.
MAX_ROWS_IN_MEMORY = 50_000


def _put(body: bytes, path: str, session: boto3.Session) -> None:
    try:
        wr.s3.upload(local_file=io.BytesIO(body), path=path, use_threads=False, boto3_session=session)
    except AWS_ERRORS as error:
        raise BucketError(f"Cannot write {path}: {describe_error(error)}") from error


def write_csv(frame: pd.DataFrame, table: Table, path: str, session: boto3.Session) -> None:
    """Write one CSV object exactly as the catalog declares it (see ``schema.SERDE_PARAMETERS``).

    The text is built here column by column, byte for byte what pandas' ``to_csv`` writes,
    and uploaded with awswrangler; frames with values only pandas formats go through it.
    """
    lines = csvtext.lines(frame, table) if len(frame) <= MAX_ROWS_IN_MEMORY else None
    if lines is not None:
        _put(csvtext.body(table, lines), path, session)
        return
    try:
        wr.s3.to_csv(csv_text_frame(frame, table), path=path, boto3_session=session,
                     use_threads=False, **CSV_OPTIONS)
    except AWS_ERRORS as error:
        raise BucketError(f"Cannot write {path}: {describe_error(error)}") from error


class SliceWriter:
    """Replaces one region's rows of one day of one job table, chunk by chunk.

    A chunk's rows go into one object per status, and a status with few rows in each chunk
    (most but one or two) would make many small objects: the rows are held back per status
    and an object is written for the status with the most of them whenever ``OBJECT_ROWS``
    are held in all, the rest when the slice's rows are all in (``flush``): fewer requests to
    write, and fewer small files for Athena to open (docs/performance.md has the counts).

    Objects are uploaded on a thread of their own while the next chunk is listed and shaped,
    since the uploads wait on S3. At most one chunk's objects
    are in flight: ``write`` waits for the previous ones before it sends more, and ``flush``
    (``partitions``, ``finish``) for all, raising the first failure.
    """

    def __init__(self, session: boto3.Session, bucket: str, prefix: str, table: Table,
                 region: str, day: dt.date, run_id: str):
        self.session, self.bucket, self.prefix = session, bucket, prefix
        self.table, self.region, self.day = table, region, day
        self.written: Set[str] = set()
        self.counts: Dict[str, int] = {}
        #: Restore jobs written COMPLETED whose validation is still VALIDATING (not final yet).
        self.validating = 0
        #: The jobs written that need attention (kept while writing: the few, not the frames).
        self.attention: List[Item] = []
        self._objects = 0  # objects of this slice so far: the number in the next one's name
        self._run_token = run_token(run_id)
        self._held: Dict[str, List[List[str]]] = {}  # status -> CSV lines not written yet
        self._held_rows: Dict[str, int] = {}
        self._uploads: List[Future] = []
        self._uploader: Optional[ThreadPoolExecutor] = None

    def _wait_for_uploads(self) -> None:
        """Wait for every upload in flight; then raise the first one's failure, if any."""
        uploads, self._uploads = self._uploads, []
        failures = [f.exception() for f in uploads]  # waits for each
        failure = next((f for f in failures if f is not None), None)
        if failure is not None:
            raise failure

    def flush(self) -> None:
        """Write the rows held back, then wait until every object written so far is in S3;
        raises BucketError when one is not."""
        try:
            self._send_held(everything=True)
            self._wait_for_uploads()
        finally:
            if self._uploader is not None:
                self._uploader.shutdown(wait=True)
                self._uploader = None

    def _next_path(self, status: str) -> str:
        path = (partition_path(self.bucket, self.prefix, self.table, self.day, status)
                + slice_object_name(self.region, self._run_token, self._objects))
        self._objects += 1
        self.written.add(path)  # before it is sent: a failed slice deletes it whatever happened
        return path

    def _send_held(self, everything: bool) -> None:
        """Upload the held rows of the status with the most while ``OBJECT_ROWS`` or more are
        held in all (``everything``: all of them), one object per status, after the uploads
        in flight."""
        batch = []
        while self._held_rows and (everything or sum(self._held_rows.values()) >= OBJECT_ROWS):
            status = max(self._held_rows, key=self._held_rows.__getitem__)
            del self._held_rows[status]
            batch.append((status, [line for lines in self._held.pop(status) for line in lines]))
        if not batch:
            return
        self._wait_for_uploads()  # one chunk's worth in flight at most
        if self._uploader is None:
            self._uploader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload")
        for status, lines in batch:
            path = self._next_path(status)
            self._uploads.append(self._uploader.submit(_put, csvtext.body(self.table, lines), path, self.session))

    def write(self, frame: pd.DataFrame) -> None:
        """Write a chunk of this slice's rows (with a ``status`` column), by status."""
        if frame.empty:
            return
        self.attention += pick_attention(frame, self.table, self.day)
        if "validation_status" in frame.columns:
            self.validating += int(((frame["status"] == "COMPLETED") & (frame["validation_status"] == "VALIDATING")).sum())
        # the groups of frame.groupby("status", sort=True), by the same factorisation (no NA group)
        codes, statuses = pd.factorize(frame["status"], sort=True)
        order = np.argsort(codes, kind="stable")
        ends = np.cumsum(np.bincount(codes + 1, minlength=len(statuses) + 1)).tolist()
        lines = csvtext.lines(frame, self.table)  # the chunk's text at once
        if lines is None:  # values only pandas prints: this chunk's objects as pandas writes them
            self._wait_for_uploads()
            for number, status in enumerate(statuses):
                start, stop = ends[number], ends[number + 1]
                write_csv(frame.iloc[order[start:stop]], self.table, self._next_path(str(status)), self.session)
                self.counts[str(status)] = self.counts.get(str(status), 0) + stop - start
            return
        if len(statuses) > 1 or ends[0]:
            by_status: np.ndarray = np.empty(len(lines), dtype=object)
            by_status[:] = lines
            lines = by_status.take(order).tolist()
        for number, status in enumerate(statuses):
            start, stop = ends[number], ends[number + 1]
            status = str(status)
            self._held.setdefault(status, []).append(lines[start:stop])
            self._held_rows[status] = self._held_rows.get(status, 0) + stop - start
            self.counts[status] = self.counts.get(status, 0) + stop - start
        self._send_held(everything=False)

    def add_lines(self, status: str, lines: List[str]) -> None:
        """Add rows already in this table's CSV text (jobs a rewrite carries over, ``carry``)."""
        if lines:
            self._held.setdefault(status, []).append(list(lines))
            self._held_rows[status] = self._held_rows.get(status, 0) + len(lines)
            self.counts[status] = self.counts.get(status, 0) + len(lines)
            self._send_held(everything=False)

    def partitions(self) -> List[str]:
        """The partition folders of this slice's new objects (once all are in S3): to register
        before ``finish``. Raises BucketError when one of them could not be written."""
        self.flush()
        return sorted(partitions_present(self.written))

    def finish(self) -> List[str]:
        """Delete this region's objects of the day that this run did not write; return them.

        Call it only once ``partitions()`` are in the catalog: else the jobs that moved to a
        new status would be in S3 but hidden from Athena until the partition is added.
        """
        self.flush()
        existing = list_objects(self.session, day_path(self.bucket, self.prefix, self.table, self.day))
        stale = [p for p in existing if is_region_object(p, self.region) and p not in self.written]
        delete_objects(self.session, stale)
        return stale

    def abandon(self) -> None:
        """Delete what this run wrote of a slice that failed; the earlier rows stay (best effort)."""
        self._held.clear()  # never written
        self._held_rows.clear()
        # nothing may still be on its way when the deletion runs; the slice failed already, and
        # what was written is deleted below whatever the flush raises
        with contextlib.suppress(Exception):
            self.flush()
        try:
            delete_objects(self.session, sorted(self.written))
        except BucketError as error:
            log.warning("could not remove a partial slice: %s", error)
        self.written.clear()
        self.counts.clear()
        self.validating = 0
        self.attention.clear()


def delete_objects(session: boto3.Session, paths: List[str]) -> None:
    """Delete ``paths`` (``s3://`` objects); raises BucketError naming the first."""
    if not paths:
        return
    try:
        wr.s3.delete_objects(paths, use_threads=False, boto3_session=session)
    except AWS_ERRORS as error:
        raise named_error(BucketError, f"Cannot delete {len(paths)} object(s) such as {paths[0]}", error) from error


def check_bucket(session: boto3.Session, bucket: str) -> None:
    """Fail fast, before any fetch, when the report bucket is missing or not ours to use; raises BucketError."""
    try:
        session.client("s3", config=botocore_config()).head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error_code(error)  # HeadBucket's answer has no body: its code is the HTTP status
        if code in ("404", "NoSuchBucket"):
            fix = "no such bucket: check --REPORT_BUCKET, or deploy the reporting stack (it creates the bucket)"
        elif code in ("403", "AccessDenied", "AllAccessDisabled"):
            fix = ("the caller may not use it: check --REPORT_BUCKET, and that the caller (on Glue: the job's role) "
                   "may s3:ListBucket it")
        else:
            fix = "check --REPORT_BUCKET"
        raise named_error(BucketError, f"Cannot use --REPORT_BUCKET {bucket}", error, fix) from error
    except BotoCoreError as error:
        raise named_error(BucketError, f"Cannot reach --REPORT_BUCKET {bucket}", error,
                          "check the network and the region") from error
