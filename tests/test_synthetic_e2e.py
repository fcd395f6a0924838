"""A whole synthetic organisation through the real job: every generated job comes back, exactly."""
from __future__ import annotations

import datetime as dt

import pytest

from backup_report.local.synthetic import ID_FIELD, STATUS_FIELD, OrgSpec, default_accounts, generate
from backup_report.schema import JOB_TABLES_BY_TYPE
from backup_report.shape import one_line

from .builders import catalog_partitions, read_rows, s3_partitions

SPEC = OrgSpec(accounts=default_accounts(4), regions=["us-east-1", "eu-west-1"], first_day=dt.date(2026, 11, 24),
               days=3, backup_jobs_per_day=60, copy_jobs_per_day=20, restore_jobs_per_day=20, seed=3)


def utc_text(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.fixture(scope="module")
def expected():
    return generate(SPEC)


def test_every_generated_job_is_reported_once_with_its_values(report, emulator, run_job, expected):
    emulator.generate(SPEC)
    result = run_job(report.args(REGIONS="us-east-1,eu-west-1", REPORT_DATE="2026-11-26", LOOKBACK_DAYS="3"),
                     report.env, now="2026-11-26T23:30:00")
    assert result.returncode == 0, result.stderr[-2000:]
    for job_type, table in JOB_TABLES_BY_TYPE.items():
        rows = read_rows(report.session, report.bucket, table.name)
        id_column = table.columns[0].name
        got = {row[id_column]: row for row in rows}
        assert len(got) == len(rows), f"{table.name}: a job appears twice"
        want = {job[ID_FIELD[job_type]]: (region, job)
                for (jt, region), jobs in expected.items() if jt == job_type for job in jobs}
        assert set(got) == set(want), table.name
        statuses = set()
        for job_id, (region, job) in want.items():
            row = got[job_id]
            created = dt.datetime.fromtimestamp(job["CreationDate"], dt.timezone.utc)
            assert row["report_date"] == created.date().isoformat()
            assert row["status"] == job[STATUS_FIELD[job_type]]
            assert row["region"] == region and row["account_id"] == job["AccountId"]
            assert row["creation_date"] == utc_text(job["CreationDate"])
            assert row["status_message"] == (one_line(job.get("StatusMessage")) or "")
            assert row.get("backup_size_in_bytes", "") == str(job.get("BackupSizeInBytes", ""))  # scans: none
            if "CompletionDate" in job:
                assert 0 <= (job["CompletionDate"] - job["CreationDate"]) - int(row["duration_seconds"]) < 1
            statuses.add(row["status"])
        assert statuses == set(table.statuses), f"{table.name}: the generator covers every status"
        assert catalog_partitions(report.session, report.database, table.name) == \
            s3_partitions(report.session, report.bucket, table.name)
    big = [r for r in read_rows(report.session, report.bucket, "backup_jobs")
           if r["backup_size_in_bytes"] and int(r["backup_size_in_bytes"]) > 4 * 2**30]
    assert big, "sizes over 4 GiB survive as bigint"
