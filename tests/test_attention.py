"""What needs attention (one definition for the job, the saved query and these tests), the event
parts and their batching, PutEvents' failed entries, and the digest's text."""
from __future__ import annotations

import datetime as dt
import json
import random
import re
from itertools import product
from typing import List

import numpy as np
import pandas as pd
import pytest
from backup_report import alerts, attention, notify
from backup_report.arguments import Settings
from backup_report.attention import Item, needs_attention
from backup_report.schema import ALERTS, BACKUP_JOBS, COPY_JOBS, RESTORE_JOBS
from backup_report.shape import shape_jobs
from backup_report.slices import SliceResult

from .builders import ROOT, UTC, sdk_jobs

QUERY = ROOT / "sql" / f"{notify.QUERY}.sql"


@pytest.mark.parametrize("job_type, status, category, validation, expected", [
    ("backup", "FAILED", None, None, True),
    ("backup", "ABORTED", "ABORTED", None, True),
    ("backup", "EXPIRED", None, None, True),
    ("backup", "PARTIAL", "SUCCESS", None, True),
    ("backup", "COMPLETED", "ACCESS_DENIED", None, True),
    ("backup", "COMPLETED", "invalid_parameters", None, True),  # compared case-insensitively
    ("backup", "COMPLETED", "SUCCESS", None, False),
    ("backup", "COMPLETED", "Success", None, False),
    ("backup", "COMPLETED", None, None, False),  # no category is no issue
    ("backup", "COMPLETED", "", None, False),
    ("backup", "RUNNING", "INTERNAL_ERROR", None, False),
    ("backup", "CREATED", None, None, False),
    ("copy", "FAILED", None, None, True),
    ("copy", "PARTIAL", None, None, True),
    ("copy", "COMPLETED", "INTERNAL_ERROR", None, True),
    ("copy", "COMPLETED", "SUCCESS", None, False),
    ("restore", "FAILED", None, None, True),
    ("restore", "ABORTED", None, None, True),
    ("restore", "COMPLETED", None, "FAILED", True),
    ("restore", "COMPLETED", None, "timed_out", True),
    ("restore", "COMPLETED", None, "SUCCESSFUL", False),
    ("restore", "COMPLETED", None, "VALIDATING", False),
    ("restore", "COMPLETED", "ACCESS_DENIED", None, False),  # restores have no category
    ("restore", "EXPIRED", None, None, False),
    ("restore", "RUNNING", None, None, False),
])
def test_what_needs_attention(job_type, status, category, validation, expected):
    assert needs_attention(job_type, status, category, validation) is expected


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_saved_query_applies_the_same_rules():
    text = _words("\n".join(line for line in QUERY.read_text(encoding="utf-8").splitlines()
                            if not line.startswith("--")))
    for job_type, table in (("backup", "backups"), ("copy", "copies"), ("restore", "restores")):
        assert f"from {table} where {attention.sql_condition(job_type)} " in text, job_type
    # and it reads only the partitions that can hold an item
    candidates = attention.CANDIDATE_STATUSES["backup"]
    assert text.count("status in (" + ", ".join(f"'{s}'" for s in candidates) + ")") == 2


def test_pick_takes_the_items_of_a_shaped_chunk():
    jobs = sdk_jobs("COMPLETED", "FAILED", "COMPLETED", "RUNNING", "PARTIAL", "COMPLETED")
    jobs[0]["MessageCategory"] = "SUCCESS"
    jobs[2]["MessageCategory"] = "Access_Denied"
    jobs[5]["MessageCategory"] = None
    jobs[1].update(StatusMessage="denied", CompletionDate=dt.datetime(2026, 11, 26, 3, tzinfo=UTC))
    frame = shape_jobs(jobs, BACKUP_JOBS, "eu-west-1", {"111122223333": "payments-prod"})
    items = attention.pick(frame, BACKUP_JOBS, dt.date(2026, 11, 26))
    assert [(i.job_id, i.status, i.message_category) for i in items] == [
        ("j1", "FAILED", None), ("j2", "COMPLETED", "Access_Denied"), ("j4", "PARTIAL", None)]
    first = items[0]
    assert (first.account_name, first.region, first.status_message, first.report_date) == (
        "payments-prod", "eu-west-1", "denied", dt.date(2026, 11, 26))
    assert first.completion_date == dt.datetime(2026, 11, 26, 3, tzinfo=UTC)
    assert first.event_time == first.completion_date and items[1].event_time == items[1].creation_date


