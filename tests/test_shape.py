"""Shape: API items -> typed rows in the schema's column order."""
from __future__ import annotations

import datetime as dt
import json
from types import MappingProxyType
from typing import Mapping

import pandas as pd
import pytest

from backup_report import columns, schema, shape
from backup_report.shape import one_line, shape_jobs

UTC = dt.timezone.utc


def item(**fields):
    base = {"BackupJobId": "job-1", "AccountId": "111122223333", "State": "COMPLETED",
            "CreationDate": dt.datetime(2026, 2, 28, 23, 59, 59, 500000, tzinfo=UTC)}
    base.update(fields)
    return base


def test_line_break_runs_become_one_space_and_other_whitespace_stays():
    assert one_line("a \r\n\t b") == "a b"
    assert one_line("a\n\n\nb\rc") == "a b c"
    assert one_line("tab\tstays  twice") == "tab\tstays  twice"
    assert one_line(None) is None


def test_columns_follow_the_schema_and_types():
    frame = shape_jobs([item()], schema.BACKUP_JOBS, "eu-west-1", {})
    assert list(frame.columns) == list(schema.BACKUP_JOBS.column_names) + ["status"]
    for column in schema.BACKUP_JOBS.columns:
        kind = str(frame[column.name].dtype)
        expected = {"string": "object", "bigint": "Int64", "boolean": "boolean",
                    "timestamp": "datetime64[us, UTC]"}[column.type]
        assert kind == expected, column.name  # the same resolution with or without values, pandas 2 or 3


def test_values_nested_derived_and_missing():
    created = dt.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    frame = shape_jobs([item(
        CreationDate=created, CompletionDate=created + dt.timedelta(seconds=3725, milliseconds=900),
        BackupSizeInBytes=6 * 2**30, IsParent=True, CreatedBy={"BackupPlanId": "plan-1", "BackupRuleName": "daily"},
        BackupOptions={"b": "2", "a": "1"}, RecoveryPointLifecycle={"DeleteAfterDays": 35},
        StatusMessage="Sauvegarde échouée,\n  voir \"journal\" C:\\temp",
    )], schema.BACKUP_JOBS, "eu-west-1", {"111122223333": "Production"})
    row = frame.iloc[0]
    assert row.account_name == "Production" and row.region == "eu-west-1" and row.status == "COMPLETED"
    assert row.duration_seconds == 3725
    assert row.backup_size_in_bytes == 6 * 2**30
    assert bool(row.is_parent) is True
    assert row.backup_plan_id == "plan-1" and row.backup_rule_name == "daily"
    assert row.backup_options == '{"a":"1","b":"2"}'
    assert row.delete_after_days == 35 and pd.isna(row.move_to_cold_storage_after_days)
    assert row.status_message == 'Sauvegarde échouée, voir "journal" C:\\temp'
    assert row.creation_date == pd.Timestamp("2026-11-26 10:00", tz="UTC")
    assert pd.isna(row.start_by) and pd.isna(row.opt_in_to_archive) and row.resource_arn is None


def test_a_job_without_a_state_is_kept_under_unknown():
    frame = shape_jobs([item(State=None)], schema.BACKUP_JOBS, "us-east-1", {})
    assert list(frame["status"]) == ["UNKNOWN"]


def test_running_job_has_no_duration_and_unknown_account_has_no_name():
    row = shape_jobs([item(State="RUNNING")], schema.BACKUP_JOBS, "us-east-1", {"999": "x"}).iloc[0]
    assert pd.isna(row.duration_seconds) and pd.isna(row.completion_date)
    assert row.account_name is None


def test_copy_and_restore_sources():
    copy = shape_jobs([{"CopyJobId": "c1", "AccountId": "1", "State": "FAILED",
                        "CreationDate": dt.datetime(2026, 1, 1, tzinfo=UTC),
                        "DestinationBackupVaultArn": "arn:aws:backup:eu-west-1:2:backup-vault:dr",
                        "ChildJobsInState": {"FAILED": 2}, "NumberOfChildJobs": 3}],
                      schema.COPY_JOBS, "us-east-1", {}).iloc[0]
    assert copy.copy_job_id == "c1" and copy.status == "FAILED"
    assert copy.destination_backup_vault_arn.endswith(":dr") and copy.child_jobs_in_state == '{"FAILED":2}'
    restore = shape_jobs([{"RestoreJobId": "r1", "AccountId": "1", "Status": "COMPLETED",
                           "CreationDate": dt.datetime(2026, 1, 1, tzinfo=UTC),
                           "SourceResourceArn": "arn:aws:ec2:us-east-1:1:volume/vol-1",
                           "CreatedBy": {"RestoreTestingPlanArn": "arn:aws:backup:us-east-1:1:restore-testing-plan:p"},
                           "ValidationStatus": "SUCCESSFUL"}],
                         schema.RESTORE_JOBS, "us-east-1", {}).iloc[0]
    assert restore.status == "COMPLETED" and restore.resource_arn.endswith("vol-1")
    assert restore.restore_testing_plan_arn.endswith(":p") and restore.validation_status == "SUCCESSFUL"


