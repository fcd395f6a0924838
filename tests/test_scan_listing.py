"""Scan listing (``scan_listing``): the calls a window's scans take, the last row seen of each scan,
filed by creation day; against a scripted client and the emulator (a scan finishing between pages)."""
from __future__ import annotations

import datetime as dt
from typing import Dict, List

import boto3
import pytest
from botocore.exceptions import ClientError

from backup_report import scan_listing
from backup_report.local.emulator import BackupEmulator

from .builders import UTC, epoch

FIRST = dt.date(2026, 11, 20)
DAYS = [FIRST + dt.timedelta(days=n) for n in range(7)]
MEMBER = "210987654321"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def scan(scan_id: str, created: str, state: str, completed: str = "", **fields) -> Dict:
    """A scan job as boto3 returns it."""
    job = {"ScanJobId": scan_id, "AccountId": MEMBER, "CreationDate": at(created), "State": state, **fields}
    if completed:
        job["CompletionDate"] = at(completed)
    return job


class ScriptedClient:
    """Answers each ListScanJobs call's filters with the scans of the script, recording the calls."""

    def __init__(self, script: Dict[str, List[Dict]]):
        self.script, self.calls = script, []  # type: Dict[str, List[Dict]], List[Dict]

    def get_paginator(self, operation):
        assert operation == "list_scan_jobs"
        return self

    def paginate(self, **params):
        self.calls.append(params)
        key = params.get("ByState") or "completed"
        jobs = self.script.get(key, [])
        for i in range(0, max(len(jobs), 1), 2):  # two a page
            yield {"ScanJobs": jobs[i:i + 2]}


def test_a_window_is_listed_by_state_then_by_completion_after_its_first_instant():
    client = ScriptedClient({})
    assert scan_listing.list_scan_jobs(client, DAYS) == {day: [] for day in DAYS}
    page = {"PageSize": 1000}
    assert client.calls == [
        {"ByAccountId": "*", "PaginationConfig": page, "ByState": "CREATED"},
        {"ByAccountId": "*", "PaginationConfig": page, "ByState": "RUNNING"},
        {"ByAccountId": "*", "PaginationConfig": page, "ByCompleteAfter": at("2026-11-19T23:59:59")},
        {"ByAccountId": "*", "PaginationConfig": page, "ByState": "FAILED"},
        {"ByAccountId": "*", "PaginationConfig": page, "ByState": "CANCELED"}]


def test_each_scan_is_filed_once_under_its_creation_day_as_last_seen():
    running = scan("s-finished-meanwhile", "2026-11-22T23:50:00", "RUNNING")
    done = scan("s-finished-meanwhile", "2026-11-22T23:50:00", "COMPLETED", "2026-11-23T00:20:00",
                ScanResult={"ScanResultStatus": "THREATS_FOUND"})
    created = scan("s-started-meanwhile", "2026-11-26T23:59:59.500", "CREATED")
    client = ScriptedClient({
        "CREATED": [created],
        "RUNNING": [scan("s-started-meanwhile", "2026-11-26T23:59:59.500", "RUNNING"), running,
                    scan("s-running", "2026-11-21T05:00:00", "RUNNING")],
        "completed": [done, scan("s-before", "2026-11-19T23:59:59.999", "COMPLETED", "2026-11-20T01:00:00"),
                      scan("s-first", "2026-11-20T00:00:00", "COMPLETED", "2026-11-20T00:10:00"),
                      scan("s-failed", "2026-11-23T10:00:00", "FAILED", "2026-11-23T10:05:00")],
        "FAILED": [scan("s-failed", "2026-11-23T10:00:00", "FAILED", "2026-11-23T10:05:00"),
                   scan("s-failed-undated", "2026-11-24T10:00:00", "FAILED"),
                   scan("s-failed-long-ago", "2026-11-01T10:00:00", "FAILED")],
        "CANCELED": [scan("s-canceled", "2026-11-25T09:00:00", "CANCELED")],
    })
    by_day = scan_listing.list_scan_jobs(client, DAYS)
    filed = {(day, job["ScanJobId"], job["State"]) for day, jobs in by_day.items() for job in jobs}
    assert filed == {
        (dt.date(2026, 11, 20), "s-first", "COMPLETED"), (dt.date(2026, 11, 21), "s-running", "RUNNING"),
        (dt.date(2026, 11, 22), "s-finished-meanwhile", "COMPLETED"),
        (dt.date(2026, 11, 23), "s-failed", "FAILED"), (dt.date(2026, 11, 24), "s-failed-undated", "FAILED"),
        (dt.date(2026, 11, 25), "s-canceled", "CANCELED"), (dt.date(2026, 11, 26), "s-started-meanwhile", "RUNNING")}
    assert sum(map(len, by_day.values())) == len(filed) and set(by_day) == set(DAYS)
    assert by_day[dt.date(2026, 11, 22)][0]["ScanResult"] == {"ScanResultStatus": "THREATS_FOUND"}


