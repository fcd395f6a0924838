"""The announcement stage: the items collected, what is new for each channel, PutEvents' failed
entries sent again, what each channel accepted recorded by the item's key, and ``announce``
in-process against moto's server (both channels, a rerun, refused channels, an unread ledger)."""
from __future__ import annotations

import datetime as dt
from typing import List

import boto3
import pytest
from botocore.exceptions import ClientError

from backup_report import catalog, digest, notify
from backup_report.local.announcements import DigestCapture, EventCapture
from backup_report.schema import ALERTS
from backup_report.slices import SliceResult

from .builders import (
    UTC,
    DenyingEndpoint,
    item,
    new_report,
    objects,
    read_rows,
    settings,
    varied_items,
)

# --------------------------------------------------------------------------- the items


def test_collect_keeps_the_recent_items_of_the_slices_written_once_each_in_order():
    now = dt.datetime(2026, 11, 26, 12, tzinfo=UTC)
    items = varied_items(3000)
    results = [SliceResult("backup", "eu-west-1", dt.date(2026, 11, 26), attention=items[:1800]),
               SliceResult("copy", "us-east-1", dt.date(2026, 11, 26), attention=items[1500:]),  # 300 twice
               SliceResult("copy", "eu-west-1", dt.date(2026, 11, 26), cause="denied", attention=varied_items(50, 9))]
    collected = notify.collect(results, now, 48)
    first = {}
    for result in results[:2]:
        for i in result.attention:
            if now - i.event_time <= dt.timedelta(hours=48):
                first.setdefault(i.key, i)
    expected = sorted(first.values(), key=lambda i: (i.report_date, i.account_id, i.region, i.job_type,
                                                     i.creation_date, i.job_id))
    assert 1000 < len(collected) < 3000
    assert [id(i) for i in collected] == [id(i) for i in expected]


def test_new_items_are_those_a_channel_has_not_accepted_before():
    items = [item(1), item(2), item(3, status="EXPIRED"), item(4)]
    announced = {item(1).key: {"events", "digest"}, item(2).key: {"digest"}, item(3).key: {"events"}}
    assert notify.new_items(items, ["events", "digest"], announced) == {
        "events": [items[1], items[2], items[3]], "digest": [items[2], items[3]]}
    assert notify.new_items(items, ["digest"], {}) == {"digest": items}


def test_an_item_accepted_by_a_channel_is_recorded_by_its_key():
    items = [item(1), item(2), item(3)]
    # what a channel hands back: equal items, but not the same objects
    events, digest_items = [item(3), item(1)], [item(1)]
    assert all(a == b and a is not b for a, b in zip(events, (items[2], items[0])))
    assert notify.announcements(items, {"events": events, "digest": digest_items}) == [
        (items[0], ["events", "digest"]), (items[2], ["events"])]
    assert notify.announcements(items, {"events": [], "digest": []}) == []


# --------------------------------------------------------------------------- PutEvents


class FlakyEvents:
    """A PutEvents client whose answers report some entries failed (FailedEntryCount)."""

    def __init__(self, fail_times: dict, whole_call_error: Exception = None):
        self.fail_times = dict(fail_times)  # Detail -> times its entry fails
        self.calls: List[List[str]] = []
        self.whole_call_error = whole_call_error

    def put_events(self, Entries):
        assert len(Entries) <= 10
        self.calls.append([e["Detail"] for e in Entries])
        if self.whole_call_error:
            raise self.whole_call_error
        out = []
        for entry in Entries:
            if self.fail_times.get(entry["Detail"], 0) > 0:
                self.fail_times[entry["Detail"]] -= 1
                out.append({"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"})
            else:
                out.append({"EventId": "id-" + entry["Detail"]})
        return {"FailedEntryCount": sum("ErrorCode" in o for o in out), "Entries": out}


