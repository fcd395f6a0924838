"""The emulator's jobs: each encoded once at load, kept sorted per (operation, region), filtered and paged.

Semantics (as AWS documents them, and where AWS is silent, as chosen here):

* ``ByCreatedAfter`` / ``ByCompleteAfter`` are **strict** (job time ``>`` the value),
  ``ByCreatedBefore`` / ``ByCompleteBefore`` are **strict** too (job time ``<`` the value).
  Jobs without a ``CompletionDate`` never match a Complete filter.
* ``ByMessageCategory`` matches case-insensitively, ignoring ``_``/``-``/blanks
  (``AccessDenied`` = ``ACCESS_DENIED``); ``ANY``, ``AGGREGATE_ALL`` and ``*`` match every job.
  Other string filters match exactly.
* Order: newest ``CreationDate`` first; ties by job id (stable across pages and loads). A page
  holds ``MaxResults`` jobs and a ``NextToken`` exactly when more jobs match. Tokens are
  opaque, HMAC-signed cursors bound to their query (operation, region, caller account and
  filters); they do not survive a restart of the emulator.

Storage and speed: jobs of each (operation, region) are kept sorted by creation date with
every job's JSON encoded once at load. A page is a bisect on the creation-date bounds (and
the token's cursor), a slice and a join; the account filter uses a per-account index; only
other filters fall back to a linear scan of the date range. Loads only mark a store dirty;
it is re-sorted once, at the next query.
"""
from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import json
import re
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from .. import synthetic
from .wire import FIELD_FILTERS, OPS, OpSpec, invalid, to_epoch

#: A record: (neg_creation_us, job_id, json_bytes, account_id, completion_us or None, field values)
Rec = Tuple[int, str, bytes, str, Optional[int], Tuple[Optional[str], ...]]

