"""The emulator's ``List*JobSummaries`` (``local/emulator/summaries``), through a real boto3 client:
counts by creation day and current state, each parameter's ANY / AGGREGATE_ALL, pages, clock,
freeze, faults, and the admin hooks that move AWS Backup's state on."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from backup_report.local.emulator import BackupEmulator, EmulatorClient

MGMT, MEMBER, OTHER = "123456789012", "210987654321", "333344445555"
UTC = timezone.utc


@pytest.fixture(scope="module")
def emu():
    emulator = BackupEmulator(management_account_id=MGMT).start()
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def jobs(emu):
    emu.reset()
    emu.load_jobs("backup", "us-east-1", [
        backup("b1", "2026-11-20T01:00:00", "COMPLETED", MEMBER, "EC2", "SUCCESS"),
        backup("b2", "2026-11-20T02:00:00", "COMPLETED", MEMBER, "EBS", "SUCCESS"),
        backup("b3", "2026-11-20T23:59:59", "FAILED", OTHER, "EBS", "ACCESS_DENIED"),
        backup("b4", "2026-11-21T00:00:00", "RUNNING", MGMT, "EC2", None),
        backup("b5", "2026-11-01T12:00:00", "COMPLETED", MEMBER, "EC2", "SUCCESS"),
    ])
    emu.load_jobs("backup", "eu-west-1", [backup("b6", "2026-11-20T05:00:00", "COMPLETED", MEMBER, "EC2", "SUCCESS")])


def backup(job_id, created, state, account, resource_type, category) -> Dict[str, Any]:
    item = {"BackupJobId": job_id, "AccountId": account, "State": state, "ResourceType": resource_type,
            "CreationDate": datetime.fromisoformat(created).replace(tzinfo=UTC).timestamp()}
    if category:
        item["MessageCategory"] = category
    return item


def client(emu, region="us-east-1"):
    return boto3.client("backup", region_name=region, endpoint_url=emu.url, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))


def rows(emu, region="us-east-1", **params) -> List[Dict[str, Any]]:
    out, token = [], None
    while True:
        page = client(emu, region).list_backup_job_summaries(**params, **({"NextToken": token} if token else {}))
        out += page["BackupJobSummaries"]
        token = page.get("NextToken")
        if not token:
            return out


def keys(found, *fields):
    return sorted((r["StartTime"].date().isoformat(), *(r.get(f) for f in fields), r["Count"]) for r in found)


def test_any_is_a_row_per_value_and_aggregate_all_their_sum(emu):
    found = rows(emu, AggregationPeriod="ONE_DAY", AccountId="ANY", State="ANY", ResourceType="AGGREGATE_ALL",
                 MessageCategory="AGGREGATE_ALL")
    assert keys(found, "AccountId", "State") == [
        ("2026-11-01", MEMBER, "COMPLETED", 1), ("2026-11-20", MEMBER, "COMPLETED", 2),
        ("2026-11-20", OTHER, "FAILED", 1), ("2026-11-21", MGMT, "RUNNING", 1)]
    assert {(r["ResourceType"], r["MessageCategory"], r["Region"]) for r in found} == {
        ("AGGREGATE_ALL", "AGGREGATE_ALL", "us-east-1")}
    day = next(r for r in found if r["AccountId"] == MEMBER and r["StartTime"].day == 20)
    assert (day["EndTime"] - day["StartTime"]).total_seconds() == 86400 and day["StartTime"].hour == 0
    assert keys(rows(emu, AccountId="AGGREGATE_ALL", State="AGGREGATE_ALL", ResourceType="ANY",
                     MessageCategory="AGGREGATE_ALL"), "AccountId", "ResourceType") == [
        ("2026-11-01", "AGGREGATE_ALL", "EC2", 1), ("2026-11-20", "AGGREGATE_ALL", "EBS", 2),
        ("2026-11-20", "AGGREGATE_ALL", "EC2", 1), ("2026-11-21", "AGGREGATE_ALL", "EC2", 1)]
    # a message category is counted under the job's own value; a job without one has none
    by_category = rows(emu, AccountId="ANY", State="AGGREGATE_ALL", ResourceType="AGGREGATE_ALL",
                       MessageCategory="ANY")
    assert sorted((r["AccountId"], r.get("MessageCategory")) for r in by_category if r["StartTime"].day >= 20) == [
        (MGMT, None), (MEMBER, "SUCCESS"), (OTHER, "ACCESS_DENIED")]


def test_a_value_filters_and_no_account_is_the_callers_own(emu):
    assert keys(rows(emu, AccountId=OTHER, State="FAILED", ResourceType="EBS"), "AccountId") == [
        ("2026-11-20", OTHER, 1)]
    assert keys(rows(emu, State="ANY", ResourceType="AGGREGATE_ALL", MessageCategory="AGGREGATE_ALL"),
                "AccountId", "State") == [("2026-11-21", MGMT, "RUNNING", 1)]
    emu.set_faults(cross_account_monitoring_off=True)
    assert {r["AccountId"] for r in rows(emu, AccountId="ANY")} == {MGMT}


def test_pages_of_at_most_500_follow_next_token_and_a_larger_page_is_refused(emu):
    emu.load_jobs("backup", "us-east-1", [backup(f"x{n}", f"2026-11-{1 + n // 60:02d}T03:00:00", "COMPLETED",
                                                  f"{100000000000 + n:012d}", "EC2", "SUCCESS") for n in range(1200)])
    found = rows(emu, AccountId="ANY", State="ANY", ResourceType="AGGREGATE_ALL", MaxResults=500)
    assert sum(r["Count"] for r in found) == 1205 and len(found) == len({(r["StartTime"], r["AccountId"], r["State"])
                                                                          for r in found})
    with pytest.raises(ClientError) as refused:
        client(emu).list_backup_job_summaries(MaxResults=501)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError):
        client(emu).list_backup_job_summaries(NextToken="garbage")


def test_a_clock_keeps_the_fourteen_days_before_it_and_longer_periods_are_one_row(emu):
    emu.set_summaries("2026-11-21T10:00:00Z")
    assert {r["StartTime"].day for r in rows(emu, AccountId="ANY")} == {20, 21}  # not 11-01: older than 14 days
    (week,) = rows(emu, AccountId="AGGREGATE_ALL", State="AGGREGATE_ALL", ResourceType="AGGREGATE_ALL",
                   MessageCategory="AGGREGATE_ALL", AggregationPeriod="SEVEN_DAYS")
    assert week["Count"] == 4 and (week["EndTime"] - week["StartTime"]).days == 7


def test_counts_are_live_unless_frozen_and_aws_backups_state_moves_on_through_the_admin_api(emu):
    admin = EmulatorClient(emu.url)
    admin.set_summaries(freeze=True)
    admin.patch_job("backup", "us-east-1", "b4", State="COMPLETED", CompletionDate=1795000000.0)
    admin.remove_jobs("backup", "us-east-1", ["b3"])
    admin.load_jobs("backup", "us-east-1", [backup("b-late", "2026-11-20T08:00:00", "COMPLETED", MEMBER, "EC2", None)])
    summed = dict(AccountId="ANY", State="ANY", ResourceType="AGGREGATE_ALL", MessageCategory="AGGREGATE_ALL")
    frozen = keys(rows(emu, **summed), "AccountId", "State")
    assert ("2026-11-21", MGMT, "RUNNING", 1) in frozen and ("2026-11-20", OTHER, "FAILED", 1) in frozen
    assert admin.set_summaries() == {"now": None, "frozen": False}
    live = keys(rows(emu, **summed), "AccountId", "State")
    assert ("2026-11-21", MGMT, "COMPLETED", 1) in live and ("2026-11-20", MEMBER, "COMPLETED", 3) in live
    assert not any(k[1] == OTHER for k in live)
    listed = client(emu).list_backup_jobs(ByAccountId="*")["BackupJobs"]
    assert {j["BackupJobId"]: j["State"] for j in listed}["b4"] == "COMPLETED" and "b3" not in {
        j["BackupJobId"] for j in listed}


def test_each_job_type_has_its_operation_and_a_denied_one_is_refused_alone(emu):
    emu.load_jobs("restore", "us-east-1", [{"RestoreJobId": "r1", "AccountId": MEMBER, "Status": "COMPLETED",
                                             "CreationDate": 1795600000.0, "ResourceType": "RDS"}])
    c = client(emu)
    (restore,) = c.list_restore_job_summaries(AccountId="ANY", State="ANY", ResourceType="AGGREGATE_ALL",
                                              AggregationPeriod="ONE_DAY")["RestoreJobSummaries"]
    assert (restore["AccountId"], restore["State"], restore["Count"]) == (MEMBER, "COMPLETED", 1)
    assert c.list_copy_job_summaries(AccountId="ANY")["CopyJobSummaries"] == []
    emu.set_faults(denied=[["us-east-1", "ListCopyJobSummaries"]])
    with pytest.raises(ClientError) as denied:
        c.list_copy_job_summaries(AccountId="ANY")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert c.list_backup_job_summaries(AccountId="ANY")["BackupJobSummaries"]
    assert emu.stats()["requests"][("ListCopyJobSummaries", "us-east-1")] == 2
