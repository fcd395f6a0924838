"""Write, in process against moto's server: the CSV text, slice replacement, abandoned slices."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from backup_report import catalog, schema
from backup_report.schema import TIMESTAMP_FORMAT
from backup_report.shape import shape_jobs
from backup_report.write import SliceWriter, csv_text_frame, timestamp_text

from .builders import UTC, catalog_partitions, objects, read_rows, s3_partitions, sdk_jobs

DAY = dt.date(2026, 11, 26)


def test_timestamps_are_written_in_the_declared_format():
    values = [dt.datetime(2028, 2, 29, 23, 59, 59, 500000, tzinfo=UTC), None, dt.datetime(2026, 1, 1, tzinfo=UTC)]
    text = timestamp_text(pd.to_datetime(pd.Series(values, dtype=object), utc=True))
    assert list(text) == [values[0].strftime(TIMESTAMP_FORMAT), None, values[2].strftime(TIMESTAMP_FORMAT)]


def test_booleans_are_lowercase_and_nulls_empty():
    frame = csv_text_frame(shape_jobs(sdk_jobs("COMPLETED", "FAILED"), schema.BACKUP_JOBS, "us-east-1", {}),
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

    write("us-east-1", "run1", sdk_jobs("RUNNING", "COMPLETED"))
    write("eu-west-1", "run1", sdk_jobs("FAILED", prefix="e"))
    write("us-east-1", "run2", sdk_jobs("COMPLETED", "COMPLETED"))
    rows = read_rows(session, report.bucket, table.name)
    assert sorted((r["region"], r["backup_job_id"], r["status"]) for r in rows) == [
        ("eu-west-1", "e0", "FAILED"), ("us-east-1", "j0", "COMPLETED"), ("us-east-1", "j1", "COMPLETED")]

    before = objects(session, report.bucket)
    write("eu-west-1", "run3", sdk_jobs("COMPLETED", prefix="e"), fail=True)
    assert objects(session, report.bucket) == before  # the failed slice's own objects are gone, old ones kept

    added, removed = catalog.sync_partitions(session, report.database, report.bucket, report.prefix, table, [DAY])
    assert catalog_partitions(session, report.database, table.name) == s3_partitions(session, report.bucket, table.name)
    assert ("2026-11-26", "RUNNING") not in catalog_partitions(session, report.database, table.name)
    assert len(added) == 2 and removed == []
