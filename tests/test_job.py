"""The job's slices (``job.run_slice``), in process against moto's server with a scripted listing."""
from __future__ import annotations

import datetime as dt
import threading
import time

import awswrangler as wr
from awswrangler import _utils

from backup_report import aws, catalog, schema
from backup_report.arguments import parse_arguments
from backup_report.job import run_slice
from backup_report.shape import shape_jobs
from backup_report.write import write_csv

from .builders import ROLE_ARN, UTC, objects, read_rows, sdk_jobs

DAY = dt.date(2026, 11, 26)


def test_an_unexpected_failure_in_one_slice_is_recorded_and_writes_nothing(report, monkeypatch):
    from backup_report import job, write

    monkeypatch.setattr(job, "CHUNK_ROWS", 1)  # the first page is written before the failure
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
    assert not result.succeeded and "unexpected ValueError: malformed page" in result.error
    assert done.wait(60)  # the upload ended (before the slice's objects were deleted, or the next line fails)
    assert objects(report.session, report.bucket) == {}


def test_a_failed_upload_fails_its_slice_which_keeps_the_old_rows(report, monkeypatch):
    from backup_report import job, write
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
    assert run_slice(Client("RUNNING"), report.session, settings, schema.BACKUP_JOBS, "us-east-1", DAY, {}).succeeded
    before = objects(report.session, report.bucket)
    monkeypatch.setattr(job, "CHUNK_ROWS", 1)
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
    assert not result.succeeded and result.error.startswith("Cannot write ") and "AccessDenied" in result.error
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
    assert result.succeeded and result.counts == {"COMPLETED": 1, "RUNNING": 1, "FAILED": 1}
    assert sorted(r["backup_job_id"] for r in read_rows(report.session, report.bucket, "backup_jobs")) == \
        ["j0", "j1", "j2"]


def test_the_job_session_hands_out_one_client_of_each_to_awswrangler_and_every_thread(report):
    session = aws.job_session()
    s3 = session.client("s3")
    assert _utils.client("s3", session=session) is s3  # what awswrangler asks for on every call
    assert s3.meta.config.retries == {"mode": "standard", "total_max_attempts": aws.MAX_RETRIES + 1}
    assert session.client("s3", region_name="us-west-2") is not s3
    assert session.client("s3", aws_access_key_id="other", aws_secret_access_key="other") is not s3
    got = []
    threads = [threading.Thread(target=lambda: got.append(session.client("glue"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(client is got[0] for client in got)
    # and awswrangler works through it: an object written, read back, listed
    frame = shape_jobs(sdk_jobs("COMPLETED"), schema.BACKUP_JOBS, "eu-west-1", {})
    write_csv(frame, schema.BACKUP_JOBS, f"s3://{report.bucket}/one.csv", session)
    assert wr.s3.list_objects(f"s3://{report.bucket}/", boto3_session=session) == [f"s3://{report.bucket}/one.csv"]
    assert objects(session, report.bucket, "one.csv")["one.csv"].startswith(b"backup_job_id,")


def test_every_session_of_the_job_reads_the_sdk_models_once(report, monkeypatch):
    from botocore.loaders import Loader

    first, second = aws.job_session(), aws.job_session()
    management = aws.assume_management_session(first, ROLE_ARN, None, "run-1")
    loaders = {id(s._session.get_component("data_loader")) for s in (first, second, management)}
    assert len(loaders) == 1
    paths = first._session.get_component("data_loader").search_paths
    assert len(paths) == len(set(paths))  # boto3's data folder once, however many sessions
    first.client("glue")
    loaded = []
    real = Loader.load_data_with_path

    def spy(self, name):  # a model read from disk again; cached ones never get here
        loaded.append(name)
        return real(self, name)

    monkeypatch.setattr(Loader, "load_data_with_path", spy)
    aws.job_session().client("glue")
    management.client("glue")
    assert not [name for name in loaded if "glue" in name]