def test_days_outside_the_first_call_are_not_listed_and_any_day_set_works():
    client = ScriptedClient({"completed": [scan("s-27", "2026-11-27T01:00:00", "COMPLETED", "2026-11-27T02:00:00"),
                                           scan("s-24", "2026-11-24T01:00:00", "COMPLETED", "2026-11-24T02:00:00")]})
    one_day = scan_listing.list_scan_jobs(client, [dt.date(2026, 11, 24)])
    assert {d: [j["ScanJobId"] for j in jobs] for d, jobs in one_day.items()} == {dt.date(2026, 11, 24): ["s-24"]}
    assert client.calls[2]["ByCompleteAfter"] == at("2026-11-23T23:59:59")


def test_a_failed_call_fails_the_listing():
    class Denied(ScriptedClient):
        def paginate(self, **params):
            if params.get("ByState") == "RUNNING":
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListScanJobs")
            return super().paginate(**params)

    with pytest.raises(ClientError):
        scan_listing.list_scan_jobs(Denied({}), DAYS)


def test_pages_of_a_day_for_the_slice():
    jobs = [{"ScanJobId": str(n)} for n in range(2500)]
    assert [len(p) for p in scan_listing.in_pages(jobs)] == [1000, 1000, 500]
    assert scan_listing.in_pages([]) == []


def test_a_scan_that_completes_between_two_pages_is_listed_once_completed():
    emulator = BackupEmulator(management_account_id="123456789012").start()
    try:
        def api(scan_id, created, state, completed=None):
            job = {"ScanJobId": scan_id, "AccountId": MEMBER, "CreationDate": epoch(created), "State": state}
            if completed:
                job["CompletionDate"] = epoch(completed)
            return job

        emulator.load_jobs("scan", "us-east-1", [api(f"s-{n}", f"2026-11-26T0{n}:00:00", "RUNNING") for n in range(4)])
        client = boto3.client("backup", region_name="us-east-1", endpoint_url=emulator.url,
                              aws_access_key_id="x", aws_secret_access_key="y")
        finished = []

        def finish_s3_once_listed_running(parsed, model, **_kwargs):
            listed = {(j["ScanJobId"], j["State"]) for j in parsed.get("ScanJobs", [])}
            if model.name == "ListScanJobs" and ("s-3", "RUNNING") in listed and not finished:
                finished.append(True)  # s-3 finishes before the listing's next page
                emulator.load_jobs("scan", "us-east-1", [
                    api("s-3", "2026-11-26T03:00:00", "COMPLETED", "2026-11-26T03:30:00")])

        client.meta.events.register("after-call.backup.ListScanJobs", finish_s3_once_listed_running)
        by_day = scan_listing.list_scan_jobs(client, [dt.date(2026, 11, 26)], page_size=1)
        assert sorted((j["ScanJobId"], j["State"]) for j in by_day[dt.date(2026, 11, 26)]) == [
            ("s-0", "RUNNING"), ("s-1", "RUNNING"), ("s-2", "RUNNING"), ("s-3", "COMPLETED")]
        assert finished
    finally:
        emulator.stop()
