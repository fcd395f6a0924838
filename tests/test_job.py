"""The run (``job.run``) and its exit status (``job.main``), in process against the local AWS.

The job as Glue runs it, a process of its own, is in ``test_job_e2e.py`` and ``test_job_logs.py``.
"""
from __future__ import annotations

import datetime as dt
import gc
import re
import runpy
import sys

import pytest

from backup_report import job
from backup_report.arguments import parse_arguments

from .builders import ENTRY_SCRIPT, MANAGEMENT_ACCOUNT, api_job, read_rows

NOW = "2026-11-26T23:59:00"
REGIONS = ("us-east-1", "eu-west-1")


@pytest.fixture
def small_org(report, emulator, monkeypatch):
    """A few jobs in two regions over two days; the run lists on threads of this process."""
    monkeypatch.setenv("BACKUP_REPORT_PROCESSES", "1")
    monkeypatch.setenv("BACKUP_REPORT_NOW", NOW)
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", "b-1", MANAGEMENT_ACCOUNT, "2026-11-25T03:00:00", "COMPLETED"),
        api_job("backup", "b-2", MANAGEMENT_ACCOUNT, "2026-11-26T03:00:00", "FAILED", StatusMessage="disk gone")])
    emulator.load_jobs("copy", "eu-west-1", [
        api_job("copy", "c-1", MANAGEMENT_ACCOUNT, "2026-11-26T05:00:00", "COMPLETED")])
    return report


def test_a_run_reports_every_slice_by_region_job_type_and_day(small_org):
    settings = parse_arguments(small_org.args(REGIONS=",".join(REGIONS), LOOKBACK_DAYS="2"))
    report = job.run(settings)
    days = (dt.date(2026, 11, 25), dt.date(2026, 11, 26))
    assert [(r.region, r.job_type, r.day) for r in report.results] == [
        (region, job_type, day) for region in REGIONS for job_type in ("backup", "copy", "restore", "scan")
        for day in days]
    assert all(r.written for r in report.results) and report.failures is None
    jobs = {(r.region, r.job_type, r.day): sum(r.counts.values()) for r in report.results if r.counts}
    assert jobs == {("us-east-1", "backup", days[0]): 1, ("us-east-1", "backup", days[1]): 1,
                    ("eu-west-1", "copy", days[1]): 1}
    assert report.ledger_paths == [f"s3://{small_org.bucket}/{small_org.prefix}/report_runs/report_date={day}/"
                                   f"{settings.run_id}.csv" for day in days]
    assert len(read_rows(small_org.session, small_org.bucket, "report_runs")) == len(report.results)
    # one page a slice, five a scan lane (its window at once), every one parsed on the fast path
    assert report.pages == (12 + 2 * 5, 0)


def test_a_run_with_a_denied_region_exits_1_and_its_last_line_is_the_summary(small_org, emulator, capsys):
    emulator.set_faults(denied_regions=["eu-west-1"])
    try:
        status = job.main(small_org.args(REGIONS=",".join(REGIONS), LOOKBACK_DAYS="2", JOB_RUN_ID="jr_denied"))
    finally:
        emulator.set_faults()
    out, err = capsys.readouterr()
    assert status == 1, err[-3000:]
    error_line, summary = err.splitlines()[-2:]
    assert error_line.startswith("backup-report: error: 8 of 16 job slice(s) could not be fetched")
    # the scan lane lists its window at once: both its days failed (none skipped)
    assert re.sub(r"; \d+\.\ds$", "", summary).endswith(
        "ERROR backup_report: run jr_denied failed (exit status 1): 8 job slice(s) written, 5 failed, 3 skipped; "
        f"jobs written to s3://{small_org.bucket}/{small_org.prefix}/: backup_jobs 2, copy_jobs 0, restore_jobs 0, "
        "scan_jobs 0; pages parsed: 11 fast, 0 by botocore; reconciliation: 12 day(s) checked, 0 slice(s) rewritten, "
        "0 differing, 4 error(s)")  # the denied calls' answers are errors, not pages; its summaries too
    assert "INFO backup_report: backup jobs us-east-1 2026-11-26: 1 jobs written" in out


def test_main_leaves_the_interpreter_as_python_set_it():
    """Interpreter tuning belongs to the Glue entry script: ``backup-report run`` and tests keep
    Python's settings."""
    gc.collect()  # nothing frozen by an earlier test either
    interval, thresholds, frozen = sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count()
    assert job.main(["--REPORT_BUCKET", "b-b-b", "--LOOKBAK_DAYS", "3"]) == 2
    assert (sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count()) == (interval, thresholds, frozen)


def test_the_entry_script_tunes_the_interpreter_before_it_runs_the_job(monkeypatch):
    seen = {}

    def main(argv):
        seen.update(argv=argv, interval=sys.getswitchinterval(), thresholds=gc.get_threshold(),
                    frozen=gc.get_freeze_count())
        return 3

    monkeypatch.setattr(job, "main", main)
    monkeypatch.setattr(sys, "argv", [str(ENTRY_SCRIPT), "--JOB_RUN_ID", "jr_1"])
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts its folder first
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    try:
        with pytest.raises(SystemExit) as exited:
            runpy.run_path(str(ENTRY_SCRIPT), run_name="__main__")
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    assert exited.value.code == 3 and seen["argv"] == ["--JOB_RUN_ID", "jr_1"]
    assert seen["interval"] < interval and seen["thresholds"][0] > thresholds[0] and seen["frozen"] > 0
