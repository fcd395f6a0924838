"""Proven complete, end to end: the real entry script against the emulator's ``List*JobSummaries``
(``summaries``, ``reconcile``, ``reconciliation``): what it records, what it heals, what it never touches."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from backup_report.local import synthetic
from backup_report.local.announcements import EventCapture

from .builders import api_job, objects, read_rows

REGIONS = ("us-east-1", "eu-west-1")
FIRST = dt.date(2026, 11, 10)
DAYS = 16  # 11-10 .. 11-25, settled
CLOCK = "2026-11-26T23:59:00"
NEXT_CLOCK = "2026-11-27T23:59:00"
SUMMARIES = ("ListBackupJobSummaries", "ListCopyJobSummaries", "ListRestoreJobSummaries", "ListScanJobSummaries")


def ok(result):
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture
def settled(report, emulator):
    """A settled 16-day history of a small organisation in two regions, loaded as AWS Backup holds it;
    returns (report, AWS Backup's counts by (day, job type, region, account, state))."""
    spec = synthetic.OrgSpec(accounts=synthetic.default_accounts(3), regions=list(REGIONS), first_day=FIRST,
                             days=DAYS, backup_jobs_per_day=6, copy_jobs_per_day=3, restore_jobs_per_day=3, seed=5)
    counts: Counter = Counter()
    for job_type, region, _day, jobs in synthetic.iter_chunks(spec):
        jobs = synthetic.settle(jobs, 0)
        emulator.load_jobs(job_type, region, jobs)
        for job in jobs:
            day = synthetic.to_datetime(job["CreationDate"]).date()
            counts[(day.isoformat(), job_type, region, job["AccountId"], job[synthetic.STATUS_FIELD[job_type]])] += 1
    return report, counts


def run(run_job, report, now=CLOCK, lookback="3", run_id="", **args):
    extra = {"JOB_RUN_ID": run_id} if run_id else {}
    return run_job(report.args(REGIONS=",".join(REGIONS), LOOKBACK_DAYS=lookback, **extra, **args), report.env, now=now)


def reconciliation(report, run_id=None):
    rows = read_rows(report.session, report.bucket, "reconciliation")
    return [r for r in rows if run_id is None or r["run_id"] == run_id]


def reasons(report, run_id):
    return sorted((r["report_date"], r["job_type"], r["region"], r["reason"])
                  for r in read_rows(report.session, report.bucket, "report_runs") if r["run_id"] == run_id)


def test_a_settled_history_equals_aws_backups_counts_and_a_rerun_rewrites_nothing(settled, run_job):
    report, counts = settled
    ok(run(run_job, report, lookback="17", run_id="run-all"))
    rows = reconciliation(report)
    # 14 days: the 13 whole days before the clock's, and the oldest AWS returned
    assert {r["report_date"] for r in rows} == {(FIRST + dt.timedelta(days=n)).isoformat() for n in range(2, DAYS)}
    expected = {k: n for k, n in counts.items() if k[0] >= "2026-11-12"}
    assert {(r["report_date"], r["job_type"], r["region"], r["account_id"], r["state"]): int(r["aws_backup"])
            for r in rows} == expected
    assert all(r["reported"] == r["aws_backup"] and r["difference"] == "0" for r in rows)
    assert {r["action"] for r in rows if r["report_date"] < "2026-11-25"} == {"equal"}
    assert {r["action"] for r in rows if r["report_date"] == "2026-11-25"} == {"not_comparable"}  # ended < 24 h ago
    assert rows[0]["summary_start"] == f"{rows[0]['report_date']} 00:00:00.000000"

    second = ok(run(run_job, report, run_id="run-again"))
    assert {reason for *_, reason in reasons(report, "run-again")} == {"window"}
    assert "reconciliation: 13 day(s) checked, 0 slice(s) rewritten, 0 differing;" in second.stdout
    # a rerun replaces each day's object of a job type and region: one run's rows per day
    assert {r["run_id"] for r in reconciliation(report)} == {"run-again"}


def test_a_removed_object_and_a_late_job_are_found_and_healed_by_the_next_run(settled, emulator, run_job):
    report, counts = settled
    ok(run(run_job, report, lookback="17"))
    s3 = report.session.client("s3")
    day_objects = {k: v for k, v in objects(report.session, report.bucket,
                                            "backup-reports/backup_jobs/report_date=2026-11-18/").items()
                   if "/us-east-1_" in k}
    before = {r["backup_job_id"] for r in read_rows(report.session, report.bucket, "backup_jobs")}
    s3.delete_object(Bucket=report.bucket, Key=sorted(day_objects)[0])
    assert len({r["backup_job_id"] for r in read_rows(report.session, report.bucket, "backup_jobs")}) < len(before)
    account = sorted({k[3] for k in counts})[0]
    emulator.load_jobs("copy", "eu-west-1", [api_job("copy", "c-late", account, "2026-11-20T08:00:00", "COMPLETED")])
    capture = EventCapture(report.session, f"heal-{report.bucket}")

    result = ok(run(run_job, report, now=NEXT_CLOCK, run_id="run-heal", EVENT_BUS_NAME=capture.bus))
    assert {r["backup_job_id"] for r in read_rows(report.session, report.bucket, "backup_jobs")} == before
    assert "c-late" in {r["copy_job_id"] for r in read_rows(report.session, report.bucket, "copy_jobs")}
    healed = [x for x in reasons(report, "run-heal") if x[3] == "reconciling"]
    assert healed == [("2026-11-18", "backup", "us-east-1", "reconciling"),
                      ("2026-11-20", "copy", "eu-west-1", "reconciling")]
    rows = reconciliation(report, "run-heal")
    rewritten = {(r["report_date"], r["job_type"], r["region"]) for r in rows if r["action"] == "rewritten"}
    assert rewritten == {x[:3] for x in healed}
    assert all(r["reported"] == r["aws_backup"] for r in rows)
    (finished,) = [e["detail"] for e in capture.drain() if e["detail-type"] == "Backup Report Run Finished"]
    assert finished["reconciliation"] == {"days_checked": 13, "slices_differing": 0, "differences": [],
                                          "errors": [], "slices_rewritten": 2}
    assert "reconciliation: 13 day(s) checked, 2 slice(s) rewritten, 0 differing;" in result.stdout


def test_denied_summaries_leave_the_report_as_it_is_and_the_run_succeeds(settled, emulator, run_job):
    report, _ = settled
    ok(run(run_job, report, lookback="17", run_id="run-all"))
    jobs_before = {t: sorted(json.dumps(r, sort_keys=True) for r in read_rows(report.session, report.bucket, t)
                             if not r.update(_key=None)) for t in ("backup_jobs", "copy_jobs", "restore_jobs")}
    compared_before = objects(report.session, report.bucket, "backup-reports/reconciliation/")
    emulator.set_faults(denied=[[region, op] for region in REGIONS for op in SUMMARIES])
    try:
        result = ok(run(run_job, report, run_id="run-denied"))
    finally:
        emulator.set_faults()
    jobs_after = {t: sorted(json.dumps(r, sort_keys=True) for r in read_rows(report.session, report.bucket, t)
                            if not r.update(_key=None)) for t in ("backup_jobs", "copy_jobs", "restore_jobs")}
    assert jobs_after == jobs_before
    assert objects(report.session, report.bucket, "backup-reports/reconciliation/") == compared_before
    assert {reason for *_, reason in reasons(report, "run-denied")} == {"window"}
    assert result.stderr.count("reconciliation: AWS Backup's counts of") == len(REGIONS) * len(SUMMARIES)
    assert "AccessDeniedException" in result.stderr
    assert (f"reconciliation: 0 day(s) checked, 0 slice(s) rewritten, 0 differing, {len(REGIONS) * len(SUMMARIES)} "
            "error(s);") in result.stdout


def test_a_slice_written_before_manifests_is_compared_by_its_report_runs_totals(settled, emulator, run_job):
    report, counts = settled
    ok(run(run_job, report, lookback="17"))
    s3 = report.session.client("s3")
    s3.delete_object(Bucket=report.bucket,  # as an older version left it: no manifest
                     Key="backup-reports/manifests/backup_jobs/report_date=2026-11-18/us-east-1.json")
    ok(run(run_job, report, run_id="run-totals"))
    assert [x for x in reasons(report, "run-totals") if x[3] != "window"] == []  # equal totals: not rewritten
    rows = [r for r in reconciliation(report, "run-totals")
            if (r["report_date"], r["job_type"], r["region"]) == ("2026-11-18", "backup", "us-east-1")]
    assert rows and all(r["reported"] == "" and r["action"] == "equal" for r in rows)

    account = sorted({k[3] for k in counts})[0]
    emulator.load_jobs("backup", "us-east-1", [api_job("backup", "b-late", account, "2026-11-18T08:00:00",
                                                       "COMPLETED")])
    ok(run(run_job, report, run_id="run-late"))
    assert [x for x in reasons(report, "run-late") if x[3] != "window"] == [
        ("2026-11-18", "backup", "us-east-1", "reconciling")]
    assert objects(report.session, report.bucket, "backup-reports/manifests/backup_jobs/report_date=2026-11-18/")
