"""Malware scan jobs end to end: the real Glue entry script against moto's server and the emulator,
``scan_jobs`` read back the way Athena reads it (the local engine), ``report_runs``, announcements."""
from __future__ import annotations

import datetime as dt
import re
from typing import Dict, Optional, Set, Tuple

import pytest

from backup_report.local.athena import LocalAthena

from .builders import DigestCapture, EventCapture, api_job, catalog_partitions, epoch, read_rows, s3_partitions

MEMBER = "210987654321"
NOW = "2026-11-26T23:59:00"
LATER = "2026-11-27T02:00:00"  # the same window, rerun once the scans have finished
WINDOW = dict(REPORT_DATE="2026-11-26", LOOKBACK_DAYS="7")  # 2026-11-20 .. 2026-11-26
DAYS = {f"2026-11-{d}" for d in range(20, 27)}


def ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def scan(scan_id: str, created: str, state: str, completed: Optional[str] = None, result: str = "", **fields):
    """A scan job as ListScanJobs' JSON carries it."""
    item = {"ScanJobId": scan_id, "AccountId": MEMBER, "CreationDate": epoch(created), "State": state,
            "ResourceType": "EBS", "ResourceArn": f"arn:aws:ec2:us-east-1:{MEMBER}:volume/vol-{scan_id}",
            "ResourceName": f"volume-{scan_id}", "BackupVaultName": "org-backup-vault",
            "BackupVaultArn": f"arn:aws:backup:us-east-1:{MEMBER}:backup-vault:org-backup-vault",
            "RecoveryPointArn": f"arn:aws:ec2:us-east-1::snapshot/snap-{scan_id}", "MalwareScanner": "GUARDDUTY",
            "ScanMode": "INCREMENTAL_SCAN", **fields}
    if completed:
        item["CompletionDate"] = epoch(completed)
    if result:
        item["ScanResult"] = {"ScanResultStatus": result}
    return item


#: Scans created before, inside and at the end of the window; finishing across day boundaries, still
#: running, failed without a CompletionDate (listed by state only).
SCANS = [
    scan("s-before", "2026-11-19T22:00:00", "COMPLETED", "2026-11-20T01:00:00", "NO_THREATS_FOUND"),
    scan("s-first", "2026-11-20T00:00:00.500", "COMPLETED", "2026-11-20T01:00:00", "NO_THREATS_FOUND"),
    scan("s-running", "2026-11-21T05:00:00", "RUNNING"),
    scan("s-cross", "2026-11-22T23:50:00", "COMPLETED", "2026-11-23T00:20:00", "NO_THREATS_FOUND"),
    scan("s-failed-undated", "2026-11-23T10:00:00", "FAILED", StatusMessage="The scan failed, retry"),
    scan("s-canceled", "2026-11-24T09:00:00", "CANCELED", "2026-11-24T09:05:00"),
    scan("s-threat", "2026-11-25T06:00:00", "COMPLETED", "2026-11-25T06:30:00", "THREATS_FOUND",
         StatusMessage="Malware was found"),
    scan("s-issues", "2026-11-25T07:00:00", "COMPLETED_WITH_ISSUES", "2026-11-25T07:40:00", "NO_THREATS_FOUND",
         StatusMessage="3 files could not be scanned"),
    scan("s-created", "2026-11-26T20:00:00", "CREATED"),
    scan("s-last", "2026-11-26T23:59:59.500", "RUNNING"),
]
EXPECTED = {("s-first", "2026-11-20", "COMPLETED"), ("s-running", "2026-11-21", "RUNNING"),
            ("s-cross", "2026-11-22", "COMPLETED"), ("s-failed-undated", "2026-11-23", "FAILED"),
            ("s-canceled", "2026-11-24", "CANCELED"), ("s-threat", "2026-11-25", "COMPLETED"),
            ("s-issues", "2026-11-25", "COMPLETED_WITH_ISSUES"), ("s-created", "2026-11-26", "CREATED"),
            ("s-last", "2026-11-26", "RUNNING")}


def athena_rows(database: str, region: str = "us-east-1") -> Set[Tuple[str, str, str]]:
    """(scan id, report day, status) of every row of scan_jobs in ``region``, read as Athena reads it."""
    frame = LocalAthena(database, today=dt.date(2026, 11, 27)).run(
        f"select scan_job_id, report_date, status from scan_jobs where region = '{region}' "
        "and report_date between date '2026-11-01' and date '2026-11-30'").frame
    rows = [(r.scan_job_id, str(r.report_date)[:10], r.status) for r in frame.itertuples(index=False)]
    assert len(rows) == len(set(rows)), "a scan appears twice"
    return set(rows)


