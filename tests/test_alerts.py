"""The ``alerts`` ledger's rows: each announced item with the run and the channels that accepted it."""
from __future__ import annotations

import datetime as dt

from backup_report import alerts
from backup_report.schema import ALERTS

from .builders import SAMPLE_ITEMS, UTC


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
