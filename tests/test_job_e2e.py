"""End to end: the real Glue entry script, as a subprocess, against moto's server and the emulator."""
from __future__ import annotations

import contextlib
from collections import Counter

import pytest

from backup_report.schema import JOB_TABLES

from .builders import (
    MANAGEMENT_ACCOUNT,
    ROLE_ARN,
    TrustingSts,
    api_job,
    catalog_partitions,
    objects,
    read_rows,
    s3_partitions,
)

MEMBER = "210987654321"
OTHER = "333344445555"
NOW = "2026-11-26T23:59:00"


def load(emulator, region, job_type, jobs, replace=False):
    emulator.load_jobs(job_type, region, jobs, replace=replace)


def ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def ids(rows, key="backup_job_id"):
    return sorted(r[key] for r in rows)


@pytest.fixture
def small_org(report, emulator):
    """Backup, copy and restore jobs of three accounts in two regions over two days."""
    load(emulator, "us-east-1", "backup", [
        api_job("backup", "b-mgmt", MANAGEMENT_ACCOUNT, "2026-11-26T10:00:00", "COMPLETED",
                CompletionDate=1795000000.0 * 0 + 1795694400.0, MessageCategory="SUCCESS"),
        api_job("backup", "b-member", MEMBER, "2026-11-26T00:00:00.500", "FAILED",
                StatusMessage='Access denied, "vol-1"\nretry\\later'),
        api_job("backup", "b-late", OTHER, "2026-11-25T23:59:59.500", "RUNNING"),
    ])
    load(emulator, "eu-west-1", "backup", [
        api_job("backup", "b-eu", MEMBER, "2026-11-26T05:00:00", "PARTIAL", BackupSizeInBytes=5 * 2**30),
    ])
    load(emulator, "us-east-1", "copy", [
        api_job("copy", "c-1", MEMBER, "2026-11-26T11:00:00", "FAILED",
                DestinationBackupVaultArn="arn:aws:backup:eu-west-1:333344445555:backup-vault:dr"),
    ])
    load(emulator, "eu-west-1", "restore", [
        api_job("restore", "r-1", OTHER, "2026-11-25T12:00:00", "COMPLETED", ValidationStatus="SUCCESSFUL"),
    ])
    return report


def test_writes_every_job_once_under_its_day_and_status(small_org, run_job):
    r = small_org
    result = ok(run_job(r.args(REGIONS="us-east-1,eu-west-1", LOOKBACK_DAYS="2"), r.env, now=NOW))
    assert "jobs written to s3://" in result.stdout and "backup_jobs 4, copy_jobs 1, restore_jobs 1, scan_jobs 0;" in result.stdout
    backup = read_rows(r.session, r.bucket, "backup_jobs")
    by_id = {row["backup_job_id"]: row for row in backup}
    assert sorted(by_id) == ["b-eu", "b-late", "b-member", "b-mgmt"] and len(backup) == 4
    # member accounts are there: ByAccountId='*' was asked for
    assert {row["account_id"] for row in backup} == {MANAGEMENT_ACCOUNT, MEMBER, OTHER}
    # day boundaries: 00:00:00.5 belongs to its day, 23:59:59.5 to the day before
    assert (by_id["b-member"]["report_date"], by_id["b-member"]["status"]) == ("2026-11-26", "FAILED")
    assert (by_id["b-late"]["report_date"], by_id["b-late"]["status"]) == ("2026-11-25", "RUNNING")
    assert by_id["b-late"]["creation_date"] == "2026-11-25 23:59:59.500000"
    assert by_id["b-member"]["status_message"] == 'Access denied, "vol-1" retry\\later'
    assert by_id["b-eu"]["region"] == "eu-west-1" and by_id["b-eu"]["backup_size_in_bytes"] == str(5 * 2**30)
    assert ids(read_rows(r.session, r.bucket, "copy_jobs"), "copy_job_id") == ["c-1"]
    assert ids(read_rows(r.session, r.bucket, "restore_jobs"), "restore_job_id") == ["r-1"]
    for table in JOB_TABLES:
        assert catalog_partitions(r.session, r.database, table.name) == s3_partitions(r.session, r.bucket, table.name)


