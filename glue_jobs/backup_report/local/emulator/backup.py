"""AWS Backup's ``List*Jobs`` and ``List*JobSummaries`` served: a signed request in, a page or an error out, counted.

``ByAccountId``: ``*`` = the jobs of every account; a 12-digit id = that account's jobs;
absent = the caller's own account only, which is the emulator's management account. An
unsigned request -> 403 ``MissingAuthenticationTokenException``; a credential scope for
another service -> 403 ``InvalidSignatureException``.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from .faults import FaultInjector, Faults
from .stats import Stats
from .store import Cursors, JobStore
from .summaries import SUMMARY_OPS_BY_PATH, SummaryService
from .wire import OPS_BY_PATH, ApiError, OpSpec, credential_scope, page_body, parse_query


class BackupService:
    """The jobs, faults and counters of the emulated AWS Backup, and its API."""

    def __init__(self, management_account_id: str, secret: bytes, seed: int = 0):
        self.management_account_id = management_account_id
        self.jobs = JobStore(management_account_id)
        self.faults = FaultInjector(management_account_id, seed)
        self.counters = Stats()
        self._cursors = Cursors(secret)
        #: ``List*JobSummaries``: counts of ``jobs`` (``summaries``).
        self.summaries = SummaryService(self.jobs, self._cursors)

    def set_faults(self, throttle_rate: float = 0.0, throttle_regions: Sequence[str] = (),
                   rate_limit_per_second: Optional[float] = None, denied_regions: Sequence[str] = (),
                   denied: Sequence[Sequence[str]] = (), seed: Optional[int] = None,
                   unavailable_rate: float = 0.0, throttle_next: int = 0,
                   latency_seconds: float = 0.0, cross_account_monitoring_off: bool = False) -> Dict[str, Any]:
        """Replace the fault configuration (no argument: no faults). Returns it."""
        return self.faults.configure(Faults(
            throttle_rate, throttle_regions, rate_limit_per_second, denied_regions, denied, seed,
            unavailable_rate, throttle_next, latency_seconds,
            cross_account_monitoring_off=cross_account_monitoring_off))

    def stats(self) -> Dict[str, Any]:
        """Counters since the last reset (see ``stats``); tuple keys."""
        out = self.counters.snapshot()
        out["jobs_loaded"] = self.jobs.counts()
        return out

    def reset(self) -> None:
        """Forget every job, fault and statistic."""
        self.jobs.clear()
        self.summaries.configure()
        self.set_faults()
        self.counters.reset()

    def handle(self, method: str, path: str, query: Dict[str, str], headers: Any
               ) -> Tuple[int, Dict[str, str], bytes]:
        """One API request: (HTTP status, headers, body)."""
        op: Any = OPS_BY_PATH.get(path.rstrip("/")) or SUMMARY_OPS_BY_PATH.get(path.rstrip("/"))
        if op is None or method != op.method:
            return ApiError(404, "UnknownOperationException", f"No operation for {method} {path}").response()
        scope = credential_scope(headers, query)
        if scope is None:
            self.counters.unauthenticated()
            return ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token").response()
        akid, _day, region, service = scope
        if service != "backup":
            self.counters.unauthenticated()
            return ApiError(403, "InvalidSignatureException",
                            "Credential should be scoped to correct service: 'backup'.").response()
        self.counters.request(op.name, region, akid)
        try:
            err = self.faults.check(op, region)
            if err is not None:
                raise err
            if isinstance(op, OpSpec):
                body, n = self.list_jobs(op, region, query)
            else:
                own_only = self.faults.current.cross_account_monitoring_off
                body, n = self.summaries.page(op, region, query, self.management_account_id, own_only), 0
        except ApiError as e:
            self.counters.error(op.name, region, e.code)
            return e.response()
        self.counters.page(op.name, region, n)
        return 200, {}, body

    def list_jobs(self, op: OpSpec, region: str, query: Mapping[str, str]) -> Tuple[bytes, int]:
        """Serve one page; returns (JSON body, number of jobs). Raises ApiError."""
        filters = parse_query(op, query)
        max_results = filters.pop("MaxResults", op.max_max)
        token = filters.pop("NextToken", None)
        account = filters.pop("ByAccountId", None)
        scope = account if account is not None else self.management_account_id
        if scope == "*" and self.faults.current.cross_account_monitoring_off:
            scope = self.management_account_id  # AWS Backup answers with the caller's own jobs only
        query_id = self._cursors.query_id(op, region, scope, filters)
        after = None if token is None else self._cursors.resolve(token, query_id)
        page, nxt = self.jobs.page(op, region, scope, filters, after, max_results)
        next_token = None if nxt is None else self._cursors.issue(query_id, nxt)
        return page_body(op, [r[2] for r in page], next_token), len(page)
