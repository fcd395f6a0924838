"""Failed backups reach people and automations, each once: the real Glue entry script against
moto's server (an EventBridge bus whose rule feeds an SQS queue, an SNS topic with an SQS
subscription) and the AWS Backup emulator."""
from __future__ import annotations

import re
from collections import Counter
from typing import Dict, List, Optional, Set, Tuple

import pytest

from backup_report.permissions import actions_from_call_log

from .builders import DenyingEndpoint, DigestCapture, EventCapture, api_job, epoch, objects, read_rows

MEMBER = "210987654321"
NOW = "2026-11-26T23:59:00"
NEXT_DAY = "2026-11-27T23:59:00"
ATTENTION, FINISHED = "Backup Jobs Need Attention", "Backup Report Run Finished"

Key = Tuple[str, str, str, str]


def ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def job(job_type: str, job_id: str, created: str, status: str, completed: Optional[str] = None, **fields):
    if completed:
        fields["CompletionDate"] = epoch(completed)
    return api_job(job_type, job_id, MEMBER, created, status, **fields)


class Target:
    """A report target with both channels captured."""

    def __init__(self, report, run_job):
        self.report, self.run_job = report, run_job
        self.events = EventCapture(report.session, f"bus-{report.bucket}")
        self.digest = DigestCapture(report.session, report.bucket)

    def run(self, now: str = NOW, expect: int = 0, extra_env=None, **args):
        args.setdefault("REGIONS", "us-east-1")
        args.setdefault("EVENT_BUS_NAME", self.events.bus)
        args.setdefault("ALERT_TOPIC_ARN", self.digest.topic_arn)
        result = self.run_job(self.report.args(**args), self.report.env, now=now, extra_env=extra_env)
        assert result.returncode == expect, result.stderr[-3000:]
        return result

    def received(self) -> Tuple[List[Dict], List[Dict], List[Tuple[str, str]]]:
        """(attention events, run finished events, digests) since the last call."""
        events = self.events.drain()
        assert {e["source"] for e in events} <= {"backup-report"}
        return ([e for e in events if e["detail-type"] == ATTENTION],
                [e for e in events if e["detail-type"] == FINISHED], self.digest.drain())

    def alerts(self) -> List[Dict]:
        return read_rows(self.report.session, self.report.bucket, "alerts")


def event_keys(events: List[Dict]) -> List[Key]:
    return [(j["job_type"], j["job_id"], j["status"], j["validation_status"] or "")
            for e in events for j in e["detail"]["jobs"]]