def test_report_runs_has_a_row_per_day_type_and_region_even_without_jobs(small_org, run_job):
    r = small_org
    ok(run_job(r.args(REGIONS="us-east-1,eu-west-1", LOOKBACK_DAYS="2", JOB_RUN_ID="jr_test1"), r.env, now=NOW))
    runs = read_rows(r.session, r.bucket, "report_runs")
    assert len(runs) == 2 * 4 * 2  # days x job types x regions
    assert {row["run_id"] for row in runs} == {"jr_test1"}
    assert all(row["succeeded"] == "true" and row["error"] == "" for row in runs)
    key = {(row["report_date"], row["job_type"], row["region"]): row for row in runs}
    day = key[("2026-11-26", "backup", "us-east-1")]
    assert (day["job_count"], day["completed"], day["failed"], day["running"]) == ("2", "1", "1", "0")
    empty = key[("2026-11-25", "copy", "eu-west-1")]
    assert empty["job_count"] == "0" and empty["failed"] == "0"
    assert catalog_partitions(r.session, r.database, "report_runs") == {("2026-11-25",), ("2026-11-26",)}


def test_rerun_settles_jobs_and_leaves_no_stale_partition(small_org, emulator, run_job):
    r = small_org
    args = r.args(REGIONS="us-east-1,eu-west-1", LOOKBACK_DAYS="2")
    ok(run_job(args, r.env, now=NOW))
    first = read_rows(r.session, r.bucket, "backup_jobs")
    ok(run_job(args, r.env, now=NOW))
    second = read_rows(r.session, r.bucket, "backup_jobs")
    strip = lambda rows: sorted(tuple(sorted((k, v) for k, v in row.items() if k != "_key")) for row in rows)  # noqa: E731
    assert strip(first) == strip(second)  # idempotent

    load(emulator, "us-east-1", "backup", [
        api_job("backup", "b-late", OTHER, "2026-11-25T23:59:59.500", "COMPLETED", CompletionDate=1795651200.0)])
    ok(run_job(args, r.env, now=NOW))
    rows = [row for row in read_rows(r.session, r.bucket, "backup_jobs") if row["backup_job_id"] == "b-late"]
    assert [(row["report_date"], row["status"]) for row in rows] == [("2026-11-25", "COMPLETED")]
    assert ("2026-11-25", "RUNNING") not in s3_partitions(r.session, r.bucket, "backup_jobs")
    assert ("2026-11-25", "RUNNING") not in catalog_partitions(r.session, r.database, "backup_jobs")


def test_month_end_and_leap_day(report, emulator, run_job):
    jobs = [api_job("backup", f"b-{day}", MEMBER, f"{day}T12:00:00", "COMPLETED")
            for day in ("2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01")]
    load(emulator, "us-east-1", "backup", jobs)
    ok(run_job(report.args(REGIONS="us-east-1", REPORT_DATE="2028-03-01", LOOKBACK_DAYS="3"), report.env,
               now="2028-03-01T23:00:00"))
    rows = read_rows(report.session, report.bucket, "backup_jobs")
    assert sorted((row["report_date"], row["backup_job_id"]) for row in rows) == [
        ("2028-02-28", "b-2028-02-28"), ("2028-02-29", "b-2028-02-29"), ("2028-03-01", "b-2028-03-01")]
    days = {p[0] for p in catalog_partitions(report.session, report.database, "report_runs")}
    assert days == {"2028-02-28", "2028-02-29", "2028-03-01"}


def test_more_than_a_thousand_jobs_in_one_region_use_the_fewest_pages(report, emulator, run_job):
    jobs = [api_job("backup", f"b-{i:05d}", MEMBER if i % 2 else OTHER,
                    f"2026-11-26T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}", "COMPLETED")
            for i in range(2500)]
    load(emulator, "us-east-1", "backup", jobs)
    emulator.reset_stats()
    ok(run_job(report.args(REGIONS="us-east-1", LOOKBACK_DAYS="1", REPORT_DATE="2026-11-26"), report.env, now=NOW))
    assert len(read_rows(report.session, report.bucket, "backup_jobs")) == 2500
    calls = emulator.stats()["requests"]
    assert calls[("ListBackupJobs", "us-east-1")] == 3  # ceil(2500 / 1000)


