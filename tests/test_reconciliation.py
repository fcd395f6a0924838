"""The ``reconciliation`` table and the run's summary of it (``reconciliation.finish``), from a comparison made."""
from __future__ import annotations

import datetime as dt

from backup_report import catalog, reconciliation
from backup_report.manifest import Held
from backup_report.reconcile import Check, Slice
from backup_report.schema import RECONCILIATION
from backup_report.slices import SliceResult

from .builders import UTC, catalog_partitions, read_rows, settings

A = "111122223333"
CLOCK = dt.datetime(2026, 11, 26, 23, 59, tzinfo=UTC)


def d(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def period(day: int):
    start = dt.datetime(2026, 11, day, tzinfo=UTC)
    return start, start + dt.timedelta(days=1)


def compared(day, aws, held=True, before=None, in_window=False):
    return Slice(aws, period(day), period(day)[1] <= CLOCK - dt.timedelta(hours=24), held, in_window, before)


def check():
    out = Check(checked_at=CLOCK, errors=["restore eu-west-1: AccessDeniedException: no"])
    out.slices = {
        (d(20), "backup", "us-east-1"): compared(20, {(A, "COMPLETED"): 3}, before=Held({(A, "COMPLETED"): 3}, True)),
        (d(19), "copy", "us-east-1"): compared(19, {(A, "COMPLETED"): 2}, before=Held({}, False, {"COMPLETED"})),
        (d(18), "backup", "eu-west-1"): compared(18, {(A, "COMPLETED"): 3}, before=Held({(A, "COMPLETED"): 4}, True)),
        (d(17), "restore", "us-east-1"): compared(17, {(A, "FAILED"): 1}, held=False),
        (d(21), "backup", "eu-west-1"): compared(21, {(A, "COMPLETED"): 1}),  # no manifest, its rewrite failed
        (d(26), "backup", "us-east-1"): compared(26, {(A, "RUNNING"): 1}, in_window=True),
    }
    return out


RESULTS = [
    SliceResult("copy", "us-east-1", d(19), reason="reconciling", counts={"COMPLETED": 2},
                account_counts={(A, "COMPLETED"): 2}),
    SliceResult("backup", "eu-west-1", d(21), reason="reconciling", cause="ThrottlingException: slow down"),
    SliceResult("backup", "us-east-1", d(26), counts={"COMPLETED": 1}, account_counts={(A, "COMPLETED"): 1}),
]


def test_each_slice_compared_gets_its_rows_and_what_still_differs_is_said(report, caplog):
    run = settings(bucket=report.bucket, prefix=report.prefix, database=report.database, run_id="run-1",
                   run_started_at=CLOCK)
    catalog.ensure_table(report.session, report.database, report.bucket, report.prefix, RECONCILIATION)
    with caplog.at_level("WARNING", logger="backup_report"):
        outcome = reconciliation.finish(report.session, run, check(), RESULTS)
    rows = {(r["report_date"], r["job_type"], r["region"], r["state"]): r
            for r in read_rows(report.session, report.bucket, "reconciliation")}
    got = {k: (r["reported"], r["aws_backup"], r["difference"], r["action"]) for k, r in rows.items()}
    assert got == {
        ("2026-11-20", "backup", "us-east-1", "COMPLETED"): ("3", "3", "0", "equal"),
        ("2026-11-19", "copy", "us-east-1", "COMPLETED"): ("2", "2", "0", "rewritten"),
        ("2026-11-18", "backup", "eu-west-1", "COMPLETED"): ("4", "3", "1", "recorded"),
        ("2026-11-17", "restore", "us-east-1", "FAILED"): ("0", "1", "-1", "recorded"),  # never reported
        ("2026-11-21", "backup", "eu-west-1", "COMPLETED"): ("", "1", "", "recorded"),  # unknown: NULL
        ("2026-11-26", "backup", "us-east-1", "COMPLETED"): ("1", "0", "1", "not_comparable"),
        ("2026-11-26", "backup", "us-east-1", "RUNNING"): ("0", "1", "-1", "not_comparable"),
    }
    assert {r["run_id"] for r in rows.values()} == {"run-1"}
    assert rows[("2026-11-20", "backup", "us-east-1", "COMPLETED")]["summary_start"] == "2026-11-20 00:00:00.000000"
    # what still differs: the slice whose rewrite failed is an ERROR of its own, not a difference
    assert outcome.detail() == {
        "days_checked": 5, "slices_differing": 1, "errors": ["restore eu-west-1: AccessDeniedException: no"],
        "slices_rewritten": 1, "differences": [
            {"job_type": "backup", "region": "eu-west-1", "report_date": "2026-11-18", "account_id": A,
             "state": "COMPLETED", "reported": 4, "aws_backup": 3}]}
    assert outcome.text() == "reconciliation: 5 day(s) checked, 1 slice(s) rewritten, 1 differing, 1 error(s)"
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "backup jobs eu-west-1 2026-11-18 differ from AWS Backup's counts: account " \
        f"{A} COMPLETED: reported 4, AWS Backup 3" in warning
    assert ("2026-11-17",) in catalog_partitions(report.session, report.database, "reconciliation")

    # a later run that compares the same slices replaces their objects
    reconciliation.finish(report.session, settings(bucket=report.bucket, prefix=report.prefix, run_id="run-2",
                                                   database=report.database, run_started_at=CLOCK), check(), RESULTS)
    assert {r["run_id"] for r in read_rows(report.session, report.bucket, "reconciliation")} == {"run-2"}
    assert len(read_rows(report.session, report.bucket, "reconciliation")) == len(rows)
