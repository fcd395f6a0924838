"""One slice and one lane (``slices``): the slice's outcome and its states, in process against
moto's server with a scripted listing."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from botocore.exceptions import ClientError

from backup_report import catalog, schema, slices
from backup_report.arguments import parse_arguments
from backup_report.slices import NOT_ATTEMPTED, SliceResult, run_lane, run_slice

from .builders import UTC, objects, read_rows, sdk_jobs

DAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_a_slice_is_written_failed_or_skipped_and_records_its_error_accordingly():
    written = SliceResult("backup", "us-east-1", DAY, counts={"COMPLETED": 2})
    failed = SliceResult("backup", "us-east-1", DAY, cause="ThrottlingException: slow down")
    skipped = SliceResult.skip(failed, DAY + dt.timedelta(days=1))
    assert [(r.written, r.failed, r.skipped) for r in (written, failed, skipped)] == [
        (True, False, False), (False, True, False), (False, False, True)]
    assert [r.succeeded for r in (written, failed, skipped)] == [True, False, False]
    assert (skipped.job_type, skipped.region, skipped.day, skipped.skipped_after, skipped.cause) == (
        "backup", "us-east-1", dt.date(2026, 11, 27), DAY, "ThrottlingException: slow down")
    assert (written.error, failed.error) == ("", "ThrottlingException: slow down")
    assert skipped.error == NOT_ATTEMPTED + failed.cause == "not attempted after: ThrottlingException: slow down"


def test_an_unexpected_failure_in_one_slice_is_recorded_and_writes_nothing(report, monkeypatch):
    from backup_report import write

    monkeypatch.setattr(slices, "CHUNK_ROWS", 1)  # the first page is written before the failure
    monkeypatch.setattr(write, "OBJECT_ROWS", 1)
    real_put, sent, done = write._put, [], threading.Event()

    def slow_put(body, path, session):  # still on its way when the listing fails
        sent.append(path)
        time.sleep(0.5)
        real_put(body, path, session)
        done.set()

    monkeypatch.setattr(write, "_put", slow_put)

    class BrokenPages:
        def paginate(self, **_params):
            yield {"BackupJobs": sdk_jobs("COMPLETED")}
            assert sent, "a chunk is being written"
            raise ValueError("malformed page")

    class Client:
        def get_paginator(self, _operation):
            return BrokenPages()

    settings = parse_arguments(report.args(), now=dt.datetime(2026, 11, 26, 12, tzinfo=UTC))
    result = run_slice(Client(), report.session, settings, schema.BACKUP_JOBS, "us-east-1", DAY, {})
    assert result.failed and "unexpected ValueError: malformed page" in result.error
    assert done.wait(60)  # the upload ended (before the slice's objects were deleted, or the next line fails)
    assert objects(report.session, report.bucket) == {}


def test_a_failed_upload_fails_its_slice_which_keeps_the_old_rows(report, monkeypatch):
    from backup_report import write
    from backup_report.errors import BucketError

    class Pages:
        def __init__(self, *statuses):
            self.statuses = statuses

        def paginate(self, **_params):
            for n, status in enumerate(self.statuses):  # a page, and so a chunk, per status
                yield {"BackupJobs": sdk_jobs(status, prefix=f"p{n}-")}

    class Client:
        def __init__(self, *statuses):
            self.pages = Pages(*statuses)

        def get_paginator(self, _operation):
            return self.pages

    settings = parse_arguments(report.args(), now=dt.datetime(2026, 11, 26, 12, tzinfo=UTC))
    catalog.ensure_table(report.session, report.database, report.bucket, report.prefix, schema.BACKUP_JOBS)
    assert run_slice(Client("RUNNING"), report.session, settings, schema.BACKUP_JOBS, "us-east-1", DAY, {}).written
    before = objects(report.session, report.bucket)
    monkeypatch.setattr(slices, "CHUNK_ROWS", 1)
    monkeypatch.setattr(write, "OBJECT_ROWS", 1)  # an object per chunk
    real_put, sent = write._put, []

    def put(body, path, session):  # the second chunk's object cannot be written
        sent.append(path)
        if len(sent) == 2:
            raise BucketError(f"Cannot write {path}: AccessDenied: no")
        real_put(body, path, session)

    monkeypatch.setattr(write, "_put", put)
    result = run_slice(Client("COMPLETED", "FAILED", "COMPLETED"), report.session, settings, schema.BACKUP_JOBS,
                       "us-east-1", DAY, {})
    assert result.failed and result.error.startswith("Cannot write ") and "AccessDenied" in result.error
    assert len(sent) >= 2 and objects(report.session, report.bucket) == before  # its objects gone, the old kept
    assert [(r["backup_job_id"], r["status"]) for r in read_rows(report.session, report.bucket, "backup_jobs")] == \
        [("p0-0", "RUNNING")]


def test_a_job_repeated_across_pages_is_written_once(report):
    class ShiftingPages:  # a job created mid-listing pushes the last job of page 1 onto page 2
        def paginate(self, **_params):
            yield {"BackupJobs": sdk_jobs("COMPLETED", "RUNNING")}
            yield {"BackupJobs": sdk_jobs("COMPLETED", "RUNNING", "FAILED")[1:]}

    class Client:
        def get_paginator(self, _operation):
            return ShiftingPages()

    settings = parse_arguments(report.args(), now=dt.datetime(2026, 11, 26, 12, tzinfo=UTC))
    # a finished slice registers its partitions: the run creates the table first
    catalog.ensure_table(report.session, report.database, report.bucket, report.prefix, schema.BACKUP_JOBS)
    result = run_slice(Client(), report.session, settings, schema.BACKUP_JOBS, "us-east-1", DAY, {})
    assert result.written and result.counts == {"COMPLETED": 1, "RUNNING": 1, "FAILED": 1}
    assert sorted(r["backup_job_id"] for r in read_rows(report.session, report.bucket, "backup_jobs")) == \
        ["j0", "j1", "j2"]


def test_a_lane_skips_the_days_after_its_first_failure_and_lists_them_no_more(report, caplog):
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "ListBackupJobs")
    asked = []

    class Pages:
        def paginate(self, ByCreatedAfter, **_params):
            day = (ByCreatedAfter + dt.timedelta(hours=1)).date()
            asked.append(day)
            if day == DAY - dt.timedelta(days=1):
                raise denied
            yield {"BackupJobs": []}

    class Client:
        def get_paginator(self, _operation):
            return Pages()

    settings = parse_arguments(report.args(LOOKBACK_DAYS="3"), now=NOW)
    catalog.ensure_table(report.session, report.database, report.bucket, report.prefix, schema.BACKUP_JOBS)
    with caplog.at_level(logging.INFO, logger="backup_report"):
        results = run_lane(Client(), report.session, settings, schema.BACKUP_JOBS, "us-east-1", {})
    first, second, third = results
    assert [r.day for r in results] == list(settings.days) == [DAY - dt.timedelta(days=n) for n in (2, 1, 0)]
    assert asked == [first.day, second.day]  # the skipped day is not listed
    assert first.written and second.failed and third.skipped
    assert second.cause == "AccessDeniedException: denied" and third.cause == second.cause
    assert third.skipped_after == second.day and third.error == "not attempted after: AccessDeniedException: denied"
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "backup_report"] == [
        ("INFO", "backup jobs us-east-1 2026-11-24: 0 jobs written"),
        ("ERROR", "backup jobs us-east-1 2026-11-25: failed: AccessDeniedException: denied (earlier rows kept)"),
        ("ERROR", "backup jobs us-east-1 2026-11-26: skipped after the failure of 2026-11-25 (earlier rows kept): "
                  "AccessDeniedException: denied")]


def test_a_scan_lane_lists_its_window_once_and_writes_each_day(report):
    scans = [{"ScanJobId": f"s-{n}", "AccountId": "111122223333", "State": state,
              "CreationDate": dt.datetime(2026, 11, 24 + n, 5, tzinfo=UTC)}
             for n, state in enumerate(("COMPLETED", "CANCELED", "RUNNING"))]
    calls = []

    class Pages:
        def paginate(self, **params):
            calls.append(params)
            key = params.get("ByState") or "completed"
            yield {"ScanJobs": [s for s in scans if s["State"] == key or (key == "completed" and s["State"] in (
                "COMPLETED", "CANCELED"))]}

    class Client:
        def get_paginator(self, operation):
            assert operation == "list_scan_jobs"
            return Pages()

    settings = parse_arguments(report.args(LOOKBACK_DAYS="3"), now=NOW)
    catalog.ensure_table(report.session, report.database, report.bucket, report.prefix, schema.SCAN_JOBS)
    results = run_lane(Client(), report.session, settings, schema.SCAN_JOBS, "us-east-1", {})
    assert len(calls) == 5  # the window at once, not a listing per day
    assert [(r.day, r.written, r.counts) for r in results] == [
        (dt.date(2026, 11, 24), True, {"COMPLETED": 1}), (dt.date(2026, 11, 25), True, {"CANCELED": 1}),
        (dt.date(2026, 11, 26), True, {"RUNNING": 1})]
    assert sorted((r["scan_job_id"], r["report_date"], r["status"])
                  for r in read_rows(report.session, report.bucket, "scan_jobs")) == [
        ("s-0", "2026-11-24", "COMPLETED"), ("s-1", "2026-11-25", "CANCELED"), ("s-2", "2026-11-26", "RUNNING")]


def test_a_failed_scan_listing_fails_every_day_of_its_lane_and_writes_nothing(report, caplog):
    class Denied:
        def get_paginator(self, _operation):
            return self

        def paginate(self, **_params):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "ListScanJobs")

    settings = parse_arguments(report.args(LOOKBACK_DAYS="3"), now=NOW)
    with caplog.at_level(logging.INFO, logger="backup_report"):
        results = run_lane(Denied(), report.session, settings, schema.SCAN_JOBS, "us-east-1", {})
    assert [(r.day, r.failed, r.skipped, r.error) for r in results] == [
        (day, True, False, "AccessDeniedException: denied") for day in settings.days]
    assert [r.getMessage() for r in caplog.records if r.name == "backup_report"] == [
        f"scan jobs us-east-1 {day}: failed: AccessDeniedException: denied (earlier rows kept)"
        for day in settings.days]
    assert objects(report.session, report.bucket) == {}


def test_a_scan_slice_of_one_day_lists_that_day_by_state_and_completion(report):
    calls = []

    class Pages:
        def paginate(self, **params):
            calls.append(params)
            yield {"ScanJobs": [{"ScanJobId": "s-1", "AccountId": "1", "State": "RUNNING",
                                 "CreationDate": dt.datetime(2026, 11, 26, 5, tzinfo=UTC)},
                                {"ScanJobId": "s-0", "AccountId": "1", "State": "RUNNING",
                                 "CreationDate": dt.datetime(2026, 11, 25, 5, tzinfo=UTC)}]}

    class Client:
        def get_paginator(self, _operation):
            return Pages()

    settings = parse_arguments(report.args(), now=NOW)
    catalog.ensure_table(report.session, report.database, report.bucket, report.prefix, schema.SCAN_JOBS)
    result = run_slice(Client(), report.session, settings, schema.SCAN_JOBS, "us-east-1", DAY, {})
    assert result.written and result.counts == {"RUNNING": 1} and len(calls) == 5
    assert calls[2]["ByCompleteAfter"] == dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)