@pytest.fixture
def scans(report, emulator):
    emulator.load_jobs("scan", "us-east-1", SCANS)
    return report


def test_the_window_holds_each_scan_created_in_it_once_under_its_latest_state(scans, emulator, run_job):
    r = scans
    ok(run_job(r.args(REGIONS="us-east-1", JOB_RUN_ID="jr-1", **WINDOW), r.env, now=NOW))
    assert athena_rows(r.database) == EXPECTED
    by_id = {row["scan_job_id"]: row for row in read_rows(r.session, r.bucket, "scan_jobs")}
    threat = by_id["s-threat"]
    assert (threat["scan_result_status"], threat["recovery_point_arn"], threat["duration_seconds"]) == (
        "THREATS_FOUND", "arn:aws:ec2:us-east-1::snapshot/snap-s-threat", "1800")
    assert by_id["s-running"]["scan_result_status"] == "" and by_id["s-running"]["completion_date"] == ""
    runs = {(row["report_date"], row["job_type"]): row for row in read_rows(r.session, r.bucket, "report_runs")}
    assert {d for d, t in runs if t == "scan"} == DAYS
    assert (runs[("2026-11-24", "scan")]["canceled"], runs[("2026-11-25", "scan")]["completed_with_issues"],
            runs[("2026-11-25", "scan")]["job_count"], runs[("2026-11-26", "scan")]["running"]) == ("1", "1", "2", "1")
    assert all(row["succeeded"] == "true" and row["reason"] == "window" for row in runs.values())
    calls = emulator.stats()["requests"]
    assert calls[("ListScanJobs", "us-east-1")] == 5  # CREATED, RUNNING, completed, FAILED, CANCELED: once a window

    # the scans finish: a rerun of the window moves each to its final state, leaving no stale partition
    emulator.load_jobs("scan", "us-east-1", [
        scan("s-running", "2026-11-21T05:00:00", "COMPLETED", "2026-11-27T00:30:00", "NO_THREATS_FOUND"),
        scan("s-created", "2026-11-26T20:00:00", "FAILED", "2026-11-27T00:40:00"),
        scan("s-last", "2026-11-26T23:59:59.500", "COMPLETED", "2026-11-27T01:00:00", "THREATS_FOUND")])
    ok(run_job(r.args(REGIONS="us-east-1", JOB_RUN_ID="jr-2", **WINDOW), r.env, now=LATER))
    moved = {("s-running", "2026-11-21", "COMPLETED"), ("s-created", "2026-11-26", "FAILED"),
             ("s-last", "2026-11-26", "COMPLETED")}
    assert athena_rows(r.database) == {x for x in EXPECTED if x[0] not in {m[0] for m in moved}} | moved
    for where in (s3_partitions(r.session, r.bucket, "scan_jobs"),
                  catalog_partitions(r.session, r.database, "scan_jobs")):
        assert ("2026-11-21", "RUNNING") not in where and ("2026-11-26", "CREATED") not in where


def test_job_types_without_scan_make_no_scan_call_and_keep_the_scan_rows(scans, emulator, run_job):
    r = scans
    ok(run_job(r.args(REGIONS="us-east-1", **WINDOW), r.env, now=NOW))
    emulator.load_jobs("scan", "us-east-1", [scan("s-new", "2026-11-26T21:00:00", "RUNNING")])
    emulator.load_jobs("backup", "us-east-1", [api_job("backup", "b-1", MEMBER, "2026-11-26T01:00:00", "RUNNING")])
    emulator.reset_stats()
    ok(run_job(r.args(REGIONS="us-east-1", JOB_TYPES="backup,copy,restore", JOB_RUN_ID="jr-no-scan", **WINDOW),
               r.env, now=NOW))
    listed = {op for op, _region in emulator.stats()["requests"]}
    assert listed == {"ListBackupJobs", "ListCopyJobs", "ListRestoreJobs",  # and AWS Backup's counts of those only
                      "ListBackupJobSummaries", "ListCopyJobSummaries", "ListRestoreJobSummaries"}
    assert athena_rows(r.database) == EXPECTED  # not listed, not touched
    ledger = [row for row in read_rows(r.session, r.bucket, "report_runs") if row["run_id"] == "jr-no-scan"]
    assert ledger and {row["job_type"] for row in ledger} == {"backup", "copy", "restore"}


