"""AWS Backup's daily counts (``summaries``): the request of each job type, NextToken by hand, one-day rows only."""
from __future__ import annotations

import datetime as dt

import boto3
from botocore.stub import Stubber

from backup_report import summaries
from backup_report.schema import BACKUP_JOBS, COPY_JOBS, RESTORE_JOBS

from .builders import UTC


def at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


def row(account, state, count, start, end, **more):
    return {"Region": "us-east-1", "AccountId": account, "State": state, "Count": count, "StartTime": start,
            "EndTime": end, **more}


def test_each_job_type_asks_for_every_account_and_state_summed_over_the_rest():
    assert summaries.parameters(BACKUP_JOBS) == {
        "AggregationPeriod": "ONE_DAY", "AccountId": "ANY", "State": "ANY", "ResourceType": "AGGREGATE_ALL",
        "MessageCategory": "AGGREGATE_ALL", "MaxResults": 500}
    assert summaries.parameters(COPY_JOBS)["MessageCategory"] == "AGGREGATE_ALL"
    assert "MessageCategory" not in summaries.parameters(RESTORE_JOBS)  # restores have no such parameter


def test_pages_are_followed_and_rows_summed_by_day_account_and_state_one_day_rows_only():
    client = boto3.client("backup", region_name="us-east-1")
    stub = Stubber(client)
    first = dict(summaries.parameters(BACKUP_JOBS))
    stub.add_response("list_backup_job_summaries", {"BackupJobSummaries": [
        row("111122223333", "COMPLETED", 3, at(20), at(21), ResourceType="EC2"),
        row("111122223333", "COMPLETED", 2, at(20), at(21), ResourceType="EBS"),
        row("111122223333", "RUNNING", 1, at(21), at(21, 23) + dt.timedelta(minutes=59, seconds=59,
                                                                          microseconds=999000))],
        "NextToken": "page-2"}, first)
    stub.add_response("list_backup_job_summaries", {"BackupJobSummaries": [
        row("444455556666", "FAILED", 4, at(14), at(21)),  # seven days: left out
        row("444455556666", "FAILED", 1, at(20, 6), at(21, 6)),  # not a UTC day: left out
        row("444455556666", "FAILED", 1, at(20), at(21))]}, {**first, "NextToken": "page-2"})
    with stub:
        counted = summaries.fetch(client, BACKUP_JOBS)
    stub.assert_no_pending_responses()
    assert counted.counts == {
        dt.date(2026, 11, 20): {("111122223333", "COMPLETED"): 5, ("444455556666", "FAILED"): 1},
        dt.date(2026, 11, 21): {("111122223333", "RUNNING"): 1}}
    assert counted.periods[dt.date(2026, 11, 20)] == (at(20), at(21))
    assert (counted.calls, counted.rows, counted.other_periods) == (2, 6, 2)
