"""Fetch: one day's jobs of the whole organisation in the fewest pages; the accounts' names."""
from __future__ import annotations

import datetime as dt

import boto3
from botocore.stub import Stubber

from backup_report import fetch, schema
from backup_report.fetch import account_names

from .builders import MANAGEMENT_ACCOUNT, UTC, api_job

DAY = dt.date(2026, 11, 26)
MEMBER = "210987654321"


def listed(day: dt.date = DAY, table: schema.Table = schema.BACKUP_JOBS):
    """The pages fetch.list_jobs yields for ``day`` in us-east-1, as lists of job ids."""
    client = fetch.backup_client(boto3.Session(), "us-east-1")
    id_field = table.columns[0].source
    return [[job[id_field] for job in page] for page in fetch.list_jobs(client, table, day)]


def test_a_report_day_is_the_utc_day_leap_day_included():
    assert fetch.day_bounds(dt.date(2028, 2, 29)) == (dt.datetime(2028, 2, 29, tzinfo=UTC),
                                                       dt.datetime(2028, 3, 1, tzinfo=UTC))


def test_a_day_holds_every_accounts_jobs_created_in_it_and_no_other(emulator, local_aws):
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", "before", MEMBER, "2026-11-25T23:59:59.500", "COMPLETED"),  # inside the margin
        api_job("backup", "first", MEMBER, "2026-11-26T00:00:00", "COMPLETED"),
        api_job("backup", "own", MANAGEMENT_ACCOUNT, "2026-11-26T12:00:00", "FAILED"),
        api_job("backup", "last", MEMBER, "2026-11-26T23:59:59.999", "RUNNING"),
        api_job("backup", "after", MEMBER, "2026-11-27T00:00:00", "COMPLETED"),
        api_job("backup", "later", MEMBER, "2026-11-27T00:00:00.500", "COMPLETED"),
    ])
    emulator.load_jobs("backup", "eu-west-1", [
        api_job("backup", "other-region", MEMBER, "2026-11-26T12:00:00", "COMPLETED")])
    assert sorted(job_id for page in listed() for job_id in page) == ["first", "last", "own"]
    emulator.load_jobs("copy", "us-east-1", [api_job("copy", "c-1", MEMBER, "2026-11-26T01:00:00", "FAILED")])
    assert listed(table=schema.COPY_JOBS) == [["c-1"]]


def test_a_day_is_listed_in_pages_of_a_thousand(emulator, local_aws):
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", f"b-{i:04d}", MEMBER, f"2026-11-26T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}",
                "COMPLETED") for i in range(2001)])
    emulator.reset_stats()
    assert [len(page) for page in listed()] == [1000, 1000, 1]
    assert emulator.stats()["requests"][("ListBackupJobs", "us-east-1")] == 3


def test_account_names_come_from_organizations(local_aws):
    org = boto3.client("organizations")
    try:
        org.create_organization(FeatureSet="ALL")
    except org.exceptions.AlreadyInOrganizationException:
        pass
    org.create_account(Email="fetch-names@example.com", AccountName="fetch, \"names\"")
    expected = {a["Id"]: a["Name"] for p in org.get_paginator("list_accounts").paginate() for a in p["Accounts"]}
    names = account_names(boto3.Session())
    assert names == expected and "fetch, \"names\"" in names.values() and names[MANAGEMENT_ACCOUNT]


def test_account_names_denied_gives_a_warning_and_no_names(caplog):
    session = boto3.Session(region_name="us-east-1")
    client = session.client("organizations")
    stub = Stubber(client)
    stub.add_client_error("list_accounts", "AccessDeniedException", "not allowed")
    session.client = lambda *a, **k: client
    with stub, caplog.at_level("WARNING"):
        assert account_names(session) == {}
    assert "organizations:ListAccounts" in caplog.text and "AccessDeniedException" in caplog.text
