"""AWS Backup's ``List*JobSummaries`` served from the emulator's jobs: counts per day, account, state and more.

Each operation, its querystring names, types, enums and patterns come from botocore's model
(one per job type the emulator serves). AWS documents the parameters, not when it refreshes
the counts nor which timestamp decides a job's day; chosen here:

* **What is counted**: each job under the UTC day of its ``CreationDate`` and its current
  state. The counts are **refreshed at every request** (``live``), unless frozen: ``POST
  /_emulator/summaries {"freeze": true}`` keeps the counts of that moment until it is called
  with ``false`` (a refresh that lags: practitioners report AWS refreshes about daily).
* **Days**: with a clock (``{"now": "2026-11-26T23:59:00Z"}``), the 14 days before the clock's
  day and that day so far; without one, every day the emulator holds jobs of (its jobs may be
  dated after the real clock).
* ``AggregationPeriod``: ``ONE_DAY`` (the default) one row per day, ``StartTime`` its 00:00 UTC
  and ``EndTime`` the next day's; ``SEVEN_DAYS`` / ``FOURTEEN_DAYS`` one row for the last 7 or
  14 of those days.
* ``AccountId``: ``ANY`` a row per account; ``AGGREGATE_ALL`` the sum over accounts (the row's
  ``AccountId`` says ``AGGREGATE_ALL``); a 12-digit id that account only; absent the caller's
  own account (the management account). With cross-account monitoring off (``faults``),
  ``ANY`` and ``AGGREGATE_ALL`` count the caller's own jobs only.
* ``State``, ``ResourceType``, ``MessageCategory``, ``MalwareScanner``, ``ScanResultStatus``
  (each where the operation has it): ``ANY`` or absent a row per value (a job without the field:
  the row omits it); ``AGGREGATE_ALL`` the sum (the row says ``AGGREGATE_ALL``); any other value
  only the jobs that have it.
* ``MaxResults`` 1..500 (AWS's guide; the model allows 1000, AWS refuses more than 500),
  default 500; ``NextToken`` an HMAC-signed offset bound to its query. Rows come newest day
  first, then by account and the other values.
"""
from __future__ import annotations

import calendar
import datetime as dt
import json
import threading
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .store import Cursors, JobStore
from .wire import OPS, ApiError, OpSpec, _Param, invalid, parse_timestamp_us

#: Values of a count parameter that match every job: a row per value, or their sum.
ANY, AGGREGATE_ALL = "ANY", "AGGREGATE_ALL"
#: Where a count parameter's value is in a job (the others are the field of the same name).
FIELD_OF = {"ScanResultStatus": "ScanResult.ScanResultStatus"}
#: Rows a page holds at most, as AWS's guide says.
MAX_PAGE = 500
#: Days AWS counts before the day of its clock.
DAYS = 14
_PERIODS = {"ONE_DAY": 1, "SEVEN_DAYS": 7, "FOURTEEN_DAYS": 14}
_FIXED = ("AccountId", "AggregationPeriod", "MaxResults", "NextToken")


class SummarySpec:
    """One ``List*JobSummaries`` operation of a job type, as botocore's model describes it."""

    def __init__(self, model: Any, job: OpSpec):
        self.job = job
        self.job_type = job.job_type
        self.name = job.name.replace("Jobs", "JobSummaries")
        op = model.operation_model(self.name)
        self.method = op.http["method"]
        self.path = op.http["requestUri"].split("?")[0]
        self.result_key = next(n for n, s in op.output_shape.members.items() if s.type_name == "list")
        self.params: Dict[str, _Param] = {}
        for member, shape in op.input_shape.members.items():
            self.params[shape.serialization.get("name", member)] = _Param(member, shape)
        #: The count parameters besides AccountId, in the model's order; State first.
        self.dimensions: Tuple[str, ...] = tuple(p.member for p in self.params.values() if p.member not in _FIXED)
        self.fields = tuple(job.status_field if d == "State" else FIELD_OF.get(d, d) for d in self.dimensions)


def _load() -> Dict[str, SummarySpec]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("backup")
    names = set(model.operation_names)
    return {t: SummarySpec(model, op) for t, op in OPS.items()
            if op.name.replace("Jobs", "JobSummaries") in names}


SUMMARY_OPS: Dict[str, SummarySpec] = _load()
SUMMARY_OPS_BY_PATH: Dict[str, SummarySpec] = {s.path.rstrip("/"): s for s in SUMMARY_OPS.values()}
SUMMARY_OPS_BY_NAME: Dict[str, SummarySpec] = {s.name: s for s in SUMMARY_OPS.values()}


def _value(job: Mapping[str, Any], path: str) -> Optional[str]:
    value: Any = job
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None else str(value)


def _parse(spec: SummarySpec, query: Mapping[str, str]) -> Dict[str, Any]:
    """The request's parameters by member, checked against the model (``ANY`` and ``AGGREGATE_ALL``
    are accepted wherever AWS documents them, whatever the model's pattern or enum)."""
    parsed: Dict[str, Any] = {}
    for name, raw in query.items():
        p = spec.params.get(name)
        if p is None:
            continue
        if p.type_name == "integer":
            try:
                value: Any = int(raw)
            except ValueError:
                raise invalid(f"Invalid value for {p.member}: {raw!r} is not an integer.") from None
            if not 1 <= value <= MAX_PAGE:
                raise invalid(f"Invalid value for {p.member}: {value}. It must be between 1 and {MAX_PAGE}.")
        elif raw in (ANY, AGGREGATE_ALL) and p.member not in ("AggregationPeriod", "NextToken"):
            value = raw
        elif p.enum and raw not in p.enum:
            raise invalid(f"Invalid value for {p.member}: {raw!r}. Valid values: {', '.join(p.enum)}.")
        elif p.pattern is not None and not p.pattern.search(raw):
            raise invalid(f"Invalid value for {p.member}: {raw!r} does not match {p.pattern.pattern}.")
        else:
            value = raw
        parsed[p.member] = value
    return parsed


