"""The job's slices (``job.run_slice``), in process against moto's server with a scripted listing."""
from __future__ import annotations

import datetime as dt

from backup_report import catalog, schema
from backup_report.arguments import parse_arguments
from backup_report.job import run_slice

from .builders import UTC, objects, read_rows, sdk_jobs

DAY = dt.date(2026, 11, 26)


def test_an_unexpected_failure_in_one_slice_is_recorded_and_writes_nothing(report, monkeypatch):
    from backup_report import job

    monkeypatch.setattr(job, "CHUNK_ROWS", 1)  # the first page is written before the failure

    class BrokenPages:
        def paginate(self, **_params):
            yield {"BackupJobs": sdk_jobs("COMPLETED")}
            assert objects(report.session, report.bucket), "a chunk was written"
            raise ValueError("malformed page")

    class Client:
        def get_paginator(self, _operation):
            return BrokenPages()

    settings = parse_arguments(report.args(), now=dt.datetime(2026, 11, 26, 12, tzinfo=UTC))
    result = run_slice(Client(), report.session, settings, schema.BACKUP_JOBS, "us-east-1", DAY, {})
    assert not result.succeeded and "unexpected ValueError: malformed page" in result.error
    assert objects(report.session, report.bucket) == {}


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