STATUSES = ("CREATED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "ABORTED", "EXPIRED", "PARTIAL", "UNKNOWN",
            "failed")
CATEGORIES = (None, "", "SUCCESS", "Success", "success", "ACCESS_DENIED", "invalid_parameters", "EXPIRED")
VALIDATIONS = (None, "", "SUCCESSFUL", "VALIDATING", "FAILED", "failed", "TIMED_OUT", "timed_out")


def _strings_as(frame: pd.DataFrame, dtype) -> pd.DataFrame:
    """``frame`` with its text columns in ``dtype`` (pandas 3 may give str with NaN for missing)."""
    if dtype is None:
        return frame
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].astype(dtype)
    return out


@pytest.mark.parametrize("dtype", [None, pd.StringDtype(na_value=np.nan), "string"],
                         ids=["object", "str-nan", "string-na"])
@pytest.mark.parametrize("table", [BACKUP_JOBS, COPY_JOBS, RESTORE_JOBS], ids=lambda t: t.job_type)
def test_pick_agrees_with_needs_attention_row_by_row(table, dtype):
    combos = list(product(STATUSES, CATEGORIES, VALIDATIONS))
    status_field = "Status" if table.job_type == "restore" else "State"
    id_field = {"backup": "BackupJobId", "copy": "CopyJobId", "restore": "RestoreJobId"}[table.job_type]
    jobs = [{id_field: f"j{n}", "AccountId": "111122223333", status_field: status, "MessageCategory": category,
             "ValidationStatus": validation, "StatusMessage": f"m{n}" if n % 3 else None,
             "ValidationStatusMessage": f"v{n}", "CreationDate": dt.datetime(2026, 11, 26, 1, tzinfo=UTC),
             "CompletionDate": dt.datetime(2026, 11, 26, 2, tzinfo=UTC) if n % 2 else None}
            for n, (status, category, validation) in enumerate(combos)]
    frame = shape_jobs(jobs, table, "eu-west-1", {})
    # every column the rules read, also where the table has none (restores: no category)
    for name, values in (("message_category", [c for _, c, _ in combos]),
                         ("validation_status", [v for _, _, v in combos])):
        frame[name] = pd.Series(values, dtype=object)
    items = attention.pick(_strings_as(frame, dtype), table, dt.date(2026, 11, 26))
    expected = [n for n, combo in enumerate(combos) if needs_attention(table.job_type, *combo)]
    assert 0 < len(expected) < len(combos)
    assert [i.job_id for i in items] == [f"j{n}" for n in expected]
    for n, item in zip(expected, items):
        status, category, validation = combos[n]
        assert item.key == (table.job_type, f"j{n}", status, validation or "")
        assert (item.message_category, item.validation_status) == (category, validation or None)
        fallback = f"v{n}" if table.job_type == "restore" else None  # only restores have a validation message
        assert item.status_message == (f"m{n}" if n % 3 else fallback)
        assert item.creation_date == dt.datetime(2026, 11, 26, 1, tzinfo=UTC)
        assert type(item.creation_date) is dt.datetime and item.creation_date.utcoffset() == dt.timedelta(0)
        assert item.completion_date == (dt.datetime(2026, 11, 26, 2, tzinfo=UTC) if n % 2 else None)
        assert item.account_id == "111122223333" and item.region == "eu-west-1" and item.account_name is None


def test_a_failed_restore_test_is_an_item_with_its_validation_message():
    jobs = [{"RestoreJobId": "r1", "AccountId": "1", "Status": "COMPLETED", "ValidationStatus": "TIMED_OUT",
             "ValidationStatusMessage": "no answer in 60 minutes",
             "CreationDate": dt.datetime(2026, 11, 26, tzinfo=UTC)},
            {"RestoreJobId": "r2", "AccountId": "1", "Status": "COMPLETED", "ValidationStatus": "SUCCESSFUL",
             "CreationDate": dt.datetime(2026, 11, 26, tzinfo=UTC)}]
    (item,) = attention.pick(shape_jobs(jobs, RESTORE_JOBS, "us-east-1", {}), RESTORE_JOBS, dt.date(2026, 11, 26))
    assert item.key == ("restore", "r1", "COMPLETED", "TIMED_OUT")
    assert item.status_message == "no answer in 60 minutes" and item.resource_name is None


