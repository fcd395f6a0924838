"""The demo's organisation tells a believable story (``OrgSpec(story=True)``); every expected value
is computed from the generator's own jobs."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from backup_report.local import synthetic as s

LAST = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.timezone.utc)
ACCOUNTS = s.default_accounts(6)
INCIDENT = (ACCOUNTS[3][0], LAST - dt.timedelta(days=5), 2)
FAILURES = {"FAILED", "ABORTED", "EXPIRED", "PARTIAL"}


def story(now=NOW, **overrides) -> s.OrgSpec:
    values = dict(accounts=ACCOUNTS, regions=["us-east-1", "eu-west-1"], first_day=LAST - dt.timedelta(days=9),
                  days=10, backup_jobs_per_day=40, copy_jobs_per_day=16, restore_jobs_per_day=16, seed=7,
                  story=True, incident=INCIDENT, now=now)
    values.update(overrides)
    return s.OrgSpec(**values)


def day_of(job) -> dt.date:
    return s.to_datetime(job["CreationDate"]).date()


@pytest.fixture(scope="module")
def jobs():
    return s.generate(story())


def backups(jobs):
    return [(region, job) for (job_type, region), items in jobs.items() if job_type == "backup" for job in items]


def always_failing(job) -> bool:
    return s.FAILING_RESOURCE_MARKER in job["ResourceName"]


def test_the_spec_round_trips_through_json():
    spec = story()
    assert s.OrgSpec.from_json(spec.to_json()) == spec
    assert s.OrgSpec.from_dict(spec.to_dict()).incident == INCIDENT


def test_each_resource_of_the_pool_is_backed_up_once_a_day(jobs):
    spec = story()
    per_day = Counter((job["ResourceArn"], day_of(job)) for _, job in backups(jobs))
    for region in spec.regions:
        pool = {s.pool_resource(spec, region, p).arn for p in range(s.pool_size(spec))}
        assert len(pool) == s.pool_size(spec) > 2 * len(ACCOUNTS)
        for day in spec.day_list:
            assert {arn: per_day[(arn, day)] for arn in pool} == {arn: 1 for arn in pool}, (region, day)
    assert set(per_day.values()) == {1}


def test_a_few_percent_of_the_daily_backups_fail(jobs):
    ordinary = [job for _, job in backups(jobs)
                if not always_failing(job) and not s.in_incident(story(), job["AccountId"], day_of(job))]
    failed = sum(job["State"] in FAILURES for job in ordinary)
    assert 0.005 <= failed / len(ordinary) <= 0.06, (failed, len(ordinary))


def test_one_account_fails_for_two_days_and_recovers(jobs):
    account, first, days = INCIDENT
    mine = [job for _, job in backups(jobs) if job["AccountId"] == account and not always_failing(job)]
    during = [job for job in mine if first <= day_of(job) < first + dt.timedelta(days=days)]
    after = [job for job in mine if day_of(job) >= first + dt.timedelta(days=days)]
    assert during and {job["State"] for job in during} == {"FAILED"}
    assert all("KMS key" in job["StatusMessage"] for job in during)
    assert sum(job["State"] == "COMPLETED" for job in after) / len(after) >= 0.9
    others = Counter(day_of(job) for _, job in backups(jobs) if job["AccountId"] != account and job["State"] == "FAILED"
                     and not always_failing(job))
    assert max(others.values()) < len(during) / days  # the incident stands out


def test_restore_tests_mostly_pass(jobs):
    tests = [job for (job_type, _), items in jobs.items() if job_type == "restore" for job in items
             if "RestoreTestingPlanArn" in job.get("CreatedBy", {})]
    passed = sum(job["Status"] == "COMPLETED" and job.get("ValidationStatus") == "SUCCESSFUL" for job in tests)
    assert len(tests) > 50 and passed / len(tests) >= 0.85


def test_no_job_is_later_than_the_clock_and_the_clock_settles_them(jobs):
    now = NOW.timestamp()
    running = []
    for (job_type, _), items in jobs.items():
        for job in items:
            assert job["CreationDate"] <= now and job.get("CompletionDate", 0) <= now
            if job[s.STATUS_FIELD[job_type]] == "RUNNING":
                running.append((job_type, job[s.ID_FIELD[job_type]]))
    later = s.generate(story(now=NOW + dt.timedelta(days=1)))  # the same days, listed a day later
    states = {(t, j[s.ID_FIELD[t]]): j[s.STATUS_FIELD[t]] for (t, _), items in later.items() for j in items}
    assert running and all(states[key] in s.FINAL_STATES[key[0]] for key in running)
    assert {(t, j[s.ID_FIELD[t]]) for (t, _), items in jobs.items() for j in items} < set(states)


def test_resources_without_a_recent_success_are_a_handful_each_with_a_reason(jobs):
    """04_resources_without_recent_success by its rule (no COMPLETED backup in the last 2 days)."""
    recent_success = defaultdict(bool)
    for _, job in backups(jobs):
        recent = day_of(job) > LAST - dt.timedelta(days=2)
        recent_success[job["ResourceArn"]] |= recent and job["State"] == "COMPLETED"
    stale = {arn for arn, ok in recent_success.items() if not ok}
    failing = {job["ResourceArn"] for _, job in backups(jobs) if always_failing(job)}
    assert len(recent_success) > 50 and stale == failing and 0 < len(stale) <= 2 * len(story().regions)


def test_the_management_account_is_named_as_such():
    assert ACCOUNTS[0] == (s.DEFAULT_MANAGEMENT_ACCOUNT_ID, "management")


def test_one_infected_resource_finds_threats_every_day_and_nothing_else_does(jobs):
    scans = jobs[("scan", "us-east-1")]
    threats = [j for j in scans if j.get("ScanResult", {}).get("ScanResultStatus") == "THREATS_FOUND"]
    assert {j["ResourceArn"] for j in threats} == {s.infected(story())[1].arn}
    assert len({day_of(j) for j in threats}) >= 9  # each night has one to announce (its backup may fail)
    assert LAST in {day_of(j) for j in threats}
    assert not [j for j in jobs[("scan", "eu-west-1")] if j.get("ScanResult", {}).get("ScanResultStatus") ==
                "THREATS_FOUND"]
    assert all(j["AccountId"] != INCIDENT[0] for j in threats)
    recovery_points = {j.get("RecoveryPointArn") for _, j in backups(jobs) if j["State"] == "COMPLETED"}
    assert all(j["RecoveryPointArn"] in recovery_points for j in scans)  # every story scan follows a backup
