"""The story: the demo's believable month, instead of the test bench.

A believable organisation rather than a test bench: each resource of a pool (a few per
account and region) is backed up once a day in its plan's window and a few percent of those
backups fail; one account's backups all fail for two days (``OrgSpec.incident``, a KMS key
disabled); copies follow the day's completed backups; restore tests mostly pass; malware scans follow the
day's backups, and one resource is infected (every scan of it finds threats); the two
resources per account and region that only ever fail (coverage) stay, so that the resources
without a recent success are a handful, each with a reason.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, Dict

from .coverage import COVERAGE
from .messages import FAIL_MESSAGES, SPECIAL_MESSAGES
from .org import Resource, env_of
from .spec import OrgSpec

#: Chance of each outcome of a pool backup that is not part of the incident.
STORY_BACKUP_OUTCOMES = (("FAILED", 0.015), ("EXPIRED", 0.004), ("ABORTED", 0.003), ("ISSUE", 0.02))
INCIDENT_MESSAGE = FAIL_MESSAGES[4]  # a KMS key disabled: every backup of the account fails


def pool_range(spec: OrgSpec, job_type: str) -> range:
    """The job indices of a story chunk after its coverage jobs: ``jobs_per_day`` in all."""
    low = len(COVERAGE[job_type])
    always = sum(1 for props in COVERAGE[job_type] if "failing" in props)
    return range(low, low + max(spec.jobs_per_day(job_type) - always, 0))


def pool_resource(spec: OrgSpec, region: str, p: int) -> Resource:
    """Resource ``p`` of the region's pool: accounts in turn, each account's resources in order."""
    accounts = spec.account_ids
    account = accounts[p % len(accounts)]
    resources = env_of(spec.seed, account, region).resources
    return resources[(p // len(accounts)) % len(resources)]


def pool_size(spec: OrgSpec) -> int:
    """How many distinct resources a region's pool backs up every day."""
    n = len(pool_range(spec, "backup"))
    return min(n, len(spec.accounts) * 30)


def in_incident(spec: OrgSpec, account: str, day: date) -> bool:
    """Whether ``account``'s backups all fail on ``day`` (the story's incident)."""
    if not spec.story or spec.incident is None:
        return False
    who, first, days = spec.incident
    return account == who and first <= day < first + timedelta(days=days)


def story_props(spec: OrgSpec, job_type: str, region: str, day: date, p: int, r: random.Random
                ) -> Dict[str, Any]:
    """The properties of slot ``p`` of a story chunk."""
    x = r.random()
    if job_type == "backup":
        return _backup_props(spec, region, day, p, r, x)
    if job_type == "copy":
        dest = ("region", "region", "account", "both")[r.randrange(4)]
        return {"state": "FAILED" if x < 0.02 else "COMPLETED", "dest": dest}
    if job_type == "scan":  # the infected resource's scans find threats (scan_jobs.infected)
        state = "FAILED" if x < 0.01 else "COMPLETED_WITH_ISSUES" if x < 0.03 else "COMPLETED"
        return {"state": state, "result": "NO_THREATS_FOUND"} if state != "FAILED" else {"state": state}
    return _restore_props(spec, r, x)


def _backup_props(spec: OrgSpec, region: str, day: date, p: int, r: random.Random, x: float) -> Dict[str, Any]:
    """A pool resource's daily backup: in the incident, failed; else mostly completed."""
    p = p % max(pool_size(spec), 1)  # more slots than resources: the pool again (hourly plans)
    res = pool_resource(spec, region, p)
    props: Dict[str, Any] = {"pool": p, "at": "window", "offset": (p * 53_000) % 3_600_000 + r.randrange(600_000)}
    if in_incident(spec, res.account, day):
        return dict(props, state="FAILED", msg=INCIDENT_MESSAGE[0].format(account=res.account, region=region),
                    cat=INCIDENT_MESSAGE[1])
    for outcome, chance in STORY_BACKUP_OUTCOMES:
        if x < chance:
            if outcome == "ISSUE":
                return dict(props, state="COMPLETED", issue=True)
            if outcome == "FAILED" and r.random() < 0.3:  # now and then a message that stresses CSV
                return dict(props, state="FAILED", msg=SPECIAL_MESSAGES[r.randrange(len(SPECIAL_MESSAGES))],
                            cat="INTERNAL_ERROR")
            return dict(props, state=outcome) if outcome == "FAILED" else dict(
                props, state=outcome, msg=("The backup job did not start within the start window."
                                           if outcome == "EXPIRED" else "Backup job was stopped by the user."),
                cat=outcome)
        x -= chance
    return dict(props, state="COMPLETED")


def _restore_props(spec: OrgSpec, r: random.Random, x: float) -> Dict[str, Any]:
    """A restore test of a pool resource (it mostly passes), or an ad-hoc restore."""
    res_p = r.randrange(max(pool_size(spec), 1))
    if x < 0.7:  # a restore test: it mostly passes
        state = "FAILED" if r.random() < 0.03 else "COMPLETED"
        props: Dict[str, Any] = {"state": state, "pool": res_p, "testing": r.randrange(2)}
        if state == "COMPLETED":
            v = r.random()
            props["validation"] = "SUCCESSFUL" if v < 0.95 else ("FAILED" if v < 0.98 else "TIMED_OUT")
            props["deletion"] = "SUCCESSFUL"
        return props
    y = r.random()  # an ad-hoc restore
    return {"state": "COMPLETED" if y < 0.95 else ("FAILED" if y < 0.99 else "ABORTED"), "pool": res_p}