# --------------------------------------------------------------------------- events

def item(n: int, message: str = "failed", **fields) -> Item:
    values = dict(job_type="backup", job_id=f"b-{n:05d}", status="FAILED", validation_status=None,
                  account_id="111122223333", account_name="payments-prod", region="eu-west-1", resource_type="EBS",
                  resource_arn=f"arn:aws:ec2:eu-west-1:111122223333:volume/vol-{n:05d}", resource_name=f"orders-{n}",
                  message_category="ACCESS_DENIED", status_message=message,
                  creation_date=dt.datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC),
                  completion_date=dt.datetime(2026, 11, 26, 2, tzinfo=UTC), report_date=dt.date(2026, 11, 26))
    values.update(fields)
    return Item(**values)


def test_items_are_split_into_parts_under_the_limit_each_item_once():
    items = [item(n, "x" * (n % 700)) for n in range(3000)]
    parts = notify.attention_entries(items, "jr_1", dt.date(2026, 11, 26), "default")
    assert len(parts) > 3
    details = [json.loads(entry["Detail"]) for entry, _ in parts]
    for (entry, part_items), detail in zip(parts, details):
        assert entry["Detail"] == json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
        assert notify.entry_size(entry) <= notify.MAX_PART_BYTES
        assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (
            "backup-report", "Backup Jobs Need Attention", "default")
        assert [j["job_id"] for j in detail["jobs"]] == [i.job_id for i in part_items]
    assert [d["part"] for d in details] == list(range(1, len(parts) + 1))
    assert {(d["parts"], d["total"], d["run_id"], d["report_date"]) for d in details} == {
        (len(parts), 3000, "jr_1", "2026-11-26")}
    assert [j["job_id"] for d in details for j in d["jobs"]] == [i.job_id for i in items]
    assert details[0]["jobs"][0]["creation_date"] == "2026-11-26T01:02:03.456Z"
    # parts are full: each but the last would not take the next job
    first_next = len(json.dumps(notify.job_detail(parts[1][1][0]), separators=(",", ":")))
    assert notify.entry_size(parts[0][0]) + first_next > notify.MAX_PART_BYTES


def test_a_job_too_large_for_an_event_is_cut_to_fit():
    parts = notify.attention_entries([item(1, "é" * 300_000), item(2)], "jr", dt.date(2026, 11, 26), "b")
    assert all(notify.entry_size(e) <= notify.MAX_PART_BYTES for e, _ in parts)
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
        assert notify.iso(value) == utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    assert notify.iso(dt.datetime(2026, 11, 27, 4, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))) == (
        "2026-11-26T23:00:00.000Z")
    assert notify.iso(None) is None


def test_recent_is_at_most_the_max_age_before_the_run():
    now = dt.datetime(2026, 11, 26, 23, 59, tzinfo=UTC)
    for age in (dt.timedelta(0), dt.timedelta(hours=48), dt.timedelta(hours=48, microseconds=1), dt.timedelta(days=9)):
        for event in (now - age, (now - age).astimezone(dt.timezone(dt.timedelta(hours=-7)))):
            recent = age <= dt.timedelta(hours=48)
            assert attention.is_recent(item(1, completion_date=event), now, 48) is recent
            assert attention.is_recent(item(1, creation_date=event, completion_date=None), now, 48) is recent
    # the run's clock in another zone
    east = now.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert attention.is_recent(item(1, completion_date=now - dt.timedelta(hours=48)), east, 48)
    assert not attention.is_recent(item(1, completion_date=now - dt.timedelta(hours=49)), east, 48)


def varied_items(n: int, seed: int = 3) -> List[Item]:
    """Items of several days, accounts (named or not), regions and job types, in no order."""
    r = random.Random(seed)
    out = []
    for k in range(n):
        job_type = r.choice(["backup", "copy", "restore"])
        created = dt.datetime(2026, 11, 24, tzinfo=UTC) + dt.timedelta(seconds=r.randrange(3 * 86400))
        out.append(item(k, job_type=job_type, job_id=f"{job_type[0]}-{r.randrange(10 ** 6):06d}",
                        account_id=r.choice(["111122223333", "444455556666", "777788889999"]),
                        account_name=r.choice([None, "payments-prod", "data-platform-prod"]),
                        region=r.choice(["eu-west-1", "us-east-1"]), creation_date=created,
                        completion_date=r.choice([None, created + dt.timedelta(minutes=r.randrange(600))]),
                        report_date=created.date()))
    return out


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