def test_heavy_throttling_is_ridden_out(small_org, emulator, run_job):
    emulator.set_faults(throttle_rate=0.3, seed=4)
    r = small_org
    ok(run_job(r.args(REGIONS="us-east-1,eu-west-1", LOOKBACK_DAYS="2"), r.env, now=NOW))
    assert len(read_rows(r.session, r.bucket, "backup_jobs")) == 4
    assert emulator.stats()["throttled"] > 0


def test_a_denied_region_loses_nothing_and_fails_the_run(small_org, emulator, run_job):
    r = small_org
    args = r.args(REGIONS="us-east-1,eu-west-1", LOOKBACK_DAYS="2")
    ok(run_job(args, r.env, now=NOW))
    eu_before = [row for row in read_rows(r.session, r.bucket, "backup_jobs") if row["region"] == "eu-west-1"]
    assert eu_before
    load(emulator, "us-east-1", "backup", [api_job("backup", "b-new", MEMBER, "2026-11-26T20:00:00", "COMPLETED")])
    load(emulator, "eu-west-1", "backup", [api_job("backup", "b-eu2", MEMBER, "2026-11-26T20:00:00", "COMPLETED")])
    emulator.set_faults(denied_regions=["eu-west-1"])
    result = run_job(args + ["--JOB_RUN_ID", "jr_denied"], r.env, now=NOW)
    assert result.returncode != 0
    assert "eu-west-1" in result.stderr and "AccessDenied" in result.stderr
    rows = read_rows(r.session, r.bucket, "backup_jobs")
    eu_after = [row for row in rows if row["region"] == "eu-west-1"]
    strip = lambda rows: sorted((x["backup_job_id"], x["status"], x["report_date"]) for x in rows)  # noqa: E731
    assert strip(eu_after) == strip(eu_before)  # kept, not replaced
    assert "b-new" in {row["backup_job_id"] for row in rows}  # the rest was refreshed
    for table in JOB_TABLES:
        assert catalog_partitions(r.session, r.database, table.name) == s3_partitions(r.session, r.bucket, table.name)
    ledger = [row for row in read_rows(r.session, r.bucket, "report_runs") if row["run_id"] == "jr_denied"]
    failed = [row for row in ledger if row["succeeded"] == "false"]
    assert {(row["region"], row["job_type"]) for row in failed} == {
        ("eu-west-1", t) for t in ("backup", "copy", "restore", "scan")}
    assert all("AccessDenied" in row["error"] and row["job_count"] == "" for row in failed)
    assert all(row["succeeded"] == "true" for row in ledger if row["region"] == "us-east-1")


@pytest.mark.parametrize("override, named", [
    (dict(REPORT_BUCKET=None), "--REPORT_BUCKET"),
    (dict(MANAGEMENT_ROLE_ARN="arn:aws:iam::1:role/x"), "--MANAGEMENT_ROLE_ARN"),
    (dict(GLUE_DATABASE=None), "--GLUE_DATABASE"),
    (dict(REPORT_DATE="2026-02-30"), "--REPORT_DATE"),
    (dict(LOOKBACK_DAYS="0"), "--LOOKBACK_DAYS"),
    (dict(LOOKBACK_DAYS="31"), "--LOOKBACK_DAYS"),
])
def test_bad_arguments_exit_2_and_write_nothing(report, run_job, override, named):
    result = run_job(report.args(**override), report.env, now=NOW)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert objects(report.session, report.bucket) == {}


