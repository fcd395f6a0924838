"""Shape: API items -> typed rows in the schema's column order."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from backup_report import schema
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
        assert all(c.type in schema.ATHENA_TYPES for c in table.columns + table.partitions)