def test_calls_hold_at_most_ten_entries_and_256_kb():
    entries = [{"Source": "s", "DetailType": "d", "Detail": "x" * size} for size in
               [1000] * 25 + [200_000, 100_000, 50_000, 50_000, 200_000]]
    groups = notify.batches(entries)
    assert sorted(i for g in groups for i in g) == list(range(len(entries)))
    for group in groups:
        assert len(group) <= 10
        assert sum(notify.entry_size(entries[i]) for i in group) < 256 * 1024
    assert [len(g) for g in groups] == [10, 10, 6, 3, 1]


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
    from botocore.exceptions import ClientError

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
    from botocore.exceptions import ClientError

    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "PutEvents")
    client = FlakyEvents({}, whole_call_error=denied)
    errors = notify.put_events(client, [{"Source": "s", "DetailType": "d", "Detail": "1"}], sleep=lambda s: None)
    assert errors == ["AccessDeniedException: not authorized"] and len(client.calls) == 1


# --------------------------------------------------------------------------- the digest

def settings(**overrides) -> Settings:
    values = dict(bucket="acme-backup-reports", role_arn="arn:aws:iam::123456789012:role/BackupReportRead",
                  database="backup_report", external_id=None, prefix="backup-reports", regions=None,
                  report_date=dt.date(2026, 11, 26), lookback_days=3, run_id="jr_0123abcd",
                  run_started_at=dt.datetime(2026, 11, 26, 23, 59, tzinfo=UTC),
                  event_bus="default", alert_topic_arn="arn:aws:sns:eu-west-1:123456789012:backup-report-alerts")
    values.update(overrides)
    return Settings(**values)


GOLDEN_ITEMS = [
    item(1, "IAM Role arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole does not have "
            "sufficient permissions to execute the backup", resource_name="orders-db-data"),
    item(2, "Windows VSS Backup Job Error encountered, trying for regular backup", status="COMPLETED",
         message_category="INVALID_PARAMETERS", resource_type="EC2", resource_name="web-prod-1",
         resource_arn="arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
         completion_date=dt.datetime(2026, 11, 26, 4, 30, tzinfo=UTC)),
    item(3, "Copy job failed because the destination region is not opted in.", job_type="copy", job_id="c-9",
         account_id="444455556666", account_name="data-platform-prod", region="us-east-1", resource_type="S3",
         resource_name="lake-raw", resource_arn="arn:aws:s3:::lake-raw", message_category="INVALID_PARAMETERS"),
    item(4, "Validation script exited with status 1", job_type="restore", job_id="r-7", status="COMPLETED",
         validation_status="FAILED", account_id="444455556666", account_name="data-platform-prod",
         region="us-east-1", resource_type="RDS", resource_name=None, message_category=None,
         resource_arn="arn:aws:rds:us-east-1:444455556666:db:ledger"),
    item(5, "", account_id="777788889999", account_name=None, region="ap-southeast-2", status="EXPIRED",
         message_category="EXPIRED", resource_name=None, resource_arn="arn:aws:dynamodb:ap-southeast-2:"
         "777788889999:table/sessions", resource_type="DynamoDB", completion_date=None),
]