def test_missing_bucket_and_database_are_named(report, run_job):
    result = run_job(report.args(REPORT_BUCKET="no-such-bucket-here", REGIONS="us-east-1"), report.env, now=NOW)
    assert result.returncode == 1 and "--REPORT_BUCKET no-such-bucket-here" in result.stderr
    result = run_job(report.args(GLUE_DATABASE="no_such_db", REGIONS="us-east-1"), report.env, now=NOW)
    assert result.returncode == 1 and "--GLUE_DATABASE no_such_db" in result.stderr
    assert objects(report.session, report.bucket) == {}


def test_role_that_cannot_be_assumed_is_named_and_external_id_is_sent(small_org, run_job):
    r = small_org
    sts = TrustingSts({ROLE_ARN: "expected-external-id"})
    try:
        env = dict(r.env, AWS_ENDPOINT_URL_STS=sts.url)
        result = run_job(r.args(REGIONS="us-east-1"), env, now=NOW)
        assert result.returncode == 1
        assert f"--MANAGEMENT_ROLE_ARN {ROLE_ARN}" in result.stderr and "AccessDenied" in result.stderr
        assert "expected-external-id" not in result.stderr
        assert objects(r.session, r.bucket) == {}
        ok(run_job(r.args(REGIONS="us-east-1", EXTERNAL_ID="expected-external-id"), env, now=NOW))
        assert sts.requests[-1]["ExternalId"] == "expected-external-id"
        assert sts.requests[-1]["RoleArn"] == ROLE_ARN
    finally:
        sts.stop()


def test_default_regions_are_the_enabled_ones(small_org, emulator, run_job):
    r = small_org
    emulator.reset_stats()
    ok(run_job(r.args(LOOKBACK_DAYS="1"), r.env, now=NOW))
    regions = {region for (_op, region) in emulator.stats()["requests"]}
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= regions  # moto's enabled regions


def test_account_names_come_from_organizations(small_org, run_job, local_aws):
    import boto3
    r = small_org
    org = boto3.client("organizations")
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
        org.create_organization(FeatureSet="ALL")
    accounts = {a["Id"]: a["Name"] for a in org.list_accounts()["Accounts"]}
    ok(run_job(r.args(REGIONS="us-east-1", LOOKBACK_DAYS="1"), r.env, now=NOW))
    rows = read_rows(r.session, r.bucket, "backup_jobs")
    named = {row["account_id"]: row["account_name"] for row in rows}
    assert named[MANAGEMENT_ACCOUNT] == accounts[MANAGEMENT_ACCOUNT] != ""
    assert named[MEMBER] == ""  # not an account of the organisation: unknown, so empty


def test_throttling_that_never_clears_fails_that_region_only_and_keeps_its_rows(small_org, emulator, run_job):
    r = small_org
    args = r.args(REGIONS="us-east-1,eu-west-1", LOOKBACK_DAYS="2")
    ok(run_job(args, r.env, now=NOW))
    before = read_rows(r.session, r.bucket, "backup_jobs")
    emulator.set_faults(throttle_regions=["eu-west-1"])
    emulator.reset_stats()
    # the standard SDK setting shortens the retries, so the test does not wait for 10 backoffs
    result = run_job(args, r.env, now=NOW, extra_env={"AWS_MAX_ATTEMPTS": "2"})
    assert result.returncode == 1
    assert "region eu-west-1" in result.stderr and "ThrottlingException" in result.stderr
    assert "region us-east-1" not in result.stderr
    after = read_rows(r.session, r.bucket, "backup_jobs")
    strip = lambda rows: sorted((x["backup_job_id"], x["status"], x["report_date"], x["region"]) for x in rows)  # noqa: E731
    assert strip(after) == strip(before)
    # one failed day per job type stops that job type's other days (the scans' first call, their whole
    # window): 4 types x 2 attempts; AWS Backup's daily counts are throttled too, one call per type
    # (never failing the run: a WARNING each)
    eu_calls = Counter(op.endswith("JobSummaries") for (op, region), n in emulator.stats()["requests"].items()
                       for _ in range(n) if region == "eu-west-1")
    assert eu_calls == {False: 4 * 2, True: 4 * 2}
    assert result.stderr.count("reconciliation: AWS Backup's counts of") == 4
