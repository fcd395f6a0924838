"""The local Athena engine: LazySimpleSerDe parsing, partition pruning, Trino semantics on DuckDB."""
from __future__ import annotations

import datetime as dt
import uuid

import boto3
import pytest

from backup_report import catalog, schema
from backup_report.errors import QueryError
from backup_report.local.athena import LocalAthena
from backup_report.local.athena.serde import (
    parse_hive_boolean,
    parse_hive_date,
    parse_hive_integer,
    parse_hive_timestamp,
    parse_lazy_simple,
    parse_open_csv_columns,
)
from backup_report.shape import one_line, shape_jobs
from backup_report.write import SliceWriter, day_path, write_csv

#: The table and SerDe parameters exactly as the job registers them (schema.SERDE_PARAMETERS).
SERDE = dict(schema.SERDE_PARAMETERS)
HEADER = {"skip.header.line.count": "1"}
COLUMNS = [("name", "string"), ("n", "bigint"), ("ok", "boolean"), ("at", "timestamp"), ("day", "date")]


def parse(text, columns=COLUMNS, serde=SERDE, table=None):
    return parse_lazy_simple(text, columns, serde, table or {})


# --------------------------------------------------------------------------- SerDe


def test_escaped_delimiter_quotes_backslashes_tabs_and_non_ascii_survive():
    text = 'a\\,b "c",1\nC:\\\\Backups\\\\nightly,2\ttab\nSauvegarde échouée — 数据库 «prod»,3\n'
    rows = parse(text.encode("utf-8"), [("s", "string"), ("n", "string")])
    assert [r["s"] for r in rows] == ['a,b "c"', "C:\\Backups\\nightly", "Sauvegarde échouée — 数据库 «prod»"]
    assert rows[1]["n"] == "2\ttab"  # a tab is just a character


def test_literal_backslash_n_stays_two_characters_and_escape_sequences_follow_hive():
    # the writer writes the two characters \n as \\n; an escaped n (\n) is a line feed (Hive's LazyString)
    rows = parse("path \\\\n literally,\\n\\r\\x\n", [("a", "string"), ("b", "string")])
    assert rows == [{"a": "path \\n literally", "b": "\n\rx"}]


def test_rows_split_on_lf_cr_and_crlf_first_and_no_row_after_the_last_break():
    rows = parse("a\r\nb\rc\n\nd\n", [("s", "string")], serde={"field.delim": ","})
    assert [r["s"] for r in rows] == ["a", "b", "c", "", "d"]
    assert parse("", [("s", "string")]) == []


def test_null_format_versus_empty_string():
    hive_default = {"field.delim": ","}  # serialization.null.format defaults to \N
    rows = parse("\\N,,\\N,\n", [("a", "string"), ("b", "string"), ("c", "bigint"), ("d", "bigint")],
                 serde=hive_default)
    assert rows == [{"a": None, "b": "", "c": None, "d": None}]
    # the job's tables declare an empty null format: an empty field is NULL
    rows = parse(",x\n", [("a", "string"), ("b", "string")])
    assert rows == [{"a": None, "b": "x"}]


def test_header_line_is_skipped_only_when_the_table_says_so():
    text = "name,n,ok,at,day\nx,1,true,2026-11-26 00:00:00.500000,2026-11-26\n"
    assert len(parse(text, table=HEADER)) == 1
    rows = parse(text)
    assert len(rows) == 2 and rows[0]["name"] == "name" and rows[0]["n"] is None and rows[0]["ok"] is None


def test_typed_values_are_parsed_the_hive_way_and_unparsable_ones_are_null():
    text = ("a,42,TRUE,2026-11-26 00:00:00.5,2026-11-26\n"
            "b,-7,false,2026-11-26 23:59:59.123456789,2026-2-3\n"
            "c,1.9,yes,2026-11-26T10:00:00,2026-11-26 10:00:00\n"
            "d,1e3,1,not a time,26/11/2026\n"
            "e,9223372036854775808,,2026-11-26,\n"
            "f\n")
    rows = parse(text)
    assert [r["n"] for r in rows] == [42, -7, 1, None, None, None]
    assert [r["ok"] for r in rows] == [True, False, None, None, None, None]
    assert [r["at"] for r in rows] == [dt.datetime(2026, 11, 26, 0, 0, 0, 500000),
                                       dt.datetime(2026, 11, 26, 23, 59, 59, 123000),
                                       dt.datetime(2026, 11, 26, 10), None, dt.datetime(2026, 11, 26), None]
    assert [r["day"] for r in rows] == [dt.date(2026, 11, 26), dt.date(2026, 2, 3), dt.date(2026, 11, 26),
                                        None, None, None]


