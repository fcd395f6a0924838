"""Until final, end to end: the real entry script against the emulator, day after day, while AWS
Backup's state moves on after a day left the window (``settle``, ``carry``)."""
from __future__ import annotations

import pytest

from backup_report.local.announcements import EventCapture
from backup_report.settle import EXPIRED_CAUSE

from .builders import api_job, catalog_partitions, epoch, read_rows, s3_partitions

MEMBER = "210987654321"
DAY = "2026-11-20"  # D: the day the long jobs were created
REGIONS = "us-east-1,eu-west-1"


def ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def rows_of(report, table, key):
    return {row[key]: row for row in read_rows(report.session, report.bucket, table)}


def ledger(report, day=DAY):
    return [row for row in read_rows(report.session, report.bucket, "report_runs") if row["report_date"] == day]


@pytest.fixture
def long_jobs(report, emulator):
    """Day D: a backup still RUNNING, a restore test COMPLETED but still VALIDATING, a completed
    backup that AWS Backup will stop listing (us-east-1); a backup that never ends (eu-west-1)."""
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", "b-long", MEMBER, f"{DAY}T02:00:00", "RUNNING"),
        api_job("backup", "b-gone", MEMBER, f"{DAY}T03:00:00", "COMPLETED", CompletionDate=epoch(f"{DAY}T04:00:00")),
        api_job("backup", "b-done", MEMBER, f"{DAY}T05:00:00", "COMPLETED", CompletionDate=epoch(f"{DAY}T06:00:00")),
    ])
    emulator.load_jobs("restore", "us-east-1", [
        api_job("restore", "r-test", MEMBER, f"{DAY}T07:00:00", "COMPLETED", CompletionDate=epoch(f"{DAY}T08:00:00"),
                ValidationStatus="VALIDATING",
                CreatedBy={"RestoreTestingPlanArn": "arn:aws:backup:us-east-1:210987654321:restore-testing-plan:t"}),
    ])
    emulator.load_jobs("backup", "eu-west-1", [api_job("backup", "b-stuck", MEMBER, f"{DAY}T09:00:00", "RUNNING")])
    return report


def daily(run_job, report, now, run_id, **args):
    return ok(run_job(report.args(REGIONS=REGIONS, LOOKBACK_DAYS="3", JOB_RUN_ID=run_id, **args), report.env,
                      now=f"{now}T23:59:00"))


def test_jobs_that_outlive_the_window_settle_once_aws_backup_reports_them_final(long_jobs, emulator, run_job):
    r = long_jobs
    daily(run_job, r, DAY, "run-d")
    (day_row,) = [x for x in ledger(r) if (x["job_type"], x["region"]) == ("restore", "us-east-1")]
    assert day_row["validating"] == "1" and day_row["reason"] == "window"

    # Five days later AWS Backup has finished them; one job it no longer lists at all.
    emulator.patch_job("backup", "us-east-1", "b-long", State="COMPLETED", CompletionDate=epoch("2026-11-25T10:00:00"))
    emulator.patch_job("restore", "us-east-1", "r-test", ValidationStatus="SUCCESSFUL")
    emulator.remove_jobs("backup", "us-east-1", ["b-gone"])
    result = daily(run_job, r, "2026-11-26", "run-d6")  # D is D-6: three days outside the window

    backups = [x for x in read_rows(r.session, r.bucket, "backup_jobs") if x["backup_job_id"] in ("b-long", "b-gone")]
    assert sorted((x["backup_job_id"], x["report_date"], x["status"]) for x in backups) == [
        ("b-gone", DAY, "COMPLETED"), ("b-long", DAY, "COMPLETED")]  # once each, nowhere else
    assert rows_of(r, "restore_jobs", "restore_job_id")["r-test"]["validation_status"] == "SUCCESSFUL"
    running = [x["backup_job_id"] for x in read_rows(r.session, r.bucket, "backup_jobs") if x["status"] == "RUNNING"]
    assert running == ["b-stuck"]  # eu-west-1's, which never ends
    assert s3_partitions(r.session, r.bucket, "backup_jobs") == catalog_partitions(r.session, r.database, "backup_jobs")
    settled = {(x["job_type"], x["region"]): x for x in ledger(r) if x["run_id"] == "run-d6"}
    assert settled[("backup", "us-east-1")]["reason"] == "settling"
    assert settled[("backup", "us-east-1")]["running"] == "0" and settled[("backup", "us-east-1")]["completed"] == "3"
    assert settled[("restore", "us-east-1")]["validating"] == "0"
    assert set(settled) == {("backup", "us-east-1"), ("restore", "us-east-1"), ("backup", "eu-west-1")}
    # the job AWS Backup no longer lists is kept, and said so
    assert "1 job(s) the listing no longer returns kept under their last status: b-gone" in result.stderr

    # the next day nothing changed: only the one that is still running is rewritten again
    daily(run_job, r, "2026-11-27", "run-d7")
    again = [(x["job_type"], x["region"], x["reason"]) for x in ledger(r) if x["run_id"] == "run-d7"]
    assert again == [("backup", "eu-west-1", "settling")]