def test_failed_entries_are_sent_again_and_reported_when_they_keep_failing():
    entries = [{"Source": "s", "DetailType": "d", "Detail": str(n)} for n in range(12)]
    client = FlakyEvents({"3": 1, "11": 2, "7": 99})
    naps: List[float] = []
    errors = notify.put_events(client, entries, sleep=naps.append)
    assert [n for n, e in enumerate(errors) if e] == [7]
    assert errors[7] == "ThrottlingException: Rate exceeded"
    assert client.calls[0] == [str(n) for n in range(10)] and client.calls[1] == ["10", "11"]
    assert client.calls[2] == ["3", "7", "11"] and client.calls[3] == ["7", "11"]
    sent = [d for call in client.calls for d in call]
    assert len(client.calls) == 2 + notify.ENTRY_ATTEMPTS - 1 and sent.count("7") == notify.ENTRY_ATTEMPTS
    assert sent.count("0") == 1 and naps == [0.5, 1.0, 2.0]


def test_calls_in_flight_together_send_and_report_the_same():
    entries = [{"Source": "s", "DetailType": "d", "Detail": str(n)} for n in range(57)]
    fails = {"3": 1, "11": 2, "7": 99, "40": 1, "56": 3}
    serial, together = FlakyEvents(fails), FlakyEvents(fails)
    naps: List[float] = []
    errors = notify.put_events(together, entries, sleep=naps.append, at_once=4)
    assert errors == notify.put_events(serial, entries, sleep=lambda s: None)
    assert [n for n, e in enumerate(errors) if e] == [7] and naps == [0.5, 1.0, 2.0]
    assert sorted(map(sorted, together.calls)) == sorted(map(sorted, serial.calls))

    class DeniesSome(FlakyEvents):
        """Fails as a whole every call that holds entry 13 or 31."""

        def put_events(self, Entries):
            if {"13", "31"} & {e["Detail"] for e in Entries}:
                self.calls.append([e["Detail"] for e in Entries])
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutEvents")
            return super().put_events(Entries)

    client = DeniesSome({})
    errors = notify.put_events(client, entries, sleep=lambda s: None, at_once=4)
    assert [n for n, e in enumerate(errors) if e] == list(range(10, 20)) + list(range(30, 40))
    assert set(errors[10:20] + errors[30:40]) == {"AccessDeniedException: no"}
    assert len(client.calls) == 6


def test_a_call_that_fails_as_a_whole_fails_its_entries_without_more_calls():
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "PutEvents")
    client = FlakyEvents({}, whole_call_error=denied)
    errors = notify.put_events(client, [{"Source": "s", "DetailType": "d", "Detail": "1"}], sleep=lambda s: None)
    assert errors == ["AccessDeniedException: not authorized"] and len(client.calls) == 1


# --------------------------------------------------------------------------- announce, against moto

DAY = dt.date(2026, 11, 26)
ITEMS = [item(1), item(2, status="EXPIRED", message_category="EXPIRED"),
         item(3, job_type="copy", job_id="c-3", region="us-east-1")]


class Target:
    """A report target (bucket, database with the ``alerts`` table) with both channels captured."""

    def __init__(self, env):
        self.report = new_report(env, "notify")
        self.session = boto3.Session()
        catalog.ensure_table(self.session, self.report.database, self.report.bucket, self.report.prefix, ALERTS)
        self.events = EventCapture(self.session, f"bus-{self.report.bucket}")
        self.digest = DigestCapture(self.session, self.report.bucket)

    def settings(self, **overrides):
        values = dict(bucket=self.report.bucket, database=self.report.database, event_bus=self.events.bus,
                      alert_topic_arn=self.digest.topic_arn)
        values.update(overrides)
        return settings(**values)

    def announce(self, results, **overrides) -> notify.Outcome:
        return notify.announce(boto3.Session(), self.settings(**overrides), ["eu-west-1", "us-east-1"], results)

    def received(self):
        """(attention events' details, run finished events' details, (subject, body) of digests)."""
        received = self.events.drain()
        return ([e["detail"] for e in received if e["detail-type"] == "Backup Jobs Need Attention"],
                [e["detail"] for e in received if e["detail-type"] == "Backup Report Run Finished"],
                self.digest.drain())

    def alerts(self):
        return read_rows(self.session, self.report.bucket, "alerts")


@pytest.fixture
def target(local_aws) -> Target:
    return Target(local_aws)


def slices(items=ITEMS) -> List[SliceResult]:
    """The slices of a run: the items, once more as equal items of another slice, and a failed slice."""
    return [SliceResult("backup", "eu-west-1", DAY, counts={"FAILED": 2}, attention=list(items)),
            SliceResult("copy", "us-east-1", DAY, counts={"FAILED": 1}, attention=[item(1)]),
            SliceResult("restore", "eu-west-1", DAY, cause="AccessDeniedException: no")]