def test_every_schema_source_has_a_getter():
    for table in schema.JOB_TABLES:
        shape_jobs([], table, "us-east-1", {})  # raises on a derived source without a getter
        assert len(set(table.column_names)) == len(table.column_names)
        assert all(c.type in columns.ATHENA_TYPES for c in table.columns + table.partitions)


def _duration(job):
    """The definition: whole seconds from creation to completion, truncated toward zero."""
    created, completed = job.get("CreationDate"), job.get("CompletionDate")
    return None if created is None or completed is None else int((completed - created).total_seconds())


class _MinusThree(dt.tzinfo):
    """A fixed offset that is not a ``datetime.timezone``."""

    def utcoffset(self, when):
        return dt.timedelta(hours=-3)

    def dst(self, when):
        return dt.timedelta(0)


def test_durations_are_the_seconds_python_computes_including_negative_and_far_apart():
    base = dt.datetime(2026, 11, 26, 10, 0, 0, 250000, tzinfo=UTC)
    pairs = [(base, base + dt.timedelta(seconds=s))
             for s in (0, 0.4, -0.4, -0.5, -1, -1.7, 1.7, 3725.9, -259200.000001, 59.999999, -59.999999)]
    pairs += [(base, None), (None, base), (None, None),
              (base, dt.datetime(2026, 11, 26, 15, 0, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=5)))),
              # more than 2**53 microseconds apart: float rounding decides the last second
              (dt.datetime(1678, 1, 1, 0, 0, 0, 1, tzinfo=UTC), dt.datetime(2262, 1, 1, tzinfo=UTC)),
              (dt.datetime(2262, 1, 1, tzinfo=UTC), dt.datetime(1678, 1, 1, 0, 0, 0, 1, tzinfo=UTC))]
    other_zone = [(base, base.astimezone(_MinusThree()) + dt.timedelta(seconds=-7.5)), (base, None)]
    for chosen in (pairs, other_zone):
        jobs = [item(BackupJobId=f"j{i}", CreationDate=a, CompletionDate=b) for i, (a, b) in enumerate(chosen)]
        frame = shape_jobs(jobs, schema.BACKUP_JOBS, "us-east-1", {})
        assert str(frame["duration_seconds"].dtype) == "Int64"
        assert [None if pd.isna(v) else v for v in frame["duration_seconds"]] == [_duration(j) for j in jobs]


def test_line_breaks_are_removed_per_value_and_clean_text_is_kept_as_is():
    messages = ['plain, "quoted" C:\\x', "two\r\nlines", None, "", "  \n  lead", "tab\tonly", "nul\x00 stays"]
    frame = shape_jobs([item(BackupJobId=f"j{i}", StatusMessage=m) for i, m in enumerate(messages)],
                       schema.BACKUP_JOBS, "us-east-1", {})
    assert list(frame["status_message"]) == [one_line(m) for m in messages]
    clean = ["a", None, "", "b, c"]
    frame = shape_jobs([item(BackupJobId=f"j{i}", StatusMessage=m) for i, m in enumerate(clean)],
                       schema.BACKUP_JOBS, "us-east-1", {})
    assert list(frame["status_message"]) == clean


def test_a_text_column_value_that_is_not_a_string_goes_through_one_line():
    values = ["50.0", ["a\n", "b"], None]
    frame = shape_jobs([item(BackupJobId=f"j{i}", PercentDone=v) for i, v in enumerate(values)],
                       schema.BACKUP_JOBS, "us-east-1", {})
    assert list(frame["percent_done"]) == [one_line(v) for v in values]


def test_nested_fields_of_a_parent_that_is_not_a_mapping_are_null():
    parents = ["text", ["BackupPlanId"], None, {}, 0, MappingProxyType({"BackupPlanId": "p", "DeleteAfterDays": 7}),
               {"BackupPlanId": "q", "DeleteAfterDays": 8}, {"BackupPlanId": None}]
    jobs = [item(BackupJobId=f"j{i}", CreatedBy=p, RecoveryPointLifecycle=p) for i, p in enumerate(parents)]
    frame = shape_jobs(jobs, schema.BACKUP_JOBS, "us-east-1", {})

    def member(parent, key):
        return parent.get(key) if isinstance(parent, Mapping) else None
    assert list(frame["backup_plan_id"]) == [member(p, "BackupPlanId") for p in parents]
    assert [None if pd.isna(v) else v for v in frame["delete_after_days"]] == [member(p, "DeleteAfterDays")
                                                                                 for p in parents]


