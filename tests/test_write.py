"""Write, in process against moto's server: the CSV text, slice replacement, abandoned slices."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from backup_report import catalog, schema
from backup_report.csvtext import CSV_OPTIONS, csv_text_frame, timestamp_text
from backup_report.schema import TIMESTAMP_FORMAT
from backup_report.shape import shape_jobs, typed_frame
from backup_report.write import SliceWriter, write_csv

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


def test_a_slice_holds_back_the_statuses_with_few_rows_and_writes_each_job_once(report, monkeypatch):
    from backup_report import write
    session, table = report.session, schema.BACKUP_JOBS
    catalog.ensure_table(session, report.database, report.bucket, report.prefix, table)
    monkeypatch.setattr(write, "OBJECT_ROWS", 10)
    writer = SliceWriter(session, report.bucket, report.prefix, table, "us-east-1", DAY, "run1")
    chunks = [sdk_jobs("COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED", "FAILED", "RUNNING", prefix=f"c{n}-")
              for n in range(5)]
    sent = []  # the objects sent after each chunk: the rest of the rows are held back
    for jobs in chunks:
        writer.write(shape_jobs(jobs, table, "us-east-1", {}))
        sent.append(set(writer.written))
    catalog.PartitionRegistry(session, report.database).register(table, writer.partitions())
    writer.finish()
    rows_in = {f"s3://{report.bucket}/{key}": len(body.splitlines()) - 1
               for key, body in objects(session, report.bucket, f"{report.prefix}/{table.name}/").items()}
    held = [sum(map(len, chunks[:n + 1])) - sum(rows_in[path] for path in paths) for n, paths in enumerate(sent)]
    assert min(held) > 0 and max(held) < write.OBJECT_ROWS  # memory: less than an object's rows held
    rows = read_rows(session, report.bucket, table.name)
    assert sorted(r["backup_job_id"] for r in rows) == sorted(j["BackupJobId"] for jobs in chunks for j in jobs)
    by_object = {}
    for row in rows:
        by_object.setdefault(row["_key"], set()).add(row["status"])
    assert all(len(statuses) == 1 for statuses in by_object.values())  # an object holds one status
    # 30 rows in 5 chunks of 3 statuses: 15 objects one per chunk and status; held back, 6
    assert len(by_object) == 6 and sorted(writer.written) == sorted(f"s3://{report.bucket}/{k}" for k in by_object)
    assert writer.counts == {"COMPLETED": 20, "FAILED": 5, "RUNNING": 5}
    frame = shape_jobs([j for jobs in chunks for j in jobs], table, "us-east-1", {})
    for key, body in objects(session, report.bucket, f"{report.prefix}/{table.name}/").items():
        ids = [line.split(",", 1)[0] for line in body.decode().splitlines()[1:]]
        expected = frame.set_index("backup_job_id", drop=False).loc[ids].reset_index(drop=True)
        assert body == _pandas_csv(expected, table), key


def test_a_failed_slice_never_writes_the_rows_it_held_back(report, monkeypatch):
    from backup_report import write
    session, table = report.session, schema.BACKUP_JOBS
    writer = SliceWriter(session, report.bucket, report.prefix, table, "us-east-1", DAY, "run1")
    writer.write(shape_jobs(sdk_jobs("COMPLETED", "FAILED"), table, "us-east-1", {}))
    assert writer.counts == {"COMPLETED": 1, "FAILED": 1} and writer.written == set()  # taken, held back
    monkeypatch.setattr(write, "_put", lambda *_: pytest.fail("held rows written by a failed slice"))
    writer.abandon()
    assert objects(session, report.bucket) == {} and writer.written == set()


def _pandas_csv(frame, table) -> bytes:
    """The definition of an object's bytes: pandas' to_csv of the text frame."""
    options = {k: v for k, v in CSV_OPTIONS.items() if k != "encoding"}
    return csv_text_frame(frame, table).to_csv(**options).encode("utf-8")


#: Text the CSV escapes (which characters depends on the Python version), or nearly does.
TRICKY = ["comma, here", "back\\slash\\", 'quote "q"', "nul\x00", "unit\x1fsep", "é ü 中 \u2028", "", None, "tab\tx",
          "\\", ",", "'", "cr\ronly"]


def _tricky_jobs(table, statuses):
    jobs = []
    for i, text in enumerate(TRICKY):
        jobs.append({table.columns[0].source: f"id-{i}{text or ''}", "AccountId": "111122223333",
                     table.status_field: statuses[i % len(statuses)], "StatusMessage": text, "ResourceArn": text,
                     "SourceResourceArn": text, "ResourceType": text, "CreatedBy": {"BackupPlanId": text},
                     "CreationDate": dt.datetime(2026, 11, 26, 1, i, 0, 1000 * i, tzinfo=UTC),
                     "CompletionDate": None if i % 3 else dt.datetime(2026, 11, 26, 2, i, tzinfo=UTC),
                     "BackupSizeInBytes": None if i % 4 == 1 else (-1) ** i * 2 ** (5 * i),
                     "IsParent": None if i % 3 == 2 else i % 2 == 0, "BackupOptions": {"k": text}})
    return jobs


def test_objects_hold_what_pandas_writes_for_any_text(report):
    session = report.session
    for table in schema.JOB_TABLES:
        jobs = _tricky_jobs(table, ["FAILED", "COMPLETED", None])
        for name, frame in (("text", shape_jobs(jobs, table, "eu-west-1", {"111122223333": 'Prod, "EU" \\ main'})),
                            # a list where text is expected: pandas prints it
                            ("list", shape_jobs([dict(j, StatusMessage=["a, b"]) for j in jobs], table, "eu-west-1",
                                                {}))):
            writer = SliceWriter(session, report.bucket, f"{table.name}-{name}", table, "eu-west-1", DAY, "run1")
            writer.write(frame)
            writer.flush()  # the objects are uploaded on a thread of their own
            written = objects(session, report.bucket, f"{table.name}-{name}/")
            groups = dict(iter(frame.groupby("status")))
            assert sorted(groups) == ["COMPLETED", "FAILED", "UNKNOWN"]
            assert writer.counts == {status: len(rows) for status, rows in groups.items()}
            assert len(written) == len(groups)
            for key, body in written.items():
                (status,) = [s for s in groups if f"/status={s}/" in key]
                assert body == _pandas_csv(groups[status], table), (table.name, name, status)


def test_ledger_frames_and_an_empty_snapshot_are_written_as_pandas_writes_them(report):
    session = report.session
    started = dt.datetime(2026, 11, 26, 5, 0, 0, 123456, tzinfo=UTC)
    runs = typed_frame(schema.REPORT_RUNS.columns, {
        c.name: {"string": ["r, 1", None, "e\\x"], "bigint": [1, None, -3], "boolean": [True, None, False],
                 "timestamp": [started, None, started]}[c.type] for c in schema.REPORT_RUNS.columns})
    write_csv(runs, schema.REPORT_RUNS, f"s3://{report.bucket}/runs.csv", session)
    assert objects(session, report.bucket, "runs.csv")["runs.csv"] == _pandas_csv(runs, schema.REPORT_RUNS)
    # no resource at all: the snapshot is the header alone (pandas itself fails on the empty timestamp column)
    empty = typed_frame(schema.RESOURCES.columns, {c.name: [] for c in schema.RESOURCES.columns})
    write_csv(empty, schema.RESOURCES, f"s3://{report.bucket}/empty.csv", session)
    assert objects(session, report.bucket, "empty.csv")["empty.csv"] == (
        ",".join(schema.RESOURCES.column_names) + "\n").encode()
    assert list(timestamp_text(empty["captured_at"])) == []


def test_a_frame_too_large_to_build_in_memory_is_streamed_with_the_same_bytes(report, monkeypatch):
    from backup_report import csvtext, write
    session = report.session
    frame = shape_jobs(_tricky_jobs(schema.BACKUP_JOBS, ["FAILED", "COMPLETED"]), schema.BACKUP_JOBS, "eu-west-1", {})
    write_csv(frame, schema.BACKUP_JOBS, f"s3://{report.bucket}/built.csv", session)
    monkeypatch.setattr(write, "MAX_ROWS_IN_MEMORY", len(frame) - 1)
    monkeypatch.setattr(csvtext, "lines", lambda *_: pytest.fail("built in memory"))
    write_csv(frame, schema.BACKUP_JOBS, f"s3://{report.bucket}/streamed.csv", session)
    written = objects(session, report.bucket, "")
    assert written["streamed.csv"] == written["built.csv"] == _pandas_csv(frame, schema.BACKUP_JOBS)