_MESSAGE_CATEGORY_ANY = ("any", "aggregateall", "*")
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _norm_category(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    return re.sub(r"[\s_\-]", "", str(value)).lower()


def make_record(op: OpSpec, job: Dict[str, Any], default_account: str) -> Rec:
    """Validate and normalise one API-shaped job; encode it once."""
    if not isinstance(job, dict):
        raise ValueError(f"a {op.job_type} job must be a JSON object, not {type(job).__name__}")
    job_id = job.get(op.id_field)
    if not isinstance(job_id, str) or not job_id:
        raise ValueError(f"a {op.job_type} job needs a non-empty string {op.id_field}")
    if job.get(op.status_field) is None:
        raise ValueError(f"{op.job_type} job {job_id} has no {op.status_field}")
    if job.get("CreationDate") is None:
        raise ValueError(f"{op.job_type} job {job_id} has no CreationDate")
    job = _normalised(op, job, default_account)
    completed = job.get("CompletionDate")
    return (-int(round(job["CreationDate"] * 1_000_000)), job_id, _ENCODER.encode(job).encode("utf-8"),
            str(job["AccountId"]), None if completed is None else int(round(completed * 1_000_000)),
            _filter_values(op, job))


def _normalised(op: OpSpec, job: Dict[str, Any], default_account: str) -> Dict[str, Any]:
    """``job`` with epoch-second timestamps and an AccountId (copied only when something changes)."""
    out = None
    for name in op.timestamp_fields:
        value = job.get(name)
        if value is not None and not isinstance(value, float):
            if out is None:
                out = dict(job)
            out[name] = to_epoch(value)
    if "AccountId" not in job:
        if out is None:
            out = dict(job)
        out["AccountId"] = default_account
    return job if out is None else out


def _filter_values(op: OpSpec, job: Dict[str, Any]) -> Tuple[Optional[str], ...]:
    """The job's value of each field filter of ``op``, as text (the category normalised)."""
    values = []
    for path in op.filter_paths:
        if len(path) == 1:
            v = job.get(path[0])
        else:
            v = job
            for part in path:
                v = v.get(part) if isinstance(v, dict) else None
        values.append(None if v is None else v if isinstance(v, str) else str(v))
    if op.category_index is not None and values[op.category_index] is not None:
        values[op.category_index] = _norm_category(values[op.category_index])
    return tuple(values)


class _Snapshot:
    """An immutable, sorted view of one store (newest first)."""

    __slots__ = ("recs", "keys", "_by_account", "_lock")

    def __init__(self, recs: List[Rec]):
        self.recs = recs
        self.keys = [r[0] for r in recs]
        self._by_account: Dict[str, "_Snapshot"] = {}
        self._lock = threading.Lock()

    def for_account(self, account: str) -> "_Snapshot":
        snap = self._by_account.get(account)
        if snap is None:
            with self._lock:
                snap = self._by_account.get(account)
                if snap is None:
                    snap = _Snapshot([r for r in self.recs if r[3] == account])
                    self._by_account[account] = snap
        return snap


_EMPTY = _Snapshot([])


class _Store:
    """The jobs of one (operation, region)."""

    def __init__(self, op: OpSpec):
        self.op = op
        self.records: Dict[str, Rec] = {}
        self._snapshot: Optional[_Snapshot] = _EMPTY
        self._lock = threading.Lock()

    def upsert(self, recs: Iterable[Rec]) -> int:
        n = 0
        with self._lock:
            for rec in recs:
                self.records[rec[1]] = rec
                n += 1
            self._snapshot = None
        return n

    def clear(self) -> None:
        with self._lock:
            self.records = {}
            self._snapshot = _EMPTY

    def snapshot(self) -> _Snapshot:
        snap = self._snapshot
        if snap is not None:
            return snap
        with self._lock:
            if self._snapshot is None:
                self._snapshot = _Snapshot(sorted(self.records.values(), key=lambda r: (r[0], r[1])))
            return self._snapshot


class Cursors:
    """``NextToken`` values: opaque, HMAC-signed cursors (the last job's sort key) bound to one query."""

    def __init__(self, secret: bytes):
        self._secret = secret

    @staticmethod
    def query_id(op: OpSpec, region: str, scope: str, filters: Dict[str, Any]) -> str:
        """What a token is bound to: operation, region, caller's account scope and filters."""
        return hashlib.sha256(json.dumps([op.name, region, scope, sorted(filters.items())], default=str)
                              .encode("utf-8")).hexdigest()[:24]

    def issue(self, query_id: str, rec: Rec) -> str:
        payload = json.dumps([1, query_id, rec[0], rec[1]], separators=(",", ":")).encode("utf-8")
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac + payload).decode("ascii")

    def resolve(self, token: str, query_id: str) -> Tuple[int, str]:
        """The sort key a token points at. Raises ApiError (400) for garbage or another query's token."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
            mac, payload = raw[:16], raw[16:]
            if len(mac) != 16 or not hmac.compare_digest(
                    mac, hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]):
                raise ValueError("bad signature")
            version, token_q, neg, job_id = json.loads(payload.decode("utf-8"))
            if version != 1 or not isinstance(neg, int) or not isinstance(job_id, str):
                raise ValueError("bad token")
        except Exception:
            raise invalid("The NextToken is not valid.") from None
        if token_q != query_id:
            raise invalid("The NextToken does not belong to this request: its filters changed.")
        return neg, job_id


class JobStore:
    """Every loaded job, by (job type, region); jobs without an AccountId belong to ``default_account``."""

    def __init__(self, default_account: str):
        self.default_account = default_account
        self._stores: Dict[Tuple[str, str], _Store] = {}
        self._lock = threading.Lock()

    def _store(self, job_type: str, region: str) -> _Store:
        key = (job_type, region)
        store = self._stores.get(key)
        if store is None:
            with self._lock:
                store = self._stores.get(key)
                if store is None:
                    store = self._stores[key] = _Store(OPS[job_type])
        return store

    @staticmethod
    def _check_type_region(job_type: str, region: str) -> None:
        if job_type not in OPS:
            raise ValueError(f"job_type must be one of {list(synthetic.JOB_TYPES)}, not {job_type!r}")
        if not isinstance(region, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", region):
            raise ValueError(f"not a region name: {region!r}")

    def load(self, job_type: str, region: str, jobs: Iterable[Dict[str, Any]], replace: bool = False) -> int:
        """Upsert API-shaped jobs (by job id) into (job_type, region); ``replace`` empties it first."""
        self._check_type_region(job_type, region)
        op = OPS[job_type]
        recs = [make_record(op, job, self.default_account) for job in jobs]
        store = self._store(job_type, region)
        if replace:
            store.clear()
        return store.upsert(recs)

    def generate(self, spec: Any, replace: bool = False) -> Dict[str, int]:
        """Generate an ``OrgSpec`` (object, dict or JSON) in-process and load it; counts by type/region."""
        if not isinstance(spec, synthetic.OrgSpec):
            spec = synthetic.OrgSpec.from_json(spec)
        counts: Dict[str, int] = {}
        if replace:
            for job_type in synthetic.JOB_TYPES:
                for region in spec.regions:
                    self._store(job_type, region).clear()
        for job_type, region, _day, jobs in synthetic.iter_chunks(spec):
            self._check_type_region(job_type, region)
            n = self.load(job_type, region, jobs)
            key = f"{job_type}/{region}"
            counts[key] = counts.get(key, 0) + n
        return counts

    def settle(self, seed: int = 0, job_type: Optional[str] = None, region: Optional[str] = None) -> int:
        """Move every non-final job (of a type / region, or all) to a final state; returns how many."""
        n = 0
        for (jt, rg), store in list(self._stores.items()):
            if (job_type and jt != job_type) or (region and rg != region):
                continue
            op = OPS[jt]
            final = synthetic.FINAL_STATES[jt]
            todo = []
            for rec in list(store.records.values()):
                job = json.loads(rec[2].decode("utf-8"))
                if job[op.status_field] not in final:
                    todo.append(job)
            if todo:
                n += self.load(jt, rg, synthetic.settle(todo, seed))
        return n

    def clear(self) -> None:
        with self._lock:
            self._stores = {}

    def snapshot(self, job_type: str, region: str) -> "_Snapshot":
        """The sorted jobs of (job_type, region): the same object until they change."""
        return self._stores[(job_type, region)].snapshot() if (job_type, region) in self._stores else _EMPTY

    def patch(self, job_type: str, region: str, job_id: str, fields: Dict[str, Any]) -> Dict[str, Any]:
        """Change fields of one job (a None value removes the field), as AWS Backup's own state moves
        on: a job that finishes, a restore test whose validation settles. Returns the job."""
        self._check_type_region(job_type, region)
        store = self._store(job_type, region)
        rec = store.records.get(job_id)
        if rec is None:
            raise KeyError(f"no {job_type} job {job_id} in {region}")
        job = json.loads(rec[2].decode("utf-8"))
        for name, value in fields.items():
            if value is None:
                job.pop(name, None)
            else:
                job[name] = value
        store.upsert([make_record(OPS[job_type], job, self.default_account)])
        return job

    def remove(self, job_type: str, region: str, job_ids: Iterable[str]) -> int:
        """Forget jobs (AWS Backup no longer lists them: aged out); returns how many were there."""
        self._check_type_region(job_type, region)
        store = self._store(job_type, region)
        with store._lock:
            gone = [store.records.pop(j) for j in job_ids if j in store.records]
            store._snapshot = None
        return len(gone)

    def count(self, job_type: Optional[str] = None, region: Optional[str] = None) -> int:
        return sum(len(s.records) for (jt, rg), s in list(self._stores.items())
                   if (job_type is None or jt == job_type) and (region is None or rg == region))

    def counts(self) -> Dict[Tuple[str, str], int]:
        """How many jobs each (job type, region) holds."""
        return {key: len(s.records) for key, s in list(self._stores.items())}

    def page(self, op: OpSpec, region: str, scope: str, filters: Dict[str, Any],
             after: Optional[Tuple[int, str]], max_results: int) -> Tuple[List[Rec], Optional[Rec]]:
        """One page of the jobs matching ``filters`` (``*`` scope: every account), newest first, from
        the sort key ``after`` on; and the first job of the next page, if any."""
        key = (op.job_type, region)
        snap = self._store(op.job_type, region).snapshot() if key in self._stores else _EMPTY
        if scope != "*":
            snap = snap.for_account(scope)
        keys, recs = snap.keys, snap.recs
        # newest first: keys are -creation_us ascending
        lo, hi = 0, len(keys)
        filters = dict(filters)
        before = filters.pop("ByCreatedBefore", None)
        since = filters.pop("ByCreatedAfter", None)
        if before is not None:
            lo = bisect.bisect_right(keys, -before)  # creation < before  <=> key > -before
        if since is not None:
            hi = bisect.bisect_left(keys, -since)  # creation > after  <=> key < -after
        if after is not None:
            neg, job_id = after
            pos = bisect.bisect_left(keys, neg)
            while pos < len(keys) and keys[pos] == neg and recs[pos][1] < job_id:
                pos += 1
            lo = max(lo, pos)
        predicates = _predicates(op, filters)
        if not predicates:
            end = min(hi, lo + max_results)
            return (recs[lo:end] if lo < end else []), (recs[end] if end < hi else None)
        page: List[Rec] = []
        for k in range(lo, hi):
            rec = recs[k]
            if all(pred(rec) for pred in predicates):
                if len(page) == max_results:
                    return page, rec
                page.append(rec)
        return page, None


def _predicates(op: OpSpec, filters: Dict[str, Any]) -> List[Callable[[Rec], bool]]:
    preds: List[Callable[[Rec], bool]] = []
    for member, value in filters.items():
        if member in FIELD_FILTERS:
            idx = op.field_index[member]
            if member == "ByMessageCategory":
                want = _norm_category(value)
                if want in _MESSAGE_CATEGORY_ANY:
                    continue
            else:
                want = value
            preds.append(_field_equals(idx, want))
        elif member == "ByCompleteAfter":
            preds.append(_completed_after(value))
        elif member == "ByCompleteBefore":
            preds.append(_completed_before(value))
    return preds


def _field_equals(index: int, wanted: Any) -> Callable[[Rec], bool]:
    return lambda rec: rec[5][index] == wanted


def _completed_after(instant: Any) -> Callable[[Rec], bool]:
    return lambda rec: rec[4] is not None and rec[4] > instant


def _completed_before(instant: Any) -> Callable[[Rec], bool]:
    return lambda rec: rec[4] is not None and rec[4] < instant
