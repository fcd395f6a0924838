"""The ``alerts`` ledger's rows: each announced item with the run and the channels that accepted it."""
from __future__ import annotations

import datetime as dt

from backup_report import alerts
from backup_report.layout import run_object_path
from backup_report.local.athena.serde import parse_lazy_simple
from backup_report.schema import ALERTS, SERDE_PARAMETERS, Table
from backup_report.shape import typed_frame
from backup_report.write import write_csv

from .builders import SAMPLE_ITEMS, UTC, objects


def test_alert_rows_are_the_items_with_the_run_and_the_channels():
    at = dt.datetime(2026, 11, 26, 23, 59, 30, tzinfo=UTC)
    records = [(SAMPLE_ITEMS[0], ["events", "digest"]), (SAMPLE_ITEMS[3], ["digest"]), (SAMPLE_ITEMS[4], ["events"])]
    values = alerts.alert_rows(records, "jr_1", at)
    assert list(values) == [c.name for c in ALERTS.columns]
    assert (values["run_id"], values["announced_at"], values["channels"]) == (
        ["jr_1"] * 3, [at] * 3, ["events,digest", "digest", "events"])
    for name in set(values) - {"run_id", "announced_at", "channels"}:
        assert values[name] == [getattr(i, name) for i, _ in records], name
    assert alerts.alert_rows([], "jr_1", at) == {c.name: [] for c in ALERTS.columns}


def test_an_object_written_before_scan_jobs_reads_scan_result_status_as_null(report):
    """``scan_result_status`` came last: an older object lacks it, and both the ledger and Athena
    (Hive's LazySimpleSerDe: a missing trailing field is NULL) read it as none."""
    at, day = dt.datetime(2026, 11, 26, 23, 59, 30, tzinfo=UTC), dt.date(2026, 11, 26)
    older = Table("alerts", "", ALERTS.columns[:-1], ALERTS.partitions, "alerts before scan jobs")
    assert ALERTS.columns[-1].name == "scan_result_status"
    values = alerts.alert_rows([(SAMPLE_ITEMS[3], ["digest"])], "jr_old", at)
    write_csv(typed_frame(older.columns, values), older, run_object_path(report.bucket, report.prefix, ALERTS, day,
                                                                         "jr_old"), report.session)
    threat = SAMPLE_ITEMS[0]._replace(job_type="scan", job_id="s-1", status="COMPLETED",
                                      scan_result_status="THREATS_FOUND")
    alerts.write_announced(report.session, report.bucket, report.prefix, "jr_new", at, [(threat, ["events"])])
    ledger = alerts.read_ledger(report.session, report.bucket, report.prefix, [day])
    assert ledger.announced == {("restore", "r-7", "COMPLETED", "FAILED"): {"digest"},
                                ("scan", "s-1", "COMPLETED", "THREATS_FOUND"): {"events"}}
    rows = []
    for _key, body in sorted(objects(report.session, report.bucket, f"{report.prefix}/alerts/").items()):
        rows += parse_lazy_simple(body, [(c.name, c.type) for c in ALERTS.columns], SERDE_PARAMETERS,
                                  {"skip.header.line.count": "1"})
    assert [(r["job_id"], r["validation_status"], r["scan_result_status"]) for r in rows] == [
        ("s-1", None, "THREATS_FOUND"), ("r-7", "FAILED", None)]