GOLDEN_BODY = """\
5 AWS Backup jobs need attention (report day 2026-11-26, run jr_0123abcd).
Each is announced once; jobs that finished more than 48 hours before the run are left out.

By status
  backup COMPLETED with issues                   1
  backup EXPIRED                                 1
  backup FAILED                                  1
  copy FAILED                                    1
  restore test validation FAILED                 1

By account
  data-platform-prod (444455556666)              2
  payments-prod (111122223333)                   2
  777788889999                                   1

Jobs (5 of 5)
  1. data-platform-prod (444455556666), us-east-1: copy FAILED, 2026-11-26 02:00 UTC
     S3 lake-raw (arn:aws:s3:::lake-raw)
     INVALID_PARAMETERS: Copy job failed because the destination region is not opted in.
     copy job c-9
  2. data-platform-prod (444455556666), us-east-1: restore test validation FAILED, 2026-11-26 02:00 UTC
     RDS (arn:aws:rds:us-east-1:444455556666:db:ledger)
     Validation script exited with status 1
     restore job r-7
  3. payments-prod (111122223333), eu-west-1: backup FAILED, 2026-11-26 02:00 UTC
     EBS orders-db-data (arn:aws:ec2:eu-west-1:111122223333:volume/vol-00001)
     ACCESS_DENIED: IAM Role arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole does not have sufficient permissions to execute the backup
     backup job b-00001
  4. payments-prod (111122223333), eu-west-1: backup COMPLETED with issues, 2026-11-26 04:30 UTC
     EC2 web-prod-1 (arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc)
     INVALID_PARAMETERS: Windows VSS Backup Job Error encountered, trying for regular backup
     backup job b-00002
  5. 777788889999, ap-southeast-2: backup EXPIRED, 2026-11-26 01:02 UTC
     DynamoDB (arn:aws:dynamodb:ap-southeast-2:777788889999:table/sessions)
     backup job b-00005

Report slices that failed (their earlier rows are kept; the next run retries)
  copy jobs, eu-west-1, 2026-11-25: AccessDeniedException: User is not authorized to perform backup:ListCopyJobs

Every job that needs attention, and when it was announced: the saved query 15_jobs_needing_attention
(Athena named query 15_jobs_needing_attention, or: backup-report query jobs_needing_attention).
Report: s3://acme-backup-reports/backup-reports/
"""


def test_the_digest_reads_well():
    failed = [SliceResult("copy", "eu-west-1", dt.date(2026, 11, 25), cause=(
        "AccessDeniedException: User is not authorized to perform backup:ListCopyJobs"))]
    assert notify.digest_body(GOLDEN_ITEMS, failed, settings()) == GOLDEN_BODY
    assert notify.digest_subject(5, 1, dt.date(2026, 11, 26)) == (
        "backup-report: 5 backup jobs need attention, 1 report slice failed on 2026-11-26")


def test_the_digest_lists_the_first_50_jobs_by_account_region_type_and_time():
    items = varied_items(500)
    body = notify.digest_body(items, [], settings())
    first = sorted(items, key=lambda i: (i.account_name or "~", i.account_id, i.region, i.job_type, i.creation_date,
                                         i.job_id))[:50]
    assert re.findall(r"^ {5}(?:backup|copy|restore) job (\S+)$", body, re.M) == [i.job_id for i in first]


def test_ledger_rows_are_the_items_with_the_run_and_the_channels():
    at = dt.datetime(2026, 11, 26, 23, 59, 30, tzinfo=UTC)
    records = [(GOLDEN_ITEMS[0], ["events", "digest"]), (GOLDEN_ITEMS[3], ["digest"]), (GOLDEN_ITEMS[4], ["events"])]
    values = alerts.ledger_rows(records, "jr_1", at)
    assert list(values) == [c.name for c in ALERTS.columns]
    assert (values["run_id"], values["announced_at"], values["channels"]) == (
        ["jr_1"] * 3, [at] * 3, ["events,digest", "digest", "events"])
    for name in set(values) - {"run_id", "announced_at", "channels"}:
        assert values[name] == [getattr(i, name) for i, _ in records], name
    assert alerts.ledger_rows([], "jr_1", at) == {c.name: [] for c in ALERTS.columns}


def test_the_digest_lists_50_jobs_and_its_subject_stays_short():
    body = notify.digest_body([item(n) for n in range(120)], [], settings())
    assert "Jobs (50 of 120)" in body and len(re.findall(r"^ {5}backup job ", body, re.M)) == 50
    assert notify.digest_subject(1, 0, dt.date(2026, 11, 26)) == (
        "backup-report: 1 backup job needs attention on 2026-11-26")
    longest = notify.digest_subject(10 ** 12, 10 ** 9, dt.date(2026, 11, 26))
    assert len(longest) < 100 and longest.isascii() and "\n" not in longest


def test_iso_is_isoformat_in_utc_with_milliseconds_for_any_instant():
    rng = random.Random(7)
    zones = (UTC, dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=5, minutes=45)))
    for _ in range(2000):
        value = dt.datetime(rng.choice((2, 999, 1970, 2026, 9998)), rng.randint(1, 12), rng.randint(1, 28),
                            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                            rng.choice((0, 999, 1000, 999_999, rng.randint(0, 999_999))), tzinfo=rng.choice(zones))
        utc = value.astimezone(UTC)
        assert notify.iso(value) == utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"

