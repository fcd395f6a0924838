"""Until final (``settle``): report_runs read back newest first, and the slices to settle or give up on."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from backup_report import settle
from backup_report.report_runs import write_report_runs
from backup_report.slices import SliceResult

from .builders import UTC

TODAY = dt.date(2026, 11, 26)
WINDOW = [TODAY - dt.timedelta(days=n) for n in (2, 1, 0)]
WANTED = {("backup", "us-east-1"), ("restore", "us-east-1")}
OLD_HEADER = ("run_id,run_started_at,job_type,region,succeeded,error,job_count,created,pending,running,aborting,"
              "aborted,completed,failed,expired,partial")


def day(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def write(report, run_id, results, hour=0):
    started = dt.datetime(2026, 11, 1, hour, tzinfo=UTC)
    write_report_runs(report.session, report.bucket, report.prefix, run_id, started, results)
    time.sleep(1.05)  # S3's LastModified has second precision: the next run's objects are newer


def test_the_latest_counted_row_decides_and_old_objects_read_their_missing_columns_as_none(report):
    s3 = report.session.client("s3")
    # written before report_runs had reason, canceled, completed_with_issues, validating
    s3.put_object(Bucket=report.bucket, Key=f"{report.prefix}/report_runs/report_date={day(6)}/old.csv",
                  Body=(OLD_HEADER + "\nold,2026-11-20 23:59:00.000000,backup,us-east-1,true,,2,0,0,1,0,0,1,0,0,0\n"
                        ).encode())
    time.sleep(1.05)
    write(report, "later", [SliceResult("backup", "us-east-1", day(6), cause="ThrottlingException: slow down")])
    ledger = settle.read_ledger(report.session, report.bucket, report.prefix, settle.ledger_days(WINDOW, TODAY),
                                WANTED)
    key = (day(6), "backup", "us-east-1")
    assert ledger.latest[key].run_id == "later" and not ledger.latest[key].succeeded
    counted = ledger.counted[key]  # the failed slice kept the rows of the earlier one
    assert counted.run_id == "old" and counted.reason == "window" and counted.counts["validating"] is None
    assert counted.not_final("backup") == 1 and ledger.held(key) and not ledger.held((day(6), "copy", "us-east-1"))
    assert ledger.objects_read == 2 and ledger.bytes_read > 0


def test_newest_objects_first_and_no_more_once_every_slice_is_known(report):
    write(report, "first", [SliceResult("backup", "us-east-1", day(5), counts={"RUNNING": 1})])
    write(report, "second", [SliceResult("backup", "us-east-1", day(5), counts={"COMPLETED": 1}),
                             SliceResult("restore", "us-east-1", day(5), counts={"COMPLETED": 1}, validating=1)])
    ledger = settle.read_ledger(report.session, report.bucket, report.prefix, [day(5)], WANTED)
    assert ledger.objects_read == 1  # the newest object held every wanted slice
    assert ledger.counted[(day(5), "backup", "us-east-1")].run_id == "second"
    assert ledger.counted[(day(5), "restore", "us-east-1")].not_final("restore") == 1


def row(reason="window", succeeded=True, **counts):
    return settle.Row("r", ("2026-11-20T00:00:00", ""), succeeded, reason, counts)


@pytest.mark.parametrize("job_type, counts, pending", [
    ("backup", {"created": 1, "pending": 1, "running": 1, "aborting": 1, "completed": 5}, 4),
    ("copy", {"running": 2, "failed": 1}, 2),
    ("restore", {"pending": 1, "running": 1, "validating": 2, "completed": 3}, 4),
    ("scan", {"created": 1, "running": 1, "completed_with_issues": 1, "canceled": 1}, 2),
    ("backup", {"completed": 5, "validating": None}, 0),
])
def test_not_final_counts_per_job_type(job_type, counts, pending):
    assert row(**counts).not_final(job_type) == pending


def test_a_recent_slice_settles_an_older_one_expires_once_and_the_window_and_others_are_left_alone(caplog):
    ledger = settle.Ledger()
    recent, limit, past, inside = (day(6), "backup", "us-east-1"), (day(28), "restore", "us-east-1"), \
        (day(29), "backup", "us-east-1"), (day(1), "backup", "us-east-1")
    for key in (recent, limit, past, inside):
        ledger.latest[key] = ledger.counted[key] = row(running=1, validating=1)
    final = (day(7), "backup", "us-east-1")
    ledger.latest[final] = ledger.counted[final] = row(completed=3)
    other = (day(8), "copy", "us-east-1")  # not a job type of this run
    ledger.latest[other] = ledger.counted[other] = row(running=1)
    given_up = (day(30), "backup", "us-east-1")  # its expired row says never again
    ledger.counted[given_up] = row(running=1)
    ledger.latest[given_up] = row(settle.EXPIRED, succeeded=False)
    with caplog.at_level("WARNING", logger="backup_report"):
        plan = settle.plan(ledger, WINDOW, WANTED, TODAY)
    assert plan.days == {("backup", "us-east-1"): [day(6)], ("restore", "us-east-1"): [day(28)]}
    assert [(r.day, r.job_type, r.reason, r.failed, r.succeeded) for r in plan.expired] == [
        (day(29), "backup", "expired", True, False)]
    assert plan.expired[0].cause == settle.EXPIRED_CAUSE.format(pending=1, run_id="r")
    assert [r.levelname for r in caplog.records] == ["WARNING"] and str(day(29)) in caplog.text


def test_the_ledger_days_are_the_last_31_outside_the_window():
    days = settle.ledger_days(WINDOW, TODAY)
    assert days[0] == day(31) and days[-1] == day(3) and len(days) == 29