class SummaryService:
    """Counts of the emulator's jobs, live or frozen, and their pages."""

    def __init__(self, jobs: JobStore, cursors: Cursors):
        self.jobs = jobs
        self._cursors = cursors
        self._lock = threading.Lock()
        self.now: Optional[dt.datetime] = None
        #: (job type, region) -> the counted jobs: (day, account, values of the dimensions)
        self._frozen: Optional[Dict[Tuple[str, str], List[Tuple[dt.date, str, Tuple[Optional[str], ...]]]]] = None
        self._cache: Dict[Tuple[str, str], Tuple[Any, List]] = {}

    def configure(self, now: Optional[str] = None, freeze: bool = False) -> Dict[str, Any]:
        """Set the clock (None: none) and freeze the counts of this moment or go back to live ones."""
        with self._lock:
            self.now = None if not now else dt.datetime.fromtimestamp(parse_timestamp_us(str(now)) / 1e6,
                                                                       dt.timezone.utc)
            self._frozen = None
        if freeze:
            frozen = {key: self._counted(*key) for key in self.jobs.counts()}
            with self._lock:
                self._frozen = frozen
        return self.settings()

    def settings(self) -> Dict[str, Any]:
        return {"now": None if self.now is None else self.now.isoformat(), "frozen": self._frozen is not None}

    def _counted(self, job_type: str, region: str) -> List[Tuple[dt.date, str, Tuple[Optional[str], ...]]]:
        spec = SUMMARY_OPS[job_type]
        snapshot = self.jobs.snapshot(job_type, region)  # the same object until the jobs change
        cached = self._cache.get((job_type, region))
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        rows = []
        for rec in snapshot.recs:
            job = json.loads(rec[2])
            day = dt.datetime.fromtimestamp(-rec[0] / 1e6, dt.timezone.utc).date()
            rows.append((day, rec[3], tuple(_value(job, f) for f in spec.fields)))
        self._cache[(job_type, region)] = (snapshot, rows)
        return rows

    def page(self, spec: SummarySpec, region: str, query: Mapping[str, str], caller: str,
             own_only: bool) -> bytes:
        """One page of counts (the answer's JSON). Raises ApiError."""
        params = _parse(spec, query)
        size = params.pop("MaxResults", MAX_PAGE)
        token = params.pop("NextToken", None)
        period = params.pop("AggregationPeriod", "ONE_DAY")
        account = params.pop("AccountId", caller)
        frozen = self._frozen
        counted = frozen.get((spec.job_type, region), []) if frozen is not None else self._counted(spec.job_type,
                                                                                                   region)
        groups = self._group(spec, region, counted, account, params, _PERIODS[period], caller if own_only else None)
        query_id = Cursors.query_id(spec.job, region, caller, {**params, "AccountId": account, "P": period})
        start = 0 if token is None else -self._cursors.resolve(token, query_id)[0]
        rows = groups[start:start + size]
        nxt = start + size if start + size < len(groups) else None
        body: Dict[str, Any] = {spec.result_key: rows, "AggregationPeriod": period}
        if nxt is not None:
            body["NextToken"] = self._cursors.issue(query_id, (-nxt, "", b"", "", None, ()))
        return json.dumps(body, separators=(",", ":")).encode("utf-8")

    def _days(self) -> Tuple[Optional[dt.date], Optional[dt.date]]:
        """The days counted: the 14 before the clock's day and that day; every day without a clock."""
        if self.now is None:
            return None, None
        today = self.now.date()
        return today - dt.timedelta(days=DAYS), today

    def _group(self, spec: SummarySpec, region: str, counted: List, account: str, params: Mapping[str, str],
               period: int, own: Optional[str]) -> List[Dict[str, Any]]:
        first, last = self._days()
        if period > 1:  # the last ``period`` days of those counted, as one row
            last = last or max((day for day, _, _ in counted), default=None)
            first = None if last is None else last - dt.timedelta(days=period - 1)
        sums: Dict[Tuple, int] = {}
        for day, owner, values in counted:
            if (first is not None and day < first) or (last is not None and day > last):
                continue
            if own is not None and owner != own:
                continue
            if account not in (ANY, AGGREGATE_ALL) and owner != account:
                continue
            key: List[Any] = [first if period > 1 else day, AGGREGATE_ALL if account == AGGREGATE_ALL
                                        else owner]
            for dimension, value in zip(spec.dimensions, values):
                wanted = params.get(dimension, ANY)
                if wanted not in (ANY, AGGREGATE_ALL) and value != wanted:
                    break
                key.append(AGGREGATE_ALL if wanted == AGGREGATE_ALL else value)
            else:
                sums[tuple(key)] = sums.get(tuple(key), 0) + 1
        rows = []
        ordered = sorted(sums.items(), key=lambda kv: (-kv[0][0].toordinal(), [str(v) for v in kv[0][1:]]))
        for (day, owner, *values), count in ordered:
            start = calendar.timegm(day.timetuple())
            row: Dict[str, Any] = {"Region": region, "AccountId": owner, "Count": count, "StartTime": float(start),
                                   "EndTime": float(start + 86400 * period)}
            row.update({d: v for d, v in zip(spec.dimensions, values) if v is not None})
            rows.append(row)
        return rows


__all__ = ["ANY", "AGGREGATE_ALL", "SUMMARY_OPS", "SUMMARY_OPS_BY_PATH", "SUMMARY_OPS_BY_NAME", "SummaryService",
           "SummarySpec", "ApiError"]