def digest_ids(digests: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    return [m for _, body in digests for m in re.findall(r"^ {5}(backup|copy|restore) job (\S+)$", body, re.M)]


def ledger_keys(rows: List[Dict], channel: str) -> List[Key]:
    return [(r["job_type"], r["job_id"], r["status"], r["validation_status"]) for r in rows
            if channel in r["channels"].split(",")]


@pytest.fixture
def target(report, run_job):
    return Target(report, run_job)


def first_day_jobs(emulator, running_status: str = "RUNNING", running_completed: Optional[str] = None):
    emulator.load_jobs("backup", "us-east-1", [
        job("backup", "b-failed", "2026-11-26T10:00:00", "FAILED", "2026-11-26T10:30:00",
            MessageCategory="ACCESS_DENIED", StatusMessage="Access denied to vault, check the role"),
        job("backup", "b-issues", "2026-11-26T11:00:00", "COMPLETED", "2026-11-26T11:20:00",
            MessageCategory="invalid_parameters", StatusMessage="Windows VSS failed, crash-consistent taken"),
        job("backup", "b-ok", "2026-11-26T12:00:00", "COMPLETED", "2026-11-26T12:10:00", MessageCategory="Success"),
        job("backup", "b-nocategory", "2026-11-26T12:00:00", "COMPLETED", "2026-11-26T12:10:00"),
        job("backup", "b-running", "2026-11-26T20:00:00", running_status, running_completed,
            **({"StatusMessage": "An internal error occurred"} if running_completed else {})),
        # finished 70 hours before the run: reported, never announced
        job("backup", "b-old", "2026-11-24T01:00:00", "FAILED", "2026-11-24T01:30:00", StatusMessage="old"),
    ], replace=True)
    emulator.load_jobs("copy", "us-east-1", [
        job("copy", "c-partial", "2026-11-25T12:00:00", "PARTIAL", "2026-11-25T13:00:00",
            MessageCategory="INTERNAL_ERROR", StatusMessage="Copy partly failed"),
    ], replace=True)
    emulator.load_jobs("restore", "us-east-1", [
        job("restore", "r-validation", "2026-11-26T05:00:00", "COMPLETED", "2026-11-26T06:00:00",
            ValidationStatus="FAILED", ValidationStatusMessage="Validation script exited with status 1"),
        job("restore", "r-passed", "2026-11-26T05:00:00", "COMPLETED", "2026-11-26T06:00:00",
            ValidationStatus="SUCCESSFUL"),
        job("restore", "r-aborted", "2026-11-26T07:00:00", "ABORTED", "2026-11-26T07:05:00",
            StatusMessage="Restore job was stopped by the user."),
    ], replace=True)


FIRST_ITEMS = {("backup", "b-failed", "FAILED", ""), ("backup", "b-issues", "COMPLETED", ""),
               ("copy", "c-partial", "PARTIAL", ""), ("restore", "r-validation", "COMPLETED", "FAILED"),
               ("restore", "r-aborted", "ABORTED", "")}


def test_every_item_is_announced_once_over_daily_rerun_next_day_and_settlement(target, emulator):
    first_day_jobs(emulator)
    target.run(LOOKBACK_DAYS="3", JOB_RUN_ID="jr-day-1")
    attention, finished, digests = target.received()
    assert set(event_keys(attention)) == FIRST_ITEMS and len(event_keys(attention)) == len(FIRST_ITEMS)
    (event,) = attention
    assert (event["detail"]["total"], event["detail"]["part"], event["detail"]["parts"]) == (5, 1, 1)
    failed = next(j for j in event["detail"]["jobs"] if j["job_id"] == "b-failed")
    assert failed == {
        "job_type": "backup", "job_id": "b-failed", "status": "FAILED", "validation_status": None,
        "account_id": MEMBER, "account_name": None, "region": "us-east-1", "resource_type": "EC2",
        "resource_arn": f"arn:aws:ec2:us-east-1:{MEMBER}:instance/i-b-failed", "scan_result_status": None,
        "message_category": "ACCESS_DENIED",
        "status_message": "Access denied to vault, check the role", "creation_date": "2026-11-26T10:00:00.000Z",
        "completion_date": "2026-11-26T10:30:00.000Z", "report_date": "2026-11-26"}
    (done,) = finished
    assert done["detail"]["attention"] == 5 and done["detail"]["succeeded"] is True
    assert done["detail"]["days"] == ["2026-11-24", "2026-11-25", "2026-11-26"]
    assert done["detail"]["counts"]["backup_jobs"] == {"COMPLETED": 3, "FAILED": 2, "RUNNING": 1}
    assert done["detail"]["location"] == f"s3://{target.report.bucket}/backup-reports/"
    (digest,) = digests
    assert digest[0] == "backup-report: 5 backup jobs need attention on 2026-11-26"
    assert sorted(digest_ids(digests)) == sorted((t, i) for t, i, _, _ in FIRST_ITEMS)

    # a rerun with the same arguments: nothing new, so no attention event and no digest
    target.run(LOOKBACK_DAYS="3")
    attention, finished, digests = target.received()
    assert attention == [] and digests == [] and finished[0]["detail"]["attention"] == 0

    # the next day: b-running settled as FAILED, and a new failure; nothing of yesterday again
    first_day_jobs(emulator, running_status="FAILED", running_completed="2026-11-27T02:00:00")
    emulator.load_jobs("backup", "us-east-1", [
        job("backup", "b-new", "2026-11-27T03:00:00", "EXPIRED", "2026-11-27T11:00:00", MessageCategory="EXPIRED")])
    target.run(now=NEXT_DAY, LOOKBACK_DAYS="3")
    attention, finished, digests = target.received()
    expected = {("backup", "b-running", "FAILED", ""), ("backup", "b-new", "EXPIRED", "")}
    assert sorted(event_keys(attention)) == sorted(expected)
    assert sorted(digest_ids(digests)) == sorted((t, i) for t, i, _, _ in expected)

    # the ledger holds exactly what the queues received, each item once per channel
    rows = target.alerts()
    for channel in ("events", "digest"):
        keys = ledger_keys(rows, channel)
        assert sorted(keys) == sorted(FIRST_ITEMS | expected) and len(set(keys)) == len(keys)
    by_id = {r["job_id"]: r for r in rows}
    assert by_id["b-failed"]["run_id"] == "jr-day-1" and by_id["b-failed"]["report_date"] == "2026-11-26"
    assert by_id["b-new"]["report_date"] == "2026-11-27" and by_id["r-validation"]["validation_status"] == "FAILED"
    assert by_id["r-validation"]["status_message"] == "Validation script exited with status 1"


def test_a_backfill_announces_nothing_older_than_the_max_age(target, emulator):
    days = [f"2026-11-{d:02d}" if d > 0 else f"2026-10-{31 + d:02d}" for d in range(-2, 27)]
    jobs = [job("backup", f"b-{d}", f"{d}T12:00:00", "FAILED", f"{d}T12:30:00", StatusMessage="failed") for d in days]
    # created ten days ago, failed an hour before the run: recent by its completion
    jobs.append(job("backup", "b-long", "2026-11-16T12:00:00", "FAILED", "2026-11-26T22:59:00"))
    jobs.append(job("backup", "b-still-running", "2026-11-06T12:00:00", "RUNNING"))
    emulator.load_jobs("backup", "us-east-1", jobs, replace=True)
    target.run(LOOKBACK_DAYS="30")
    attention, finished, digests = target.received()
    expected = {("backup", i, "FAILED", "") for i in ("b-2026-11-25", "b-2026-11-26", "b-long")}
    assert set(event_keys(attention)) == expected and len(event_keys(attention)) == 3
    assert sorted(digest_ids(digests)) == sorted((t, i) for t, i, _, _ in expected)
    assert finished[0]["detail"]["attention"] == 3
    rows = target.alerts()
    assert sorted(ledger_keys(rows, "events")) == sorted(ledger_keys(rows, "digest")) == sorted(expected)
    assert {r["report_date"] for r in rows} == {"2026-11-25", "2026-11-26", "2026-11-16"}
    # and every failure is in the report
    assert len([r for r in read_rows(target.report.session, target.report.bucket, "backup_jobs")
                if r["status"] == "FAILED"]) == 30


def test_2000_failures_are_split_into_events_under_256_kb_and_each_arrives_once(target, emulator):
    reason = "Backup job failed: the snapshot of volume vol-0123456789abcdef0 could not be copied, " * 6
    emulator.load_jobs("backup", "us-east-1", [
        job("backup", f"b-{i:04d}", f"2026-11-26T{i // 100:02d}:{i % 60:02d}:00", "FAILED",
            f"2026-11-26T{i // 100:02d}:{i % 60:02d}:30", MessageCategory="INTERNAL_ERROR",
            StatusMessage=f"{reason}#{i}") for i in range(2000)], replace=True)
    target.run(LOOKBACK_DAYS="1")
    events = target.events.drain()
    attention = [e for e in events if e["detail-type"] == ATTENTION]
    parts = len(attention)
    assert parts >= 4
    for body in target.events.last_bodies:
        assert len(body.encode("utf-8")) < 256 * 1024
    assert sorted(e["detail"]["part"] for e in attention) == list(range(1, parts + 1))
    assert {(e["detail"]["parts"], e["detail"]["total"]) for e in attention} == {(parts, 2000)}
    ids = [j["job_id"] for e in attention for j in e["detail"]["jobs"]]
    assert len(ids) == 2000 and set(ids) == {f"b-{i:04d}" for i in range(2000)}
    (subject, body), = target.digest.drain()
    assert subject == "backup-report: 2000 backup jobs need attention on 2026-11-26"
    assert "Jobs (50 of 2000)" in body and len(digest_ids([(subject, body)])) == 50
    assert len(body.encode("utf-8")) <= 256 * 1024
    rows = target.alerts()
    assert len(rows) == 2000 and {r["channels"] for r in rows} == {"events,digest"}


def test_denied_channels_keep_the_reports_and_the_next_run_announces(target, emulator, run_job):
    first_day_jobs(emulator)
    denied = DenyingEndpoint()
    try:
        env = {"AWS_ENDPOINT_URL_EVENTBRIDGE": denied.url, "AWS_ENDPOINT_URL_SNS": denied.url}
        result = target.run(LOOKBACK_DAYS="3", expect=1, extra_env=env)
    finally:
        denied.stop()
    assert denied.calls >= 3  # the attention event, the digest, the run finished event
    error = next(line for line in result.stderr.splitlines() if line.startswith("backup-report: error:"))
    assert "events: PutEvents to event bus" in error and "AccessDeniedException" in error
    assert "digest: sns:Publish to" in error and "AuthorizationError" in error
    # the reports were written, nothing was recorded as announced
    assert {r["backup_job_id"] for r in read_rows(target.report.session, target.report.bucket, "backup_jobs")} >= {
        "b-failed", "b-issues"}
    assert target.alerts() == []
    assert target.received() == ([], [], [])

    target.run(LOOKBACK_DAYS="3")
    attention, _, digests = target.received()
    assert sorted(event_keys(attention)) == sorted(FIRST_ITEMS)
    assert sorted(digest_ids(digests)) == sorted((t, i) for t, i, _, _ in FIRST_ITEMS)


def test_a_denied_digest_is_sent_by_the_next_run_and_the_events_are_not_repeated(target, emulator):
    first_day_jobs(emulator)
    denied = DenyingEndpoint()
    try:
        result = target.run(LOOKBACK_DAYS="3", expect=1, extra_env={"AWS_ENDPOINT_URL_SNS": denied.url})
    finally:
        denied.stop()
    assert "digest: sns:Publish" in result.stderr and "events:" not in result.stderr.split("error:", 1)[1]
    attention, _, digests = target.received()
    assert sorted(event_keys(attention)) == sorted(FIRST_ITEMS) and digests == []
    assert sorted(ledger_keys(target.alerts(), "events")) == sorted(FIRST_ITEMS)
    assert ledger_keys(target.alerts(), "digest") == []

    target.run(LOOKBACK_DAYS="3")
    attention, _, digests = target.received()
    assert attention == [] and sorted(digest_ids(digests)) == sorted((t, i) for t, i, _, _ in FIRST_ITEMS)
    rows = target.alerts()
    assert Counter(r["channels"] for r in rows) == Counter({"events": 5, "digest": 5})


def test_event_bus_none_sends_no_event_and_no_topic_no_digest(target, emulator, tmp_path):
    first_day_jobs(emulator)
    log = tmp_path / "calls.log"
    target.run(LOOKBACK_DAYS="3", EVENT_BUS_NAME="none", ALERT_TOPIC_ARN=None,
               extra_env={"BACKUP_REPORT_CALL_LOG": str(log)})
    used: Set[str] = actions_from_call_log(log.read_text().splitlines())["job"]
    assert not {"events:PutEvents", "sns:Publish"} & used
    assert target.received() == ([], [], [])
    assert not objects(target.report.session, target.report.bucket, "backup-reports/alerts/")

    # with a topic only: the digest, still no event
    target.run(LOOKBACK_DAYS="3", EVENT_BUS_NAME="none", extra_env={"BACKUP_REPORT_CALL_LOG": str(log)})
    assert "events:PutEvents" not in actions_from_call_log(log.read_text().splitlines())["job"]
    attention, finished, digests = target.received()
    assert attention == finished == [] and len(digests) == 1
    assert {r["channels"] for r in target.alerts()} == {"digest"}


def test_failed_slices_alone_send_a_digest(target, emulator):
    emulator.set_faults(denied=[["us-east-1", "ListCopyJobs"]])
    try:
        target.run(LOOKBACK_DAYS="1", expect=1)
    finally:
        emulator.set_faults()
    attention, finished, digests = target.received()
    assert attention == []
    (detail,) = [f["detail"] for f in finished]
    assert detail["succeeded"] is False and detail["attention"] == 0
    assert [(s["job_type"], s["region"], s["report_date"]) for s in detail["failed_slices"]] == [
        ("copy", "us-east-1", "2026-11-26")]
    assert "AccessDenied" in detail["failed_slices"][0]["error"]
    (subject, body), = digests
    assert subject == "backup-report: 1 report slice failed on 2026-11-26"
    assert "copy jobs, us-east-1, 2026-11-26: AccessDenied" in body