def test_hive_scalar_parsers_edge_cases():
    assert parse_hive_integer("+3") == 3 and parse_hive_integer("007") == 7 and parse_hive_integer("5.") == 5
    assert parse_hive_integer("-") is None and parse_hive_integer(" 5") is None
    assert parse_hive_integer("128", bits=7) is None and parse_hive_integer("127", bits=7) == 127
    assert parse_hive_boolean("False") is False and parse_hive_boolean("t") is None
    assert parse_hive_boolean("t", extended=True) is True
    assert parse_hive_timestamp("2026-11-26 12:00:00.9999") == dt.datetime(2026, 11, 26, 12, 0, 1)  # ms, half up
    assert parse_hive_timestamp("2026-02-30 00:00:00") == dt.datetime(2026, 3, 2)  # java.time LENIENT
    assert parse_hive_timestamp("226-1-2") is None and parse_hive_timestamp("2026-1-2") is not None  # 8 chars min
    assert parse_hive_date(" 2026-11-26 ") == dt.date(2026, 11, 26)


def test_missing_fields_are_null_and_extra_fields_ignored():
    rows = parse("a\nb,2,true,2026-11-26 00:00:00,2026-11-26,extra,more\n")
    assert rows[0] == {"name": "a", "n": None, "ok": None, "at": None, "day": None}
    assert rows[1]["day"] == dt.date(2026, 11, 26)


def test_delimiter_given_as_a_byte_number_and_last_column_taking_the_rest():
    rows = parse("a\x01b\x01c\n", [("x", "string"), ("y", "string")], serde={"field.delim": "1"})
    assert rows == [{"x": "a", "y": "b"}]
    rows = parse("a,b,c\n", [("x", "string"), ("y", "string")],
                 serde={"field.delim": ",", "serialization.last.column.takes.rest": "true"})
    assert rows == [{"x": "a", "y": "b,c"}]


def test_open_csv_serde_reads_quoted_fields_as_text_first():
    out = parse_open_csv_columns('"a, b",1,"",1764115200000\n"say ""hi""",x,,\n',
                                 [("s", "string"), ("n", "bigint"), ("e", "string"), ("t", "timestamp")])
    assert out["s"] == ["a, b", 'say "hi"'] and out["n"] == [1, None] and out["e"] == ["", ""]
    assert out["t"] == [dt.datetime(2025, 11, 26), None]


