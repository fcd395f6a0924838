"""Write and catalog, in process against moto's server: formats, slice replacement, partitions."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from backup_report import catalog, schema
from backup_report.schema import TIMESTAMP_FORMAT
from backup_report.shape import shape_jobs
from backup_report.write import SliceWriter, csv_text_frame, timestamp_text
from reading import catalog_partitions, objects, read_rows, s3_partitions

UTC = dt.timezone.utc
DAY = dt.date(2026, 11, 26)


def jobs(*states, prefix="j"):
    return [{"BackupJobId": f"{prefix}{i}", "AccountId": "111122223333", "State": state,
             "CreationDate": dt.datetime(2026, 11, 26, 1, i, tzinfo=UTC), "IsParent": i % 2 == 0}
            for i, state in enumerate(states)]


def test_timestamps_are_written_in_the_declared_format():
    values = [dt.datetime(2028, 2, 29, 23, 59, 59, 500000, tzinfo=UTC), None, dt.datetime(2026, 1, 1, tzinfo=UTC)]
    text = timestamp_text(pd.to_datetime(pd.Series(values, dtype=object), utc=True))
    assert list(text) == [values[0].strftime(TIMESTAMP_FORMAT), None, values[2].strftime(TIMESTAMP_FORMAT)]


def test_booleans_are_lowercase_and_nulls_empty():
    frame = csv_text_frame(shape_jobs(jobs("COMPLETED", "FAILED"), schema.BACKUP_JOBS, "us-east-1", {}),
                           schema.BACKUP_JOBS)
    assert list(frame["is_parent"]) == ["true", "false"]
    assert frame["completion_date"].isna().all()


def test_a_slice_replaces_only_its_region_and_a_failed_slice_keeps_the_old_rows(report):
    session, table = report.session, schema.BACKUP_JOBS
    catalog.ensure_table(session, report.database, report.bucket, report.prefix, table)

    def write(region, run, items, fail=False):
        writer = SliceWriter(session, report.bucket, report.prefix, table, region, DAY, run)
        writer.write(shape_jobs(items, table, region, {}))
        if fail:
            writer.abandon()
        else:
            writer.finish()
        return writer

    write("us-east-1", "run1", jobs("RUNNING", "COMPLETED"))
    write("eu-west-1", "run1", jobs("FAILED", prefix="e"))
    write("us-east-1", "run2", jobs("COMPLETED", "COMPLETED"))
    rows = read_rows(session, report.bucket, table.name)
    assert sorted((r["region"], r["backup_job_id"], r["status"]) for r in rows) == [
        ("eu-west-1", "e0", "FAILED"), ("us-east-1", "j0", "COMPLETED"), ("us-east-1", "j1", "COMPLETED")]

    before = objects(session, report.bucket)
    write("eu-west-1", "run3", jobs("COMPLETED", prefix="e"), fail=True)
    assert objects(session, report.bucket) == before  # the failed slice's own objects are gone, old ones kept

    added, removed = catalog.sync_partitions(session, report.database, report.bucket, report.prefix, table, [DAY])
    assert catalog_partitions(session, report.database, table.name) == s3_partitions(session, report.bucket, table.name)
    assert ("2026-11-26", "RUNNING") not in catalog_partitions(session, report.database, table.name)
    assert len(added) == 2 and removed == []


def test_existing_table_keeps_partitions_and_gains_new_columns(report):
    session, table = report.session, schema.COPY_JOBS
    catalog.ensure_table(session, report.database, report.bucket, report.prefix, table)
    writer = SliceWriter(session, report.bucket, report.prefix, table, "us-east-1", DAY, "run1")
    writer.write(shape_jobs([{"CopyJobId": "c1", "AccountId": "1", "State": "FAILED",
                              "CreationDate": dt.datetime(2026, 11, 26, tzinfo=UTC)}], table, "us-east-1", {}))
    writer.finish()
    catalog.sync_partitions(session, report.database, report.bucket, report.prefix, table, [DAY])
    newer = dataclasses.replace(table, columns=table.columns + (
        schema.Column("future_field", "string", "FutureField", "a column a later version adds"),))
    catalog.ensure_table(session, report.database, report.bucket, report.prefix, newer)
    glue = session.client("glue")
    got = glue.get_table(DatabaseName=report.database, Name=table.name)["Table"]
    names = [c["Name"] for c in got["StorageDescriptor"]["Columns"]]
    assert names == list(table.column_names) + ["future_field"]
    assert catalog_partitions(session, report.database, table.name) == {("2026-11-26", "FAILED")}
    comments = {c["Name"]: c.get("Comment") for c in got["StorageDescriptor"]["Columns"]}
    assert comments["copy_job_id"] == table.columns[0].description
    serde = got["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == schema.SERDE_LIBRARY
    assert serde["Parameters"] == schema.SERDE_PARAMETERS
    assert got["Parameters"]["skip.header.line.count"] == "1"


def test_an_unexpected_failure_in_one_slice_is_recorded_and_writes_nothing(report, monkeypatch):
    from backup_report import job
    from backup_report.arguments import parse_arguments
    from backup_report.job import run_slice

    monkeypatch.setattr(job, "CHUNK_ROWS", 1)  # the first page is written before the failure

    class BrokenPages:
        def paginate(self, **_params):
            yield {"BackupJobs": jobs("COMPLETED")}
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
    from backup_report.arguments import parse_arguments
    from backup_report.job import run_slice

    class ShiftingPages:  # a job created mid-listing pushes the last job of page 1 onto page 2
        def paginate(self, **_params):
            yield {"BackupJobs": jobs("COMPLETED", "RUNNING")}
            yield {"BackupJobs": jobs("COMPLETED", "RUNNING", "FAILED")[1:]}

    class Client:
        def get_paginator(self, _operation):
            return ShiftingPages()

    settings = parse_arguments(report.args(), now=dt.datetime(2026, 11, 26, 12, tzinfo=UTC))
    result = run_slice(Client(), report.session, settings, schema.BACKUP_JOBS, "us-east-1", DAY, {})
    assert result.succeeded and result.counts == {"COMPLETED": 1, "RUNNING": 1, "FAILED": 1}
    assert sorted(r["backup_job_id"] for r in read_rows(report.session, report.bucket, "backup_jobs")) == \
        ["j0", "j1", "j2"]
