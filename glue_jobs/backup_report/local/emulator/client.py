"""The admin API of an emulator running in another process (``stack.LocalAws`` starts one)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import date, datetime
from typing import Any, Dict, Iterable, Optional, Sequence

from .. import synthetic
from .server import ADMIN_PREFIX
from .stats import stats_from_json
from .wire import to_epoch


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_epoch(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, synthetic.OrgSpec):
        return value.to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class EmulatorClient:
    """The admin API of an emulator running elsewhere (another process): ``BackupEmulator``'s methods."""

    def __init__(self, url: str, timeout: float = 600.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, route: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload, default=_json_default).encode("utf-8")
        req = urllib.request.Request(self.url + ADMIN_PREFIX + route, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")
            raise RuntimeError(f"emulator {method} {route}: HTTP {e.code}: {detail}") from None

    def health(self) -> Dict[str, Any]:
        return self._call("GET", "health")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.health()
                return
            except (OSError, RuntimeError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def load_jobs(self, job_type: str, region: str, jobs: Iterable[Dict[str, Any]], replace: bool = False) -> int:
        return int(self._call("POST", "jobs", {"job_type": job_type, "region": region, "jobs": list(jobs),
                                               "replace": replace})["loaded"])

    def generate(self, spec: Any, replace: bool = False) -> Dict[str, int]:
        if isinstance(spec, synthetic.OrgSpec):
            spec = spec.to_dict()
        elif isinstance(spec, (str, bytes)):
            spec = json.loads(spec)
        return self._call("POST", "generate", {"spec": spec, "replace": replace})["loaded"]

    def settle(self, seed: int = 0, job_type: Optional[str] = None, region: Optional[str] = None) -> int:
        return int(self._call("POST", "settle", {"seed": seed, "job_type": job_type, "region": region})["settled"])

    def patch_job(self, job_type: str, region: str, job_id: str, **fields: Any) -> Dict[str, Any]:
        """Change fields of one job (None removes one): AWS Backup's state moving on."""
        return self._call("POST", "jobs/patch", {"job_type": job_type, "region": region, "job_id": job_id,
                                                 "fields": fields})["job"]

    def remove_jobs(self, job_type: str, region: str, job_ids: Iterable[str]) -> int:
        """Forget jobs: AWS Backup no longer lists (nor counts) them."""
        return int(self._call("POST", "jobs/remove", {"job_type": job_type, "region": region,
                                                      "job_ids": list(job_ids)})["removed"])

    def set_summaries(self, now: Any = None, freeze: bool = False) -> Dict[str, Any]:
        """The clock of ``List*JobSummaries`` (a datetime or ISO text; None: none), counts frozen or live."""
        if isinstance(now, datetime):
            now = now.isoformat()
        return self._call("POST", "summaries", {"now": now, "freeze": freeze})

    def set_faults(self, throttle_rate: float = 0.0, throttle_regions: Sequence[str] = (),
                   rate_limit_per_second: Optional[float] = None, denied_regions: Sequence[str] = (),
                   denied: Sequence[Sequence[str]] = (), seed: Optional[int] = None,
                   unavailable_rate: float = 0.0, throttle_next: int = 0,
                   latency_seconds: float = 0.0, cross_account_monitoring_off: bool = False) -> Dict[str, Any]:
        return self._call("POST", "faults", {
            "throttle_rate": throttle_rate, "throttle_regions": list(throttle_regions),
            "rate_limit_per_second": rate_limit_per_second, "denied_regions": list(denied_regions),
            "denied": [list(p) for p in denied], "seed": seed, "unavailable_rate": unavailable_rate,
            "throttle_next": throttle_next, "latency_seconds": latency_seconds,
            "cross_account_monitoring_off": cross_account_monitoring_off})

    def faults(self) -> Dict[str, Any]:
        return self._call("GET", "faults")

    def stats(self) -> Dict[str, Any]:
        return stats_from_json(self._call("GET", "stats"))

    def reset_stats(self) -> None:
        self._call("POST", "stats/reset", {})

    # -- AWS Config (config)
    def load_config(self, aggregator: str, items: Iterable[Dict[str, Any]], replace: bool = False) -> int:
        """Load Config items into ``aggregator``; returns how many it holds."""
        return int(self._call("POST", "config/resources", {"aggregator": aggregator, "items": list(items),
                                                           "replace": replace})["total"])

    def set_config_faults(self, denied: bool = False, throttle_next: int = 0,
                          throttle_always: bool = False) -> Dict[str, Any]:
        return self._call("POST", "config/faults", {"denied": denied, "throttle_next": throttle_next,
                                                    "throttle_always": throttle_always})

    def config_stats(self) -> Dict[str, Any]:
        return self._call("GET", "config/stats")
