"""Catalog, in process against moto's server: the database check, tables, partitions equal to S3."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from backup_report import catalog, columns, schema
from backup_report.errors import CatalogError
from backup_report.shape import shape_jobs
from backup_report.write import SliceWriter

from .builders import UTC, catalog_partitions, objects

DAY = dt.date(2026, 11, 26)


def test_existing_table_keeps_partitions_and_gains_new_columns(report):
    session, table = report.session, schema.COPY_JOBS
    catalog.ensure_table(session, report.database, report.bucket, report.prefix, table)
    writer = SliceWriter(session, report.bucket, report.prefix, table, "us-east-1", DAY, "run1")
    writer.write(shape_jobs([{"CopyJobId": "c1", "AccountId": "1", "State": "FAILED",
                              "CreationDate": dt.datetime(2026, 11, 26, tzinfo=UTC)}], table, "us-east-1", {}))
    writer.finish()
    catalog.sync_partitions(session, report.database, report.bucket, report.prefix, table, [DAY])
    newer = dataclasses.replace(table, columns=table.columns + (
        columns.Column("future_field", "string", "FutureField", "a column a later version adds"),))
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


def test_a_missing_database_is_named_with_the_fix(report):
    catalog.check_database(report.session, report.database)  # exists: no error
    with pytest.raises(CatalogError) as error:
        catalog.check_database(report.session, "no_such_database")
    assert str(error.value).startswith(f"--GLUE_DATABASE no_such_database does not exist in "
                                       f"{report.session.region_name}: EntityNotFoundException")
    assert error.value.fix == ("check --GLUE_DATABASE and the region, or deploy the reporting stack "
                               "(it creates the database)")


def test_partitions_follow_the_folders_of_the_days_synced_only(report):
    """A folder emptied by a later run loses its partition, but only when its day is synced."""
    session, table = report.session, schema.BACKUP_JOBS
    catalog.ensure_table(session, report.database, report.bucket, report.prefix, table)
    days = [DAY - dt.timedelta(days=1), DAY]
    for day in days:
        writer = SliceWriter(session, report.bucket, report.prefix, table, "us-east-1", day, "run1")
        writer.write(shape_jobs([{"BackupJobId": f"b-{day}", "AccountId": "111122223333", "State": "RUNNING",
                                  "CreationDate": dt.datetime(day.year, day.month, day.day, 5, tzinfo=UTC)}],
                                table, "us-east-1", {}))
        writer.finish()
    added, removed = catalog.sync_partitions(session, report.database, report.bucket, report.prefix, table, days)
    assert sorted(added) == [[d.isoformat(), "RUNNING"] for d in days] and removed == []
    assert catalog.sync_partitions(session, report.database, report.bucket, report.prefix, table, days) == ([], [])

    s3 = session.client("s3")  # both days' jobs finish: their RUNNING folders empty out
    for key in objects(session, report.bucket, f"{report.prefix}/{table.name}/"):
        s3.delete_object(Bucket=report.bucket, Key=key)
    added, removed = catalog.sync_partitions(session, report.database, report.bucket, report.prefix, table, [DAY])
    assert added == [] and removed == [[DAY.isoformat(), "RUNNING"]]
    assert catalog_partitions(session, report.database, table.name) == {(days[0].isoformat(), "RUNNING")}
