"""The emulator's request counters, and their JSON form for the admin API.

``requests``, ``pages``, ``jobs_returned``, ``throttled_by``, ``denied_by``, ``errors_by`` keyed
by ``(operation, region)``; ``jobs_loaded`` keyed by ``(job_type, region)``; totals
``throttled``, ``denied``, ``unavailable``, ``invalid``, ``unauthenticated``,
``total_requests``, ``total_pages``, ``total_jobs_returned``; ``access_keys`` (access key id ->
requests). Over HTTP the tuple keys travel as ``"operation/region"`` strings.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, Tuple

_PAIR_STATS = ("requests", "pages", "jobs_returned", "throttled_by", "denied_by", "errors_by")
_TOTAL_STATS = ("throttled", "denied", "unavailable", "invalid", "unauthenticated", "total_requests",
                "total_pages", "total_jobs_returned")
#: The total each error code counts in (any other error: ``invalid``).
_ERROR_TOTALS = {"ThrottlingException": "throttled", "AccessDeniedException": "denied",
                 "ServiceUnavailableException": "unavailable"}
_ERROR_PAIRS = {"ThrottlingException": "throttled_by", "AccessDeniedException": "denied_by"}


class Stats:
    """Counters since the last reset; every update under ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._zero()

    def reset(self) -> None:
        with self.lock:
            self._zero()

    def _zero(self) -> None:
        self.pairs: Dict[str, Dict[Tuple[str, str], int]] = {k: {} for k in _PAIR_STATS}
        self.totals: Dict[str, int] = {k: 0 for k in _TOTAL_STATS}
        self.access_keys: Dict[str, int] = {}

    def add(self, kind: str, op: str, region: str, n: int = 1) -> None:
        d = self.pairs[kind]
        d[(op, region)] = d.get((op, region), 0) + n

    def unauthenticated(self) -> None:
        with self.lock:
            self.totals["unauthenticated"] += 1

    def request(self, op: str, region: str, access_key: str) -> None:
        with self.lock:
            self.add("requests", op, region)
            self.totals["total_requests"] += 1
            self.access_keys[access_key] = self.access_keys.get(access_key, 0) + 1

    def error(self, op: str, region: str, code: str) -> None:
        with self.lock:
            self.totals[_ERROR_TOTALS.get(code, "invalid")] += 1
            if code in _ERROR_PAIRS:
                self.add(_ERROR_PAIRS[code], op, region)
            self.add("errors_by", op, region)

    def page(self, op: str, region: str, jobs: int) -> None:
        with self.lock:
            self.add("pages", op, region)
            self.add("jobs_returned", op, region, jobs)
            self.totals["total_pages"] += 1
            self.totals["total_jobs_returned"] += jobs

    def snapshot(self) -> Dict[str, Any]:
        """A copy of every counter (tuple keys)."""
        with self.lock:
            out: Dict[str, Any] = {k: dict(v) for k, v in self.pairs.items()}
            out.update(self.totals)
            out["access_keys"] = dict(self.access_keys)
        return out


def stats_to_json(stats: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, dict):
            out[key] = {("/".join(k) if isinstance(k, tuple) else k): v for k, v in value.items()}
        else:
            out[key] = value
    return out


def stats_from_json(data: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key != "access_keys":
            out[key] = {tuple(k.split("/", 1)): v for k, v in value.items()}
        else:
            out[key] = value
    return out
