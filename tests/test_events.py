"""The EventBridge entries: the attention parts (their exact bytes, sizes and order), the
timestamps, the run's summary, and the batching into PutEvents calls."""
from __future__ import annotations

import datetime as dt
import json
import random

from backup_report import events, reconciliation, runlog
from backup_report.slices import SliceResult

from .builders import SAMPLE_ITEMS, UTC, item, settings

#: The Detail of ``Backup Jobs Need Attention`` for two of the sample items, byte for byte.
GOLDEN_DETAIL = (
    '{"run_id":"jr_0123abcd","report_date":"2026-11-26","total":2,"part":1,"parts":1,"jobs":['
    '{"job_type":"copy","job_id":"c-9","status":"FAILED","validation_status":null,"account_id":"444455556666",'
    '"account_name":"data-platform-prod","region":"us-east-1","resource_type":"S3",'
    '"resource_arn":"arn:aws:s3:::lake-raw","scan_result_status":null,"message_category":"INVALID_PARAMETERS",'
    '"status_message":"Copy job failed because the destination region is not opted in.",'
    '"creation_date":"2026-11-26T01:02:03.456Z","completion_date":"2026-11-26T02:00:00.000Z",'
    '"report_date":"2026-11-26"},'
    '{"job_type":"restore","job_id":"r-7","status":"COMPLETED","validation_status":"FAILED",'
    '"account_id":"444455556666","account_name":"données-prod","region":"us-east-1","resource_type":"RDS",'
    '"resource_arn":"arn:aws:rds:us-east-1:444455556666:db:ledger","scan_result_status":null,"message_category":null,'
    '"status_message":"Validation script exited with status 1","creation_date":"2026-11-26T01:02:03.456Z",'
    '"completion_date":"2026-11-26T02:00:00.000Z","report_date":"2026-11-26"}]}')

#: The Detail of ``Backup Report Run Finished`` for ``FINISHED_RESULTS``, byte for byte.
GOLDEN_FINISHED = (
    '{"run_id":"jr_0123abcd","report_date":"2026-11-26","days":["2026-11-24","2026-11-25","2026-11-26"],'
    '"regions":["eu-west-1","us-east-1"],"succeeded":false,'
    '"slices":{"window":2,"settling":0,"reconciling":0,"inventory":0},"failed_slices":[{"job_type":"copy",'
    '"region":"eu-west-1","report_date":"2026-11-25","error":"AccessDeniedException: no","reason":"window"}],'
    '"counts":{"backup_jobs":{"COMPLETED":2,"FAILED":4},"copy_jobs":{}},"attention":5,'
    '"location":"s3://acme-backup-reports/backup-reports/","reconciliation":{"days_checked":13,'
    '"slices_differing":1,"differences":[{"job_type":"copy","region":"eu-west-1","report_date":"2026-11-20",'
    '"account_id":"444455556666","state":"PARTIAL","reported":0,"aws_backup":1}],'
    '"errors":["restore us-east-1: AccessDeniedException: no"],"slices_rewritten":2}}')
#: The run's comparison with AWS Backup's counts (``reconciliation.Outcome.detail``).
RECONCILED = {"days_checked": 13, "slices_differing": 1, "differences": [
    {"job_type": "copy", "region": "eu-west-1", "report_date": "2026-11-20", "account_id": "444455556666",
     "state": "PARTIAL", "reported": 0, "aws_backup": 1}], "errors": ["restore us-east-1: AccessDeniedException: no"],
    "slices_rewritten": 2}
FINISHED_RESULTS = [
    SliceResult("backup", "eu-west-1", dt.date(2026, 11, 26), counts={"FAILED": 3, "COMPLETED": 2}),
    SliceResult("backup", "us-east-1", dt.date(2026, 11, 26), counts={"FAILED": 1}),
    SliceResult("copy", "eu-west-1", dt.date(2026, 11, 25), cause="AccessDeniedException: no")]


def test_an_attention_event_is_these_bytes():
    items = [SAMPLE_ITEMS[2], SAMPLE_ITEMS[3]._replace(account_name="données-prod")]
    ((entry, part_items),) = events.attention_entries(items, "jr_0123abcd", dt.date(2026, 11, 26), "default")
    assert entry == {"Source": "backup-report", "DetailType": "Backup Jobs Need Attention",
                     "Detail": GOLDEN_DETAIL, "EventBusName": "default"}
    assert part_items == items


def test_the_run_finished_event_is_these_bytes():
    entry = events.run_finished_entry(settings(), ["eu-west-1", "us-east-1"], FINISHED_RESULTS, 5, RECONCILED)
    assert entry == {"Source": "backup-report", "DetailType": "Backup Report Run Finished",
                     "Detail": GOLDEN_FINISHED, "EventBusName": "default"}
    assert json.loads(GOLDEN_FINISHED) == events.run_finished_detail(
        settings(), ["eu-west-1", "us-east-1"], FINISHED_RESULTS, 5, RECONCILED)


def test_a_run_that_compared_nothing_says_so_with_the_same_fields():
    detail = events.run_finished_detail(settings(), ["eu-west-1"], FINISHED_RESULTS, 0)
    assert detail["reconciliation"] == reconciliation.Outcome().detail() == {
        "days_checked": 0, "slices_differing": 0, "differences": [], "errors": [], "slices_rewritten": 0}


