"""The ledger (``report_runs``): a row per slice of a run, counts only for the slices fetched."""
from __future__ import annotations

import datetime as dt

from backup_report.columns import RUN_STATUSES
from backup_report.report_runs import (
    report_runs_rows,
    summarize_failures,
    write_report_runs,
)
from backup_report.schema import REPORT_RUNS
from backup_report.slices import SliceResult

from .builders import read_rows

DAY = dt.date(2026, 11, 26)
STARTED = dt.datetime(2026, 11, 26, 23, 0, 5)


def test_a_fetched_slice_counts_every_status_and_a_failed_one_counts_nothing():
    results = [SliceResult("backup", "us-east-1", DAY, counts={"COMPLETED": 3, "FAILED": 1}),
               SliceResult("copy", "eu-west-1", DAY, cause="AccessDeniedException: denied")]
    rows = report_runs_rows("run-1", STARTED, results)
    assert list(rows) == [c.name for c in REPORT_RUNS.columns]
    assert rows["run_id"] == ["run-1", "run-1"] and rows["run_started_at"] == [STARTED, STARTED]
    assert rows["succeeded"] == [True, False] and rows["error"] == ["", "AccessDeniedException: denied"]
    assert rows["job_count"] == [4, None]
    assert (rows["completed"], rows["failed"], rows["running"]) == ([3, None], [1, None], [0, None])
    assert all(rows[status][1] is None for status in RUN_STATUSES)


def test_the_later_columns_say_why_and_count_scan_states_and_restores_still_validating():
    results = [SliceResult("restore", "us-east-1", DAY, counts={"COMPLETED": 5}, validating=2),
               SliceResult("backup", "us-east-1", DAY, counts={"CANCELED": 1, "COMPLETED_WITH_ISSUES": 4}),
               SliceResult("copy", "eu-west-1", DAY, cause="AccessDeniedException: denied")]
    rows = report_runs_rows("run-1", STARTED, results)
    names = [c.name for c in REPORT_RUNS.columns]
    assert names[-4:] == ["reason", "canceled", "completed_with_issues", "validating"]  # at the end, in this order
    assert rows["reason"] == ["window", "window", "window"]
    assert rows["validating"] == [2, 0, None] and rows["completed"] == [5, 0, None]
    assert rows["canceled"] == [0, 1, None] and rows["completed_with_issues"] == [0, 4, None]


def test_a_skipped_slice_records_the_cause_it_was_skipped_after():
    failed = SliceResult("copy", "eu-west-1", DAY - dt.timedelta(days=1), cause="AccessDeniedException: denied")
    rows = report_runs_rows("run-1", STARTED, [failed, SliceResult.skip(failed, DAY)])
    assert rows["succeeded"] == [False, False] and rows["job_count"] == [None, None]
    assert rows["error"] == ["AccessDeniedException: denied", "not attempted after: AccessDeniedException: denied"]


def test_failures_are_summarised_per_job_type_and_region_with_their_days():
    ok = SliceResult("backup", "us-east-1", DAY)
    assert summarize_failures([ok]) is None
    denied = [SliceResult("copy", "eu-west-1", DAY - dt.timedelta(days=n), cause="AccessDenied") for n in range(3)]
    throttled = SliceResult("backup", "ap-southeast-2", DAY, cause="ThrottlingException")
    assert summarize_failures([ok, *denied, throttled]).splitlines() == [
        "region ap-southeast-2, backup jobs, 1 day(s) 2026-11-26: ThrottlingException",
        "region eu-west-1, copy jobs, 3 day(s) 2026-11-24..2026-11-26: AccessDenied"]


def test_each_day_gets_one_object_named_after_the_run(report):
    results = [SliceResult(t, r, d, counts={"COMPLETED": 2})
               for d in (DAY - dt.timedelta(days=1), DAY) for t in ("backup", "copy") for r in ("us-east-1",)]
    failed = SliceResult("restore", "us-east-1", DAY - dt.timedelta(days=1), cause="boom")
    results += [failed, SliceResult.skip(failed, DAY)]
    paths = write_report_runs(report.session, report.bucket, report.prefix, "jr_1/2:x", STARTED, results)
    assert paths == [f"s3://{report.bucket}/{report.prefix}/report_runs/report_date={d}/jr_1-2-x.csv"
                     for d in ("2026-11-25", "2026-11-26")]
    rows = read_rows(report.session, report.bucket, "report_runs", report.prefix)
    assert sorted((r["report_date"], r["job_type"], r["succeeded"], r["job_count"]) for r in rows) == [
        ("2026-11-25", "backup", "true", "2"), ("2026-11-25", "copy", "true", "2"),
        ("2026-11-25", "restore", "false", ""),
        ("2026-11-26", "backup", "true", "2"), ("2026-11-26", "copy", "true", "2"),
        ("2026-11-26", "restore", "false", "")]
    assert sorted(r["error"] for r in rows if r["job_type"] == "restore") == ["boom", "not attempted after: boom"]
    assert {r["run_id"] for r in rows} == {"jr_1/2:x"} and {r["run_started_at"][:19] for r in rows} == {
        "2026-11-26 23:00:05"}