def test_a_day_past_aws_backups_retention_is_given_up_once_and_never_listed(long_jobs, emulator, run_job):
    r = long_jobs
    daily(run_job, r, DAY, "run-d")
    emulator.reset_stats()
    first = daily(run_job, r, "2026-12-19", "run-expired")  # D is the clock's day minus 29
    expired = sorted((x for x in ledger(r) if x["reason"] == "expired"), key=lambda x: (x["job_type"], x["region"]))
    assert [(x["job_type"], x["region"], x["run_id"], x["succeeded"]) for x in expired] == [
        ("backup", "eu-west-1", "run-expired", "false"), ("backup", "us-east-1", "run-expired", "false"),
        ("restore", "us-east-1", "run-expired", "false")]  # the restore test still validating too
    assert all(x["job_count"] == "" and x["running"] == "" for x in expired)  # NULL, like any slice not written
    assert expired[0]["error"] == EXPIRED_CAUSE.format(pending=1, run_id="run-d")
    assert first.stderr.count("retention ended; report_runs records them as expired") == 1
    # never listed: the window's three days, one page each, per region
    requests = emulator.stats()["requests"]
    assert requests[("ListBackupJobs", "eu-west-1")] == requests[("ListBackupJobs", "us-east-1")] == 3
    assert rows_of(r, "backup_jobs", "backup_job_id")["b-stuck"]["status"] == "RUNNING"  # as last seen

    second = daily(run_job, r, "2026-12-20", "run-after")
    assert [x["run_id"] for x in ledger(r) if x["reason"] == "expired"] == ["run-expired"] * 3
    assert "retention ended" not in second.stderr


def test_a_settled_job_that_needs_attention_is_announced_once(long_jobs, emulator, run_job):
    r = long_jobs
    capture = EventCapture(r.session, f"settle-{r.bucket}")
    daily(run_job, r, DAY, "run-d", EVENT_BUS_NAME=capture.bus)
    capture.drain()
    emulator.patch_job("backup", "us-east-1", "b-long", State="FAILED", CompletionDate=epoch("2026-11-26T10:00:00"),
                       StatusMessage="The EFS file system was deleted while it was backed up")
    for run_id in ("run-d6", "run-d6-again"):
        daily(run_job, r, "2026-11-26", run_id, EVENT_BUS_NAME=capture.bus)
    attention = [e["detail"] for e in capture.drain() if e["detail-type"] == "Backup Jobs Need Attention"]
    assert [(j["job_id"], j["status"], j["report_date"]) for e in attention for j in e["jobs"]] == [
        ("b-long", "FAILED", DAY)]  # once: the second run reads the alerts ledger of that day too
    alerts = read_rows(r.session, r.bucket, "alerts")
    assert [(a["job_id"], a["report_date"], a["run_id"]) for a in alerts] == [("b-long", DAY, "run-d6")]
    assert (DAY,) in catalog_partitions(r.session, r.database, "alerts")
