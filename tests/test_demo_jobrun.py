"""The demo's progress bar (``local.demo.jobrun``) counts what the run's summary line and its
``Backup Report Run Finished`` event count: the job slices written, failed and skipped, and the
AWS Config inventory apart."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from backup_report.local.announcements import EventCapture
from backup_report.local.demo.jobrun import run_job_with_progress
from backup_report.local.printer import Printer

from .builders import AGGREGATOR, MANAGEMENT_ACCOUNT, api_job

NOW = "2026-11-26T23:59:00"
REGIONS = ("us-east-1", "eu-west-1")


@pytest.mark.slow  # runs the entry script as a subprocess
def test_the_progress_bar_the_summary_and_the_event_count_the_same_slices(_stack, report, emulator):
    for region in REGIONS:
        emulator.load_jobs("backup", region, [
            api_job("backup", f"b-{region}-{d}", MANAGEMENT_ACCOUNT, f"2026-11-{d}T05:00:00", "COMPLETED")
            for d in (24, 25, 26)])
    emulator.load_config(AGGREGATOR, [{
        "accountId": MANAGEMENT_ACCOUNT, "awsRegion": "us-east-1", "resourceType": "AWS::EC2::Volume",
        "resourceId": "vol-1", "arn": f"arn:aws:ec2:us-east-1:{MANAGEMENT_ACCOUNT}:volume/vol-1", "tags": []}])
    emulator.set_faults(denied=[["eu-west-1", "ListCopyJobs"]])
    events = EventCapture(report.session, f"bus-{report.bucket}")
    out = io.StringIO()
    run = run_job_with_progress(
        _stack, report.args(REGIONS=",".join(REGIONS), LOOKBACK_DAYS="3", CONFIG_AGGREGATOR=AGGREGATOR,
                            JOB_TYPES="backup,copy,restore", EVENT_BUS_NAME=events.bus),
        dt.datetime.fromisoformat(NOW), 3 * len(REGIONS) * 3, Printer(out), "tonight")

    assert run.exit_status == 1, run.stderr[-3000:]
    # the bar: 18 job slices, one lane denied (1 failed, 2 skipped), then the inventory
    assert (run.written, run.failed, run.skipped, run.inventory) == (15, 1, 2, "written")
    assert out.getvalue().splitlines()[-1] == (
        "      tonight: 18/18 job slices + inventory (100%): 15 written, 1 failed, 2 skipped, inventory written")
    # the summary line says the same numbers, in the same words
    assert run.summary.startswith("run ") and f": {run.counts};" in run.summary
    assert run.counts == "15 job slice(s) written, 1 failed, 2 skipped, inventory written"
    assert run.error.startswith("backup-report: error: 3 of 18 job slice(s) could not be fetched;")
    # the event: slices written by why, and every slice not written with its reason
    (finished,) = [e["detail"] for e in events.drain() if e["detail-type"] == "Backup Report Run Finished"]
    assert finished["slices"] == {"window": run.written, "settling": 0, "reconciling": 0, "inventory": 1}
    assert len(finished["failed_slices"]) == run.failed + run.skipped
    assert {(s["job_type"], s["region"], s["reason"]) for s in finished["failed_slices"]} == {
        ("copy", "eu-west-1", "window")}
    assert finished["succeeded"] is False
