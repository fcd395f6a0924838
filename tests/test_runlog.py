"""The job's log (``runlog``): where lines go, the slice lines the demo reads, the summary line."""
from __future__ import annotations

import datetime as dt
import logging

from backup_report import runlog
from backup_report.runlog import (
    INVENTORY_FAILED,
    INVENTORY_LINE,
    INVENTORY_WRITTEN,
    SLICE_FAILED,
    SLICE_LINE,
    SLICE_SKIPPED,
    SLICE_WRITTEN,
    failure_message,
    summary,
)
from backup_report.slices import SliceResult

DAY = dt.date(2026, 11, 26)
DENIED = "AccessDeniedException: denied"


def results():
    """A run of two days in two regions: eu-west-1's copy jobs denied on the first day."""
    days = (DAY - dt.timedelta(1), DAY)
    out = [SliceResult(t, r, d, counts={"COMPLETED": 2, "FAILED": 1} if t == "backup" else {"COMPLETED": 1})
           for r in ("us-east-1", "eu-west-1") for t in ("backup", "copy", "restore") for d in days
           if (r, t) != ("eu-west-1", "copy")]
    failed = SliceResult("copy", "eu-west-1", DAY - dt.timedelta(1), cause=DENIED)
    return out + [failed, SliceResult.skip(failed, DAY)]


def test_the_summary_counts_slices_by_outcome_and_jobs_by_table():
    assert summary("jr_1", results(), 12.345, 1, "s3://b/p/") == (
        "run jr_1 failed (exit status 1): 10 job slice(s) written, 1 failed, 1 skipped; jobs written to s3://b/p/: "
        "backup_jobs 12, copy_jobs 2, restore_jobs 4, scan_jobs 0; 12.3s")
    assert summary("", [], 0.04, 0) == (
        "run - succeeded: 0 job slice(s) written, 0 failed, 0 skipped; jobs written: backup_jobs 0, copy_jobs 0, "
        "restore_jobs 0, scan_jobs 0; 0.0s")


def test_the_summary_tells_how_many_pages_took_the_fast_path_when_counted():
    line = summary("jr_1", results()[:1], 3.0, 0, "s3://b/p/", pages=(120, 3))
    assert line == ("run jr_1 succeeded: 1 job slice(s) written, 0 failed, 0 skipped; jobs written to s3://b/p/: "
                    "backup_jobs 3, copy_jobs 0, restore_jobs 0, scan_jobs 0; pages parsed: 120 fast, 3 by botocore; 3.0s")


def test_the_summary_says_what_the_comparison_with_aws_backups_counts_found():
    line = summary("jr_1", results()[:1], 3.0, 0, "s3://b/p/", pages=(120, 3), reconciliation=(
        "reconciliation: 13 day(s) checked, 2 slice(s) rewritten, 1 differing"))
    assert line.endswith("pages parsed: 120 fast, 3 by botocore; reconciliation: 13 day(s) checked, "
                         "2 slice(s) rewritten, 1 differing; 3.0s")


def test_the_failure_message_names_each_lane_with_its_days_and_first_cause():
    assert failure_message(results()) == (
        "2 of 12 job slice(s) could not be fetched; their earlier rows were kept and report_runs records the failure: "
        f"region eu-west-1, copy jobs, 2 day(s) 2026-11-25..2026-11-26, 1 of them skipped after the first failure: "
        f"{DENIED}")


INVENTORY_DENIED = "AWS Config aggregator org: AccessDeniedException: denied (earlier snapshots kept)"


def test_the_inventory_is_counted_apart_from_the_job_slices():
    """The job slices add up to what the slice lines (the demo's progress bar) counted; the
    AWS Config snapshot is named on its own, written or failed."""
    written = results() + [SliceResult("inventory", "us-east-1", DAY, counts={"RESOURCES": 355})]
    assert summary("jr_1", written, 1.0, 1).startswith(
        "run jr_1 failed (exit status 1): 10 job slice(s) written, 1 failed, 1 skipped, inventory written; jobs "
        "written: backup_jobs 12, copy_jobs 2, restore_jobs 4, scan_jobs 0;")
    assert failure_message(written).startswith("2 of 12 job slice(s) could not be fetched;")
    failed = [r for r in results() if r.written] + [SliceResult("inventory", "us-east-1", DAY, cause=INVENTORY_DENIED)]
    assert summary("jr_2", failed, 1.0, 1).startswith(
        "run jr_2 failed (exit status 1): 10 job slice(s) written, 0 failed, 0 skipped, inventory failed;")
    assert failure_message(failed) == (
        f"the AWS Config inventory of {DAY} could not be written; report_runs records the failure: {INVENTORY_DENIED}")
    assert failure_message(results() + failed[-1:]) == (
        failure_message(results()) + f"; and the AWS Config inventory of {DAY} could not be written; report_runs "
        f"records the failure: {INVENTORY_DENIED}")


def test_every_slice_line_is_one_the_demo_reads():
    formatter = logging.Formatter(runlog.LOG_FORMAT)

    def line(level, message, *args):
        return formatter.format(logging.LogRecord("backup_report", level, __file__, 1, message, args, None))

    lines = [line(logging.INFO, SLICE_WRITTEN, "backup", "eu-west-1", DAY, 1234),
             line(logging.ERROR, SLICE_FAILED, "copy", "us-east-1", DAY, DENIED + " (earlier rows kept)"),
             line(logging.ERROR, SLICE_SKIPPED, "restore", "ap-south-2", DAY, DAY - dt.timedelta(1), DENIED)]
    found = [SLICE_LINE.search(text) for text in lines]
    assert [(m.group("level"), m.group("job_type"), m.group("region"), m.group("day"), m.group("outcome"))
            for m in found] == [("INFO", "backup", "eu-west-1", "2026-11-26", "1234 jobs written"),
                                ("ERROR", "copy", "us-east-1", "2026-11-26", "failed"),
                                ("ERROR", "restore", "ap-south-2", "2026-11-26", "skipped")]
    assert SLICE_LINE.search(line(logging.INFO, "report_runs: %d slice row(s) written", 3)) is None

    def inventory_line(level, message, *args):
        return formatter.format(logging.LogRecord("backup_report.inventory", level, __file__, 1, message, args, None))

    snapshots = [inventory_line(logging.INFO, INVENTORY_WRITTEN, DAY, 355, "org", "s3://b/p/resources/"),
                 inventory_line(logging.ERROR, INVENTORY_FAILED, DAY, INVENTORY_DENIED)]
    assert [(m.group("level"), m.group("day"), m.group("outcome")) for m in map(INVENTORY_LINE.search, snapshots)] == [
        ("INFO", "2026-11-26", "355 resource(s)"), ("ERROR", "2026-11-26", "failed")]
    assert not any(SLICE_LINE.search(text) for text in snapshots)
    assert not any(INVENTORY_LINE.search(text) for text in lines)


def test_info_goes_to_stdout_and_warnings_to_stderr_once_however_often_logging_is_set_up(capsys):
    runlog.configure_logging()
    runlog.configure_logging()
    runlog.log.info("a progress line")
    runlog.log.warning("a warning")
    logging.getLogger("botocore").info("the SDK's chatter")
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].endswith(" INFO backup_report: a progress line") and len(out.splitlines()) == 1
    assert err.splitlines()[-1].endswith(" WARNING backup_report: a warning") and len(err.splitlines()) == 1