def test_a_denied_scan_listing_fails_only_its_slices_and_keeps_their_rows(scans, emulator, run_job):
    r = scans
    emulator.load_jobs("scan", "eu-west-1", [scan("s-eu", "2026-11-24T01:00:00", "RUNNING")])
    args = r.args(REGIONS="us-east-1,eu-west-1", **WINDOW)
    ok(run_job(args, r.env, now=NOW))
    emulator.load_jobs("scan", "eu-west-1", [scan("s-eu", "2026-11-24T01:00:00", "COMPLETED", "2026-11-24T02:00:00",
                                                  "NO_THREATS_FOUND")])
    emulator.load_jobs("scan", "us-east-1", [scan("s-new", "2026-11-26T21:00:00", "RUNNING")])
    emulator.set_faults(denied=[["eu-west-1", "ListScanJobs"]])
    result = run_job(args + ["--JOB_RUN_ID", "jr-denied"], r.env, now=NOW)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "region eu-west-1, scan jobs, 7 day(s)" in result.stderr and "AccessDenied" in result.stderr
    assert athena_rows(r.database, "eu-west-1") == {("s-eu", "2026-11-24", "RUNNING")}  # kept
    assert athena_rows(r.database) == EXPECTED | {("s-new", "2026-11-26", "RUNNING")}  # refreshed
    ledger = [row for row in read_rows(r.session, r.bucket, "report_runs") if row["run_id"] == "jr-denied"]
    failed = {(row["job_type"], row["region"], row["report_date"]) for row in ledger if row["succeeded"] == "false"}
    assert failed == {("scan", "eu-west-1", day) for day in DAYS}
    assert all("AccessDenied" in row["error"] and row["job_count"] == "" and row["canceled"] == ""
               for row in ledger if row["succeeded"] == "false")
    assert len(ledger) == 2 * 4 * 7


def test_a_threat_found_is_announced_once_first_in_the_digest(scans, run_job):
    r = scans
    events, digests = EventCapture(r.session, f"bus-{r.bucket}"), DigestCapture(r.session, r.bucket)
    args = r.args(REGIONS="us-east-1", EVENT_BUS_NAME=events.bus, ALERT_TOPIC_ARN=digests.topic_arn, **WINDOW)
    ok(run_job(args, r.env, now=NOW))
    jobs = [j for e in events.drain() if e["detail-type"] == "Backup Jobs Need Attention" for j in e["detail"]["jobs"]]
    scans_announced: Dict[str, Dict] = {j["job_id"]: j for j in jobs if j["job_type"] == "scan"}
    # s-failed-undated is older than ALERT_MAX_AGE_HOURS (its creation: it has no completion)
    assert sorted(scans_announced) == ["s-issues", "s-threat"]
    threat = scans_announced["s-threat"]
    assert (threat["status"], threat["scan_result_status"], threat["validation_status"]) == (
        "COMPLETED", "THREATS_FOUND", None)
    assert scans_announced["s-issues"]["scan_result_status"] == "NO_THREATS_FOUND"
    ((subject, body),) = digests.drain()
    assert subject == "backup-report: 1 scan found MALWARE, 2 backup jobs need attention on 2026-11-26"
    assert body.index("MALWARE FOUND (1 of 1)") < body.index("By status")
    assert re.search(r"^  1\. 210987654321, us-east-1: scan THREATS_FOUND, 2026-11-25 06:30 UTC\n"
                     r" {5}EBS volume-s-threat \(arn:aws:ec2:us-east-1:210987654321:volume/vol-s-threat\)\n"
                     r" {5}recovery point arn:aws:ec2:us-east-1::snapshot/snap-s-threat in vault org-backup-vault\n",
                     body, re.M)
    ledger = read_rows(r.session, r.bucket, "alerts")
    assert {(row["job_id"], row["status"], row["scan_result_status"], row["validation_status"])
            for row in ledger} == {("s-threat", "COMPLETED", "THREATS_FOUND", ""),
                                   ("s-issues", "COMPLETED_WITH_ISSUES", "NO_THREATS_FOUND", "")}

    ok(run_job(args, r.env, now=NOW))  # once: nothing new the second time
    assert [e for e in events.drain() if e["detail-type"] == "Backup Jobs Need Attention"] == []
    assert digests.drain() == [] and len(read_rows(r.session, r.bucket, "alerts")) == 2