def test_the_run_finished_event_counts_the_inventory_apart_from_the_job_slices_as_the_summary_does():
    day = dt.date(2026, 11, 26)
    results = FINISHED_RESULTS + [SliceResult.skip(FINISHED_RESULTS[2], day),
                                  SliceResult("inventory", "us-east-1", day, counts={"RESOURCES": 7})]
    detail = events.run_finished_detail(settings(), ["eu-west-1", "us-east-1"], results, 0)
    assert detail["slices"] == {"window": 2, "settling": 0, "reconciling": 0, "inventory": 1}
    assert [(s["job_type"], s["reason"]) for s in detail["failed_slices"]] == [("copy", "window"), ("copy", "window")]
    line = runlog.summary("jr_0123abcd", results, 1.0, 1)
    assert "2 job slice(s) written, 1 failed, 1 skipped, inventory written;" in line
    failed_inventory = SliceResult("inventory", "us-east-1", day, cause="AccessDeniedException: no")
    detail = events.run_finished_detail(settings(), ["us-east-1"], FINISHED_RESULTS[:2] + [failed_inventory], 0)
    assert detail["slices"] == {"window": 2, "settling": 0, "reconciling": 0, "inventory": 0}
    assert detail["failed_slices"] == [{"job_type": "inventory", "region": "us-east-1", "report_date": "2026-11-26",
                                        "error": "AccessDeniedException: no", "reason": "window"}]


def test_no_items_no_attention_event():
    assert events.attention_entries([], "jr", dt.date(2026, 11, 26), "default") == []


def test_items_are_split_into_parts_under_the_limit_each_item_once():
    items = [item(n, "x" * (n % 700)) for n in range(3000)]
    parts = events.attention_entries(items, "jr_1", dt.date(2026, 11, 26), "default")
    assert len(parts) > 3
    details = [json.loads(entry["Detail"]) for entry, _ in parts]
    for (entry, part_items), detail in zip(parts, details):
        assert entry["Detail"] == json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
        assert events.entry_size(entry) <= events.MAX_PART_BYTES
        assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
            "backup-report", "Backup Jobs Need Attention", "default")
        assert [j["job_id"] for j in detail["jobs"]] == [i.job_id for i in part_items]
    assert [d["part"] for d in details] == list(range(1, len(parts) + 1))
    assert {(d["parts"], d["total"], d["run_id"], d["report_date"]) for d in details} == {
        (len(parts), 3000, "jr_1", "2026-11-26")}
    assert [j["job_id"] for d in details for j in d["jobs"]] == [i.job_id for i in items]
    assert details[0]["jobs"][0]["creation_date"] == "2026-11-26T01:02:03.456Z"
    # parts are full: each but the last would not take the next job
    first_next = len(json.dumps(events.job_detail(parts[1][1][0]), separators=(",", ":")))
    assert events.entry_size(parts[0][0]) + first_next > events.MAX_PART_BYTES


def test_a_job_too_large_for_an_event_is_cut_to_fit():
    parts = events.attention_entries([item(1, "é" * 300_000), item(2)], "jr", dt.date(2026, 11, 26), "b")
    assert all(events.entry_size(e) <= events.MAX_PART_BYTES for e, _ in parts)
    jobs = [j for e, _ in parts for j in json.loads(e["Detail"])["jobs"]]
    assert [j["job_id"] for j in jobs] == ["b-00001", "b-00002"]
    assert 10_000 < len(jobs[0]["status_message"]) < 300_000 and set(jobs[0]["status_message"]) == {"é"}


def test_timestamps_are_utc_iso_8601_with_milliseconds():
    from dateutil import tz

    for value in (dt.datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC), dt.datetime(2026, 12, 31, 23, 59, 59, 999999,
                                                                                       tzinfo=UTC),
                  dt.datetime(2026, 11, 26, tzinfo=UTC), dt.datetime(2026, 11, 26, 5, 0, 0, 1500, tzinfo=tz.tzutc()),
                  dt.datetime(2026, 11, 27, 4, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))):
        utc = value.astimezone(UTC)
        assert events.iso(value) == utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    assert events.iso(dt.datetime(2026, 11, 27, 4, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))) == (
        "2026-11-26T23:00:00.000Z")
    assert events.iso(None) is None


def test_iso_is_isoformat_in_utc_with_milliseconds_for_any_instant():
    rng = random.Random(7)
    zones = (UTC, dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=5, minutes=45)))
    for _ in range(2000):
        value = dt.datetime(rng.choice((2, 999, 1970, 2026, 9998)), rng.randint(1, 12), rng.randint(1, 28),
                            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                            rng.choice((0, 999, 1000, 999_999, rng.randint(0, 999_999))), tzinfo=rng.choice(zones))
        utc = value.astimezone(UTC)
        assert events.iso(value) == utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def test_calls_hold_at_most_ten_entries_and_256_kb():
    entries = [{"Source": "s", "DetailType": "d", "Detail": "x" * size} for size in
               [1000] * 25 + [200_000, 100_000, 50_000, 50_000, 200_000]]
    groups = events.batches(entries)
    assert sorted(i for g in groups for i in g) == list(range(len(entries)))
    for group in groups:
        assert len(group) <= 10
        assert sum(events.entry_size(entries[i]) for i in group) < 256 * 1024
    assert [len(g) for g in groups] == [10, 10, 6, 3, 1]


def test_an_entry_is_counted_as_eventbridge_counts_it():
    entry = {"Source": "s", "DetailType": "dé", "Detail": "{}", "Resources": ["arn:é"], "Time": dt.datetime.now()}
    assert events.entry_size(entry) == 1 + 3 + 2 + 6 + 14
