"""Finishing a slice, in process against moto's server: its new partitions are registered in
the catalog before its older objects are deleted, so no moment of a run hides a job."""
from __future__ import annotations

import datetime as dt
import threading

import boto3
import pytest

from backup_report import catalog, layout, schema, write
from backup_report.arguments import parse_arguments
from backup_report.slices import run_slice

from .builders import (
    UTC,
    catalog_partitions,
    objects,
    read_rows,
    s3_partitions,
    sdk_jobs,
)

DAY = dt.date(2026, 11, 26)
TABLE = schema.BACKUP_JOBS
REGION = "us-east-1"


class Listing:
    """A ListBackupJobs client whose one page is ``jobs``."""

    def __init__(self, jobs):
        self.jobs = jobs

    def get_paginator(self, _operation):
        return self

    def paginate(self, **_params):
        yield {"BackupJobs": self.jobs}


def slice_run(report, session, run_id, *states, registry=None):
    settings = parse_arguments(report.args(JOB_RUN_ID=run_id), now=dt.datetime(2026, 11, 26, 12, tzinfo=UTC))
    return run_slice(Listing(sdk_jobs(*states)), session, settings, TABLE, REGION, DAY, {}, registry)


def deny(session, operation):
    """Make every ``operation`` call of ``session``'s Glue clients fail with AccessDenied."""
    def handler(**_kwargs):
        error = {"Code": "AccessDeniedException", "Message": f"not authorized to perform: glue:{operation}"}
        return type("Response", (), {"status_code": 400, "headers": {}})(), {"Error": error}
    session.events.register(f"before-call.glue.{operation}", handler)


@pytest.fixture
def target(report):
    """The test's report target, with the backup_jobs table created (the run does that first)."""
    catalog.ensure_table(report.session, report.database, report.bucket, report.prefix, TABLE)
    return report


def test_the_layout_is_the_documented_one():
    path = layout.partition_path("b", "p", TABLE, DAY, "COMPLETED")
    assert path == "s3://b/p/backup_jobs/report_date=2026-11-26/status=COMPLETED/"
    assert layout.slice_object_name(REGION, layout.run_token("jr_1/a b"), 7) == "us-east-1_jr-1-a-b_00007.csv"
    assert layout.report_runs_object_path("b", "p", DAY, "jr_1/a") == \
        "s3://b/p/report_runs/report_date=2026-11-26/jr_1-a.csv"
    assert layout.partition_values(path, TABLE) == ["2026-11-26", "COMPLETED"]
    assert layout.is_region_object(path + "us-east-1_run_00000.csv", REGION)
    assert not layout.is_region_object(path + "eu-west-1_run_00000.csv", REGION)
    assert layout.partitions_present([path + "a.csv", path + "b.csv"]) == {path}


def test_a_slice_registers_its_new_partitions_before_it_deletes_the_older_objects(target, monkeypatch):
    session = target.session
    assert slice_run(target, session, "run1", "RUNNING", "RUNNING").written
    assert catalog_partitions(session, target.database, TABLE.name) == {("2026-11-26", "RUNNING")}

    seen_at_delete = []
    real_delete = write.delete_objects

    def delete_objects(session_, paths):
        if paths:  # what Athena could see at the moment the older objects go
            seen_at_delete.append(catalog_partitions(session, target.database, TABLE.name))
        real_delete(session_, paths)

    monkeypatch.setattr(write, "delete_objects", delete_objects)
    result = slice_run(target, session, "run2", "COMPLETED", "FAILED")
    assert result.written and result.counts == {"COMPLETED": 1, "FAILED": 1}
    assert seen_at_delete == [{("2026-11-26", "RUNNING"), ("2026-11-26", "COMPLETED"), ("2026-11-26", "FAILED")}]
    assert sorted((r["backup_job_id"], r["status"]) for r in read_rows(session, target.bucket, TABLE.name)) == \
        [("j0", "COMPLETED"), ("j1", "FAILED")]

    # The emptied RUNNING partition goes at the end of the run.
    added, removed = catalog.sync_partitions(session, target.database, target.bucket, target.prefix, TABLE, [DAY])
    assert (added, removed) == ([], [["2026-11-26", "RUNNING"]])
    assert catalog_partitions(session, target.database, TABLE.name) == s3_partitions(session, target.bucket, TABLE.name)


def test_a_failed_registration_keeps_the_older_objects_and_fails_the_slice(target):
    session = target.session
    assert slice_run(target, session, "run1", "RUNNING").written
    before = objects(session, target.bucket)
    deny(session, "BatchCreatePartition")
    result = slice_run(target, session, "run2", "COMPLETED")
    assert result.failed and result.counts == {}
    assert "Cannot register partition(s) report_date=2026-11-26/status=COMPLETED" in result.error
    assert "AccessDeniedException" in result.error and "earlier rows kept" in result.error
    assert objects(session, target.bucket) == before  # the new object removed, the older one kept
    assert catalog_partitions(session, target.database, TABLE.name) == {("2026-11-26", "RUNNING")}


def test_a_partition_registered_by_another_region_or_run_counts_as_registered(target):
    session = target.session
    calls = []
    session.events.register("before-call.glue.BatchCreatePartition", lambda **_kwargs: calls.append(1))
    folder = layout.partition_path(target.bucket, target.prefix, TABLE, DAY, "COMPLETED")
    first, second = (catalog.PartitionRegistry(session, target.database) for _ in range(2))
    assert first.register(TABLE, [folder]) == [["2026-11-26", "COMPLETED"]]
    assert second.register(TABLE, [folder]) == [["2026-11-26", "COMPLETED"]]  # Glue: AlreadyExists
    assert first.register(TABLE, [folder]) == [] and len(calls) == 2  # not asked again in a run
    assert catalog_partitions(session, target.database, TABLE.name) == {("2026-11-26", "COMPLETED")}


def test_regions_racing_to_add_the_same_partition_all_succeed(target):
    folders = [layout.partition_path(target.bucket, target.prefix, TABLE, DAY, s) for s in ("COMPLETED", "FAILED")]
    start, errors = threading.Barrier(4), []

    def register():  # each thread asks Glue itself: none knows the others did
        registry = catalog.PartitionRegistry(boto3.Session(), target.database)
        start.wait()
        try:
            registry.register(TABLE, folders)
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert catalog_partitions(target.session, target.database, TABLE.name) == {("2026-11-26", "COMPLETED"),
                                                                             ("2026-11-26", "FAILED")}