def test_a_csv_written_by_the_real_writer_parses_back_to_the_original_values(local_aws):
    """write.write_csv (what the job writes) -> S3 -> the catalog's SerDe -> the same values."""
    session = boto3.Session()
    bucket = f"serde-{uuid.uuid4().hex[:10]}"
    database = f"serde_{uuid.uuid4().hex[:10]}"
    session.client("s3").create_bucket(Bucket=bucket)
    session.client("glue").create_database(DatabaseInput={"Name": database})
    catalog.ensure_table(session, database, bucket, "p", schema.BACKUP_JOBS)
    utc = dt.timezone.utc
    messages = ['Access denied, "vol-1", retry', "C:\\Backups\\nightly holds \\n literally", "tab\there",
                "line\r\nbreak  \n\t run", "Sauvegarde échouée — 数据库 «prod»", "", None, "trailing\\"]
    items = [{"BackupJobId": f"job-{i}", "AccountId": "111122223333", "State": "FAILED",
              "CreationDate": dt.datetime(2026, 11, 26, 0, 0, 0, 500000, tzinfo=utc) + dt.timedelta(hours=i),
              "CompletionDate": dt.datetime(2026, 11, 26, 1, 2, 3, 4000, tzinfo=utc) + dt.timedelta(hours=i),
              "StatusMessage": message, "BackupSizeInBytes": 5 * 2**40 + i, "IsParent": i % 2 == 0,
              "BackupOptions": {"WindowsVSS": "enabled", "k,v": "a\\b"} if i == 0 else None,
              "ResourceName": "db,\"quoted\"" if i == 1 else f"res-{i}"}
             for i, message in enumerate(messages)]
    frame = shape_jobs(items, schema.BACKUP_JOBS, "eu-west-1", {"111122223333": "Prod, EU \"main\""})
    path = day_path(bucket, "p", schema.BACKUP_JOBS, dt.date(2026, 11, 26)) + "status=FAILED/x.csv"
    write_csv(frame, schema.BACKUP_JOBS, path, session)

    table = session.client("glue").get_table(DatabaseName=database, Name="backup_jobs")["Table"]
    serde = table["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == schema.SERDE_LIBRARY
    body = session.client("s3").get_object(Bucket=bucket, Key=path.split("/", 3)[3])["Body"].read()
    rows = parse_lazy_simple(body, table["StorageDescriptor"]["Columns"], serde["Parameters"], table["Parameters"])

    assert len(rows) == len(items)
    for row, item, message in zip(rows, items, messages):
        assert row["backup_job_id"] == item["BackupJobId"]
        assert row["account_name"] == 'Prod, EU "main"'
        assert row["status_message"] == (one_line(message) or None)  # empty = NULL: the declared null format
        assert row["creation_date"] == item["CreationDate"].replace(tzinfo=None)
        assert row["completion_date"] == item["CompletionDate"].replace(tzinfo=None)
        assert row["backup_size_in_bytes"] == item["BackupSizeInBytes"]
        assert row["duration_seconds"] == int((item["CompletionDate"] - item["CreationDate"]).total_seconds())
        assert row["is_parent"] is item["IsParent"]
        assert row["resource_name"] == item["ResourceName"]
        assert row["delete_after_days"] is None and row["opt_in_to_archive"] is None
    assert rows[0]["backup_options"] == '{"WindowsVSS":"enabled","k,v":"a\\\\b"}'


# --------------------------------------------------------------------------- the engine


@pytest.fixture
def tiny(local_aws):
    """backup_jobs with three days x two statuses written through the job's own writer and catalog code."""
    session = boto3.Session()
    token = uuid.uuid4().hex[:10]
    bucket, database = f"tiny-{token}", f"tiny_{token}"
    session.client("s3").create_bucket(Bucket=bucket)
    session.client("glue").create_database(DatabaseInput={"Name": database})
    catalog.ensure_table(session, database, bucket, "r", schema.BACKUP_JOBS)
    days = [dt.date(2026, 11, 24), dt.date(2026, 11, 25), dt.date(2026, 11, 26)]
    for n, day in enumerate(days):
        items = [{"BackupJobId": f"{day}-{k}", "AccountId": "111122223333", "State": state,
                  "CreationDate": dt.datetime(day.year, day.month, day.day, 3, tzinfo=dt.timezone.utc),
                  "ResourceArn": f"arn:aws:ec2:eu-west-1:111122223333:volume/vol-{k}",
                  "StatusMessage": "x" if state == "FAILED" else None, "BackupSizeInBytes": 10 * (n + 1)}
                 for k, state in enumerate(["COMPLETED", "COMPLETED", "FAILED"])]
        writer = SliceWriter(session, bucket, "r", schema.BACKUP_JOBS, "eu-west-1", day, "run-1")
        writer.write(shape_jobs(items, schema.BACKUP_JOBS, "eu-west-1", {}))
        writer.finish()
    catalog.sync_partitions(session, database, bucket, "r", schema.BACKUP_JOBS, days)
    return database


def test_only_the_partitions_the_predicate_needs_are_read(tiny):
    engine = LocalAthena(tiny, today=dt.date(2026, 11, 26))
    result = engine.run("select count(*) as n, sum(backup_size_in_bytes) as bytes from backup_jobs "
                        "where report_date = current_date - interval '1' day and status = 'COMPLETED'")
    assert result.frame.to_dict("records") == [{"n": 2, "bytes": 40}]
    scan = result.scans[0]
    assert (scan.partitions_total, scan.partitions_read, scan.objects_read) == (6, 1, 1)
    assert scan.bytes_read > 0 and scan.unpruned_references == 0
    assert "read 1 of 6 partition(s)" in result.summary()

    everything = engine.run("select count(*) as n from backup_jobs as b where b.region = 'eu-west-1'")
    assert everything.frame["n"].tolist() == [9]
    assert everything.scans[0].partitions_read == 6 and everything.scans[0].unpruned_references == 1


def test_current_date_is_pinned_and_date_arithmetic_stays_a_date(tiny):
    result = LocalAthena(tiny, today=dt.date(2026, 11, 25)).run(
        "select max(report_date) as last_day, current_date - interval '1' day as yesterday, "
        "date_add('day', 1, current_date) as tomorrow from backup_jobs where report_date <= current_date")
    row = result.frame.iloc[0]
    assert (row.last_day, row.yesterday, row.tomorrow) == (dt.date(2026, 11, 25), dt.date(2026, 11, 24),
                                                           dt.date(2026, 11, 26))
    assert result.scans[0].partitions_read == 4


def test_trino_semantics_where_duckdb_differs(tiny):
    engine = LocalAthena(tiny, today=dt.date(2026, 11, 26))
    frame = engine.run("""
        select
            count_if(status = 'FAILED') as failed,
            7 / 2 as int_division,
            regexp_extract('abc', 'x(.)', 1) as no_match,
            split_part('a:b', ':', 5) as past_the_end,
            approx_percentile(backup_size_in_bytes, 0.5) as p50
        from backup_jobs
        where report_date = current_date
    """).frame
    row = frame.iloc[0]
    assert int(row.failed) == 1 and str(frame["failed"].dtype) == "int64"
    assert int(row.int_division) == 3
    assert row.no_match is None and row.past_the_end is None
    assert int(row.p50) == 30
    ordered = engine.run("select max_by(status_message, backup_job_id) as m from backup_jobs "
                         "where report_date = current_date").frame
    assert ordered.m.tolist() == ["x"]  # job -2 (FAILED) has the largest id
    nulls = engine.run("select max_by(status_message, backup_job_id) as m from backup_jobs "
                       "where report_date = current_date and status = 'COMPLETED'").frame
    assert nulls.m.isna().all()


def test_unknown_tables_and_bad_sql_are_named(tiny):
    engine = LocalAthena(tiny, today=dt.date(2026, 11, 26))
    with pytest.raises(QueryError, match="Table nope not found in database"):
        engine.run("select * from nope where report_date = current_date")
    with pytest.raises(QueryError, match="Cannot parse"):
        engine.run("select from where")
    with pytest.raises(QueryError, match="Glue database no_such_db does not exist"):
        LocalAthena("no_such_db").run("select * from backup_jobs")


def test_objects_written_before_a_column_existed_read_it_as_null(local_aws):
    """report_runs' last four columns and a reconciliation object lacking its last column: NULL, by position."""
    session = boto3.Session()
    token = uuid.uuid4().hex[:10]
    bucket, database = f"old-{token}", f"old_{token}"
    session.client("s3").create_bucket(Bucket=bucket)
    session.client("glue").create_database(DatabaseInput={"Name": database})
    day = dt.date(2026, 11, 20)
    for table in (schema.REPORT_RUNS, schema.RECONCILIATION):
        catalog.ensure_table(session, database, bucket, "r", table)
        names = [c.name for c in table.columns]
        old = names[:-4] if table is schema.REPORT_RUNS else names[:-1]
        values = {"run_id": "old", "run_started_at": "2026-11-20 23:59:00.000000", "checked_at":
                  "2026-11-20 23:59:00.000000", "job_type": "backup", "region": "us-east-1", "succeeded": "true",
                  "account_id": "111122223333", "state": "COMPLETED", "summary_start": "2026-11-18 00:00:00.000000",
                  "summary_end": "2026-11-19 00:00:00.000000"}
        line = ",".join(values.get(n, "3") for n in old)
        session.client("s3").put_object(Bucket=bucket, Key=f"r/{table.name}/report_date={day}/old.csv",
                                        Body=(",".join(old) + "\n" + line + "\n").encode())
        catalog.sync_partitions(session, database, bucket, "r", table, [day])
    engine = LocalAthena(database, today=day)
    runs = engine.run("select job_count, running, reason, canceled, completed_with_issues, validating "
                      "from report_runs where report_date = current_date").frame.to_dict("records")
    assert runs == [{"job_count": 3, "running": 3, "reason": None, "canceled": None, "completed_with_issues": None,
                     "validating": None}]
    compared = engine.run("select reported, difference, summary_end, action from reconciliation "
                          "where report_date = current_date").frame.to_dict("records")
    assert compared == [{"reported": 3, "difference": 3, "summary_end": dt.datetime(2026, 11, 19),
                         "action": None}]
