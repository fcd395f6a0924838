"""Fault injection for AWS Backup's ``List*Jobs`` and ``List*JobSummaries``: denials, latency, throttling, outages.

``set_faults`` replaces the whole configuration (no argument: no faults). Applied to API
requests in this order: ``denied_regions`` / ``denied`` pairs (a region and an operation, e.g.
``ListBackupJobSummaries``) -> 403 ``AccessDeniedException``
whose message names the operation and region; ``latency_seconds``; ``throttle_regions``
(always throttled), ``throttle_next`` (the next N requests), ``rate_limit_per_second`` (AWS
Backup's request quota: a token bucket per region that every operation shares, burst =
one second's worth; with ``latency_seconds`` the emulator answers at the real API's pace, see
``scripts/benchmark.py --paced``), ``throttle_rate`` (probability, from an RNG seeded with
``seed``) -> 400 ``ThrottlingException`` (which botocore's retry modes retry);
``unavailable_rate`` -> 503 ``ServiceUnavailableException``.
``cross_account_monitoring_off`` is a setting rather than an error: ``ByAccountId='*'`` then
returns only the management account's own jobs, as AWS Backup does while cross-account
monitoring is not turned on.
"""
from __future__ import annotations

import random
import threading
import time
from typing import Any, Dict, List, Optional, Sequence

from .summaries import SUMMARY_OPS_BY_NAME
from .wire import ApiError, op_name


class Faults:
    """One fault configuration (see the module docstring), validated."""

    def __init__(self, throttle_rate: float = 0.0, throttle_regions: Sequence[str] = (),
                 rate_limit_per_second: Optional[float] = None, denied_regions: Sequence[str] = (),
                 denied: Sequence[Sequence[str]] = (), seed: Optional[int] = None,
                 unavailable_rate: float = 0.0, throttle_next: int = 0, latency_seconds: float = 0.0,
                 cross_account_monitoring_off: bool = False):
        self.throttle_rate = float(throttle_rate or 0.0)
        self.throttle_regions = frozenset(throttle_regions or ())
        self.rate_limit = float(rate_limit_per_second) if rate_limit_per_second else None
        self.denied_regions = frozenset(denied_regions or ())
        pairs = set()
        for pair in denied or ():
            if len(pair) != 2:
                raise ValueError(f"denied entries are [region, operation] pairs, not {pair!r}")
            region, operation = pair
            operation = str(operation)
            pairs.add((str(region), operation if operation in SUMMARY_OPS_BY_NAME else op_name(operation)))
        self.denied = frozenset(pairs)
        self.seed = seed
        self.unavailable_rate = float(unavailable_rate or 0.0)
        self.throttle_next = int(throttle_next or 0)
        self.latency = float(latency_seconds or 0.0)
        self.cross_account_monitoring_off = bool(cross_account_monitoring_off)
        for name in ("throttle_rate", "unavailable_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within 0..1")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError("rate_limit_per_second must be > 0")

    def to_dict(self) -> Dict[str, Any]:
        return {"throttle_rate": self.throttle_rate, "throttle_regions": sorted(self.throttle_regions),
                "rate_limit_per_second": self.rate_limit, "denied_regions": sorted(self.denied_regions),
                "denied": sorted([list(p) for p in self.denied]), "seed": self.seed,
                "unavailable_rate": self.unavailable_rate, "throttle_next": self.throttle_next,
                "latency_seconds": self.latency,
                "cross_account_monitoring_off": self.cross_account_monitoring_off}


class FaultInjector:
    """The current ``Faults`` and their state: the RNG, the per-region token buckets, the countdown."""

    def __init__(self, management_account_id: str, default_seed: int = 0):
        self.management_account_id = management_account_id
        self.default_seed = default_seed
        self._lock = threading.Lock()
        self.current = Faults()
        self._rng = random.Random(default_seed)
        self._buckets: Dict[str, List[float]] = {}

    def configure(self, faults: Faults) -> Dict[str, Any]:
        """Replace the configuration (and its RNG and buckets); returns it."""
        with self._lock:
            self.current = faults
            self._rng = random.Random(self.default_seed if faults.seed is None else faults.seed)
            self._buckets = {}
        return faults.to_dict()

    def check(self, op: Any, region: str) -> Optional[ApiError]:
        """The error this request gets, if any (after the configured latency)."""
        f = self.current
        if region in f.denied_regions or (region, op.name) in f.denied:
            return ApiError(403, "AccessDeniedException",
                            f"User: arn:aws:sts::{self.management_account_id}:assumed-role/BackupReportRead/emulator "
                            f"is not authorized to perform: backup:{op.name} in region {region} "
                            f"with an explicit deny in a service control policy")
        if f.latency:
            time.sleep(f.latency)
        with self._lock:
            throttled = self._throttled(f, region)
            unavailable = (not throttled and f.unavailable_rate > 0 and self._rng.random() < f.unavailable_rate)
        if throttled:
            return ApiError(400, "ThrottlingException", "Rate exceeded")
        if unavailable:
            return ApiError(503, "ServiceUnavailableException", "The service is unavailable. Please retry.",
                            kind="Server")
        return None

    def _throttled(self, f: Faults, region: str) -> bool:
        """Whether this request is throttled (called under the lock: it spends a token)."""
        if region in f.throttle_regions:
            return True
        if f.throttle_next > 0:
            f.throttle_next -= 1
            return True
        if f.rate_limit is not None and not self._take_token(f.rate_limit, region):
            return True
        return bool(f.throttle_rate and self._rng.random() < f.throttle_rate)

    def _take_token(self, rate: float, region: str) -> bool:
        """AWS Backup's quota: a token bucket per region, refilled at ``rate``, burst one second's worth."""
        now = time.monotonic()
        bucket = self._buckets.get(region)
        capacity = max(1.0, rate)
        if bucket is None:
            bucket = self._buckets[region] = [capacity, now]
        bucket[0] = min(capacity, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return True
        return False
