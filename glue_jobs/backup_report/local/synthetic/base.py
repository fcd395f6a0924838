"""What every (job type, region, day) chunk shares: job ``i``'s generator, account, creation time,
size and properties, its parent, the cache of the jobs children read, and the clock (``now``).

A job is a pure function of ``(spec.seed, job type, region, day, index)``: the generator is
re-seeded per job, so the steps of a builder must draw from it in a fixed order.
"""
from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, Iterator, Optional

from .coverage import COVERAGE, random_props
from .org import Env, env_of, guid, hash_int, random_size
from .spec import STATUS_FIELD, OrgSpec
from .story import pool_range, story_props

GIB = 1 << 30


@dataclass
class Draft:
    """What the steps of one job's build share: its index, generator, properties, id, parent and account."""

    i: int
    r: random.Random
    props: Dict[str, Any]
    job_id: str
    parent: Optional[Dict[str, Any]]
    account: str

    @property
    def state(self) -> str:
        return self.props["state"]


class Chunk:
    """Builds the jobs of one (job type, region, day); job ``i`` is a pure function of i."""

    job_type = ""

    def __init__(self, spec: OrgSpec, region: str, day: date):
        self.spec = spec
        self.region = region
        self.day = day
        self.count = spec.jobs_per_day(self.job_type)
        self.day_ms = calendar.timegm(day.timetuple()) * 1000
        self.base = hash_int(spec.seed, self.job_type, region, day.isoformat()) << 32
        self.rng = random.Random()
        self.accounts = spec.account_ids
        others = [x for x in spec.regions if x != region]
        self.other_regions = others or ["us-west-2" if region != "us-west-2" else "us-east-2"]
        self.cover = COVERAGE[self.job_type]
        self._cache: Dict[int, Dict[str, Any]] = {}
        # Story: no coverage but the resources that only ever fail; then one job per slot of
        # the pool (a backup per pool resource, a copy or a restore of one).
        self.indices = list(range(self.count)) if not spec.story else \
            [k for k, props in enumerate(self.cover) if "failing" in props] + \
            list(pool_range(spec, self.job_type))

    def jobs(self) -> Iterator[Dict[str, Any]]:
        """The chunk's jobs in index order, as listed at the spec's clock (none created after it)."""
        now = None if self.spec.now is None else self.spec.now.timestamp()
        for i in self.indices:
            job = self.build(i)
            if now is None:
                yield job
            elif job["CreationDate"] <= now:  # nothing created after the clock
                yield as_of(job, now, self.job_type)

    def build(self, i: int) -> Dict[str, Any]:
        cached = self._cache.get(i)
        if cached is not None:
            return cached
        job = self._job(i)
        if i < len(self.cover):  # parents are read by their children: keep the few coverage jobs
            self._cache[i] = dict(job)
        return job

    def _job(self, i: int) -> Dict[str, Any]:
        raise NotImplementedError

    # -- the steps every builder starts with
    def _draft(self, i: int) -> Draft:
        """Job ``i``'s id, properties, parent (built first) and account, drawn in that order."""
        r = self._rng(i)
        job_id = guid(r)
        props = self._props(i, r)
        if "child_of" not in props:
            return Draft(i, r, props, job_id, None, self._account(i, r))
        parent = self.build(props["child_of"])
        r = self._rng(i)  # building the parent re-seeded the generator
        guid(r)
        return Draft(i, r, props, job_id, parent, parent["AccountId"])

    def _env(self, account: str) -> Env:
        return env_of(self.spec.seed, account, self.region)

    def _rng(self, i: int) -> random.Random:
        self.rng.seed(self.base | i)
        return self.rng

    def _props(self, i: int, r: random.Random) -> Dict[str, Any]:
        if i < len(self.cover):
            return self.cover[i]
        if self.spec.story:
            return story_props(self.spec, self.job_type, self.region, self.day, i - len(self.cover), r)
        return random_props(self.job_type, r)

    def _account(self, i: int, r: random.Random) -> str:
        if i < len(self.cover) or len(self.accounts) == 1:
            return self.accounts[i % len(self.accounts)]
        return self.accounts[r.randrange(len(self.accounts))]

    def _created_ms(self, d: Draft) -> int:
        """When the job was created: after its parent, in its plan's window, at the day's edges, or any time."""
        if d.parent is not None:
            return int(round(d.parent["CreationDate"] * 1000)) + 1000 + d.r.randrange(60_000)
        at = d.props.get("at")
        if at == "window":  # a backup plan's daily window, from 05:00 UTC
            return self.day_ms + 5 * 3_600_000 + d.props["offset"]
        if at == "start":
            return self.day_ms + 500
        if at == "end":
            return self.day_ms + 86_399_500
        return self.day_ms + d.r.randrange(86_400_000)

    def _size(self, props: Dict[str, Any], r: random.Random) -> int:
        size = props.get("size")
        if size == "big":
            return 4 * GIB + 1 + r.randrange(8 * GIB)
        if size == "huge":
            return 2 * 1024 * GIB + r.randrange(1024 * GIB)
        return random_size(r)


def as_of(job: Dict[str, Any], now: float, job_type: str) -> Dict[str, Any]:
    """``job`` as listed at ``now``: still RUNNING when it completes later."""
    completion = job.get("CompletionDate")
    if completion is None or completion <= now:
        return job
    out = {k: v for k, v in job.items() if k not in (
        "CompletionDate", "MessageCategory", "StatusMessage", "ValidationStatus", "ValidationStatusMessage",
        "DeletionStatus", "DeletionStatusMessage", "CreatedResourceArn", "RecoveryPointLifecycle", "ScanResult")}
    out[STATUS_FIELD[job_type]] = "RUNNING"
    if "PercentDone" in out:
        out["PercentDone"] = "50.00%" if job_type == "restore" else "50.0"
    return out


