"""Listing: one report day's jobs of the whole organisation in the fewest pages, busy days in time windows."""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import boto3
import pytest
from botocore.exceptions import ClientError

from backup_report import listing, pacing, schema

from .builders import MANAGEMENT_ACCOUNT, UTC, api_job

DAY = dt.date(2026, 11, 26)
MEMBER = "210987654321"


def listed(day: dt.date = DAY, table: schema.Table = schema.BACKUP_JOBS):
    """The pages listing.list_jobs yields for ``day`` in us-east-1, as lists of job ids."""
    client = listing.backup_client(boto3.Session(), "us-east-1")
    id_field = table.columns[0].source
    return [[job[id_field] for job in page] for page in listing.list_jobs(client, table, day)]


def test_a_report_day_is_the_utc_day_leap_day_included():
    assert listing.day_bounds(dt.date(2028, 2, 29)) == (dt.datetime(2028, 2, 29, tzinfo=UTC),
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


def test_errors_and_retries_stay_botocores(emulator, local_aws):
    emulator.reset()
    emulator.set_faults(throttle_next=2)
    client = listing.backup_client(boto3.Session(), "us-east-1")
    assert client.list_backup_jobs(ByAccountId="*")["BackupJobs"] == []  # retried twice, then parsed fast
    assert emulator.stats()["throttled"] == 2
    emulator.set_faults(denied_regions=["us-east-1"])
    with pytest.raises(ClientError) as denied:
        client.list_backup_jobs(ByAccountId="*")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    emulator.set_faults()


# --------------------------------------------------------------------------- windows

def crowded_day(spread: int, cluster: int, ties: int, burst: int = 0):
    """Backup jobs on DAY: ``spread`` over the whole day and ``cluster`` within ten minutes at
    noon, ``ties`` of them at each instant (equal creation dates), from the day's first to its
    last millisecond, and ``burst`` more at 18:00 exactly; and two jobs just outside the day."""
    start, noon = dt.datetime(2026, 11, 26, tzinfo=UTC), dt.datetime(2026, 11, 26, 12, tzinfo=UTC)
    instants = [start + i * dt.timedelta(days=1) / (spread // ties) for i in range(spread // ties)]
    instants += [noon + i * dt.timedelta(minutes=10) / (cluster // ties) for i in range(cluster // ties)]
    instants.append(start + dt.timedelta(days=1) - dt.timedelta(milliseconds=1))
    jobs = [api_job("backup", f"b-{n:03d}-{k}", MEMBER, at.strftime("%Y-%m-%dT%H:%M:%S.%f"), "COMPLETED")
            for n, at in enumerate(instants) for k in range(ties)]
    jobs += [api_job("backup", f"burst-{k}", MEMBER, "2026-11-26T18:00:00", "COMPLETED") for k in range(burst)]
    outside = [api_job("backup", "x-before", MEMBER, "2026-11-25T23:59:59.999", "COMPLETED"),
               api_job("backup", "x-after", MEMBER, "2026-11-27T00:00:00", "COMPLETED")]
    return jobs, outside


def test_a_busy_day_is_listed_in_windows_and_every_job_comes_once(emulator, local_aws):
    jobs, outside = crowded_day(spread=700, cluster=1400, ties=7, burst=25)
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", jobs + outside)
    client = listing.backup_client(boto3.Session(), "us-east-1", pacing.RateLimiter(rate=1000, burst=1000))
    emulator.reset_stats()
    day = listing.DayListing(client, schema.BACKUP_JOBS, DAY, max_windows=4, page_size=10)
    seen = Counter(job["BackupJobId"] for page in day.pages() for job in page)
    assert set(seen) == {j["BackupJobId"] for j in jobs} and set(seen.values()) == {1}
    # the day was split, then the window holding the cluster was split again
    assert len(day.splits) >= 2 and day.windows == 1 + sum(n - 1 for n in day.splits) > 4
    # each window ends with a partial page: a few calls more than the minimum, not many
    calls = emulator.stats()["requests"][("ListBackupJobs", "us-east-1")]
    assert len(jobs) / 10 <= calls <= len(jobs) / 10 + 1 + 2 * day.windows


def test_windows_throttled_beyond_the_quota_still_list_every_job_once(emulator, local_aws):
    jobs, outside = crowded_day(spread=300, cluster=150, ties=3)
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", jobs + outside)
    # half the rate the client assumes, and the first calls throttled whatever the machine's pace
    emulator.set_faults(rate_limit_per_second=10, throttle_next=3)
    client = listing.backup_client(boto3.Session(), "us-east-1", pacing.RateLimiter(rate=20, burst=10))
    day = listing.DayListing(client, schema.BACKUP_JOBS, DAY, max_windows=6, page_size=10)
    try:
        seen = Counter(job["BackupJobId"] for page in day.pages() for job in page)
    finally:
        emulator.set_faults()
    assert set(seen) == {j["BackupJobId"] for j in jobs} and set(seen.values()) == {1}
    assert day.windows > 1
    assert emulator.stats()["throttled"] >= 3  # retried by botocore, paced by the bucket (test_pacing)


class SplitDay:
    """A client whose day comes back in full pages, dense enough to be split into windows.

    The window that starts at the day's start fails on its first call with ``error``; the
    others are paginated without end (up to ``PAGES`` pages) unless the listing stops them.
    """

    PAGES = 20000

    def __init__(self, error: BaseException):
        self.error = error
        self.lock = threading.Lock()
        self.calls = 0
        self.exhausted = 0  # windows paginated to their end

    def get_paginator(self, _operation):
        return self

    def paginate(self, ByCreatedAfter, ByCreatedBefore, **_params):
        with self.lock:
            self.calls += 1
            first = self.calls == 1
        lo, hi = ByCreatedAfter + listing.BOUNDARY_MARGIN, ByCreatedBefore - listing.BOUNDARY_MARGIN
        if first:  # the day: 10 jobs in its last 10 seconds, more to come
            yield {"BackupJobs": [{"BackupJobId": f"day-{i}", "CreationDate": hi - dt.timedelta(seconds=i + 1)}
                                  for i in range(10)], "NextToken": "more"}
            return
        if lo == dt.datetime(2026, 11, 26, tzinfo=UTC):
            raise self.error
        for _ in range(self.PAGES):  # jobs of one instant: a window not to split again
            yield {"BackupJobs": [{"BackupJobId": f"{hi}-{i}", "CreationDate": hi - dt.timedelta(seconds=1)}
                                  for i in range(10)], "NextToken": "more"}
        with self.lock:
            self.exhausted += 1


def test_one_failing_window_fails_the_listing_and_stops_the_others():
    error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListBackupJobs")
    client = SplitDay(error)
    day = listing.DayListing(client, schema.BACKUP_JOBS, DAY, max_windows=3, page_size=10)
    pages = day.pages()
    assert len(next(pages)) == 9  # the day's first page before the split (its oldest job: the windows')
    with pytest.raises(ClientError) as raised:
        for _ in pages:
            pass
    assert raised.value is error  # the window's own error, raised in the caller's thread
    assert day.splits == [3] and day.windows == 3
    # the other windows stopped at their next page rather than paginate to their end (a window
    # whose thread had not started its call when the error came never calls: at most 1 + 3 calls)
    assert client.exhausted == 0 and 2 <= client.calls <= 4