def test_account_names_per_account_and_for_a_job_without_account():
    names = {"1": "one", "2": "", "": "nameless"}
    jobs = [item(AccountId="1"), item(AccountId="2"), item(AccountId="3"), item(AccountId="1"), item(AccountId=None)]
    assert list(shape_jobs(jobs, schema.BACKUP_JOBS, "us-east-1", names)["account_name"]) == [
        "one", None, None, "one", None]
    del jobs[0]["AccountId"]  # a missing AccountId is looked up as ""
    assert list(shape_jobs(jobs, schema.BACKUP_JOBS, "us-east-1", names)["account_name"]) == [
        "nameless", None, None, "one", None]


def test_maps_are_compact_sorted_json():
    options = [{"z": "é", "a": ["1", {"y": None, "b": True}]}, {}, None]
    frame = shape_jobs([item(BackupJobId=f"j{i}", BackupOptions=o) for i, o in enumerate(options)],
                       schema.BACKUP_JOBS, "us-east-1", {})
    assert list(frame["backup_options"]) == [
        None if o is None else json.dumps(o, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        for o in options]


def _jobs_of_every_kind():
    """Jobs with missing, None and odd-typed fields, nested parents of every kind, line breaks."""
    created = dt.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    parents = [{"BackupPlanId": "p", "BackupRuleName": "r\nx", "DeleteAfterDays": 7, "Other": 1}, None, {},
               {"BackupPlanId": None}, "text", ["BackupPlanId"], 0,
               MappingProxyType({"BackupPlanId": "q", "OptInToArchiveForSupportedResources": True})]
    jobs = []
    for i, parent in enumerate(parents * 3):
        job = item(BackupJobId=f"j{i}", CreatedBy=parent, RecoveryPointLifecycle=parent,
                   CompletionDate=None if i % 4 else created + dt.timedelta(seconds=i),
                   StatusMessage=["ok", None, "", "two\r\n lines", "a\nb\n\nc"][i % 5],
                   BackupOptions=None if i % 3 else {"b": "é", "a": [i]})
        if i % 2:
            del job["AccountId"]
        if i % 5 == 1:
            del job["CreatedBy"]
        jobs.append(job)
    return jobs


def _frames_equal(a, b):
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    for name in a.columns:
        assert [repr(v) for v in a[name]] == [repr(v) for v in b[name]], name


def test_fields_taken_row_by_row_equal_fields_taken_one_by_one(monkeypatch):
    jobs = _jobs_of_every_kind()
    for table in schema.JOB_TABLES:
        paths = shape._paths(table)
        assert "AccountId" in paths and table.status_field in paths
        for chosen in (jobs, jobs[:1], [j for j in jobs if j.get("CreatedBy") is None]):
            rows, one_by_one = shape._Fields(chosen, paths), shape._Fields(chosen)
            for path in paths + ["CreatedBy", "Missing.Member", "BackupJobId"]:
                assert rows.values(path) == one_by_one.values(path), path
        rows = shape.shape_jobs(jobs, table, "us-east-1", {"111122223333": "prod"})
        with monkeypatch.context() as patch:
            patch.setattr(shape, "_paths", lambda _table: [])  # every field taken when asked for
            one_by_one = shape.shape_jobs(jobs, table, "us-east-1", {"111122223333": "prod"})
        _frames_equal(rows, one_by_one)


def test_items_that_are_not_all_dicts_are_read_as_before():
    jobs = _jobs_of_every_kind()
    mixed = jobs[:3] + [MappingProxyType(jobs[3])] + jobs[4:]
    paths = shape._paths(schema.BACKUP_JOBS)
    rows, one_by_one = shape._Fields(mixed, paths), shape._Fields(mixed)
    for path in paths:
        assert rows.values(path) == one_by_one.values(path), path
    frame = shape.shape_jobs(mixed, schema.BACKUP_JOBS, "us-east-1", {})
    _frames_equal(frame, shape.shape_jobs(jobs, schema.BACKUP_JOBS, "us-east-1", {}))


class _Text(str):
    pass


def test_a_text_column_is_one_line_per_value_whatever_it_holds():
    lists = [[], [None], [""], ["a"], ["a\nb"], ["\r"], [None, "", "x", "y\n", "", "z\r\nw", None, "\n\n", "v"],
             ["ok"] * 50 + ["line\nbreak"] + ["", None] * 20 + ["\r\n", "é\n", "end"],
             ["a", 0], [0, None], ["a", False], [[], "a"], ["a", ["b\n"]], [{}, None], ["a", 1.5],
             [_Text("x"), _Text("y\nz"), _Text("")], ["nul\x00", "\x00\n"]]
    for values in lists:
        try:
            expected = [shape.one_line(v) for v in values]
        except TypeError:
            with pytest.raises(TypeError):
                shape._one_line_all(values)
            continue
        got = shape._one_line_all(values)
        assert [type(v) for v in got] == [type(v) for v in expected] and got == expected, values
        assert all(g is v for g, v, e in zip(got, values, expected) if e is v)  # unchanged values are kept