def test_announce_sends_both_channels_records_what_they_accepted_and_nothing_twice(target):
    outcome = target.announce(slices())
    attention, finished, digests = target.received()
    assert outcome.failures == [] and outcome.error == ""
    assert outcome.items == ITEMS  # once each, in the order of their report day, account, region, type
    assert outcome.announced == [(i, ["events", "digest"]) for i in ITEMS]
    (part,) = attention
    assert [j["job_id"] for j in part["jobs"]] == [i.job_id for i in outcome.items]
    assert [f["attention"] for f in finished] == [3] and outcome.events == 2
    assert digests == [(outcome.subject, outcome.body)]
    assert outcome.subject == "backup-report: 3 backup jobs need attention, 1 report slice failed on 2026-11-26"
    rows = target.alerts()
    assert sorted((r["job_id"], r["channels"], r["run_id"]) for r in rows) == [
        ("b-00001", "events,digest", "jr_0123abcd"), ("b-00002", "events,digest", "jr_0123abcd"),
        ("c-3", "events,digest", "jr_0123abcd")]
    assert len(outcome.ledger_paths) == 1

    # the next run: nothing is new, so no attention event and no digest of items
    again = target.announce(slices()[:2], run_id="jr_2")
    attention, finished, digests = target.received()
    assert (attention, digests, [f["attention"] for f in finished]) == ([], [], [0])
    assert (again.announced, again.ledger_paths, again.failures, again.events) == ([], [], [], 1)
    assert len(target.alerts()) == 3


def test_a_failing_digest_and_failing_events_are_both_reported(target, monkeypatch):
    denied = DenyingEndpoint()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", denied.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", denied.url)
        outcome = target.announce(slices())
    finally:
        denied.stop()
    assert [f.channel for f in outcome.failures] == [notify.EVENTS, notify.DIGEST, notify.EVENTS]
    events, published, finished = (f.cause for f in outcome.failures)
    assert events.startswith(f"PutEvents to event bus {target.events.bus} failed for 1 of 1 "
                             "'Backup Jobs Need Attention' event(s), 3 job(s): AccessDeniedException")
    assert published.startswith(f"sns:Publish to {target.digest.topic_arn} failed: AuthorizationError")
    assert finished.startswith("PutEvents of 'Backup Report Run Finished' to event bus")
    # the job's error message names each, channel first
    assert outcome.error.startswith(f"events: {events}; digest: {published}; events: PutEvents of ")
    assert (outcome.announced, outcome.events, outcome.subject, outcome.ledger_paths) == ([], 0, "", [])
    assert not objects(target.session, target.report.bucket, "backup-reports/alerts/")


def test_a_refused_digest_leaves_the_events_recorded_and_its_items_for_the_next_run(target, monkeypatch):
    denied = DenyingEndpoint()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", denied.url)
        outcome = target.announce(slices())
    finally:
        denied.stop()
    assert [f.channel for f in outcome.failures] == [notify.DIGEST]
    assert outcome.announced == [(i, ["events"]) for i in outcome.items] and outcome.events == 2
    assert {r["channels"] for r in target.alerts()} == {"events"}
    target.received()

    monkeypatch.delenv("AWS_ENDPOINT_URL_SNS")
    again = target.announce(slices(), run_id="jr_2")
    attention, _, digests = target.received()
    assert attention == [] and [s for s, _ in digests] == [again.subject]
    assert again.announced == [(i, ["digest"]) for i in again.items] and again.failures == []


def test_an_unread_ledger_announces_no_item_and_says_so(target):
    outcome = target.announce(slices(), bucket=f"{target.report.bucket}-missing")
    assert [f.channel for f in outcome.failures] == [notify.LEDGER]
    assert outcome.error.startswith("alerts ledger: ") and outcome.error.endswith(
        "; nothing was announced (the next run announces it)")
    attention, finished, digests = target.received()
    # the run's summary and the digest of the failed slice still go out
    assert attention == [] and [f["attention"] for f in finished] == [0]
    assert [s for s, _ in digests] == [digest.digest_subject(0, 1, DAY)]
    assert outcome.announced == [] and len(outcome.items) == 3
