"""A local emulator of AWS Backup's ``ListBackupJobs``, ``ListCopyJobs`` and ``ListRestoreJobs``.

It speaks the real wire protocol (rest-json: ``GET /backup-jobs/``, ``/copy-jobs/``,
``/restore-jobs/``, querystring parameters, JSON bodies, errors named by the
``x-amzn-ErrorType`` header), so a botocore/boto3 client created with
``endpoint_url`` -- or reaching it through ``AWS_ENDPOINT_URL_BACKUP`` -- cannot tell it
from the service. Nothing here talks to real AWS.

Semantics (as AWS documents them, and where AWS is silent, as chosen here):

* The querystring name of every parameter, its type, range, enum and pattern come from
  botocore's service model (``get_service_model('backup')``), not from a hand-written
  list. Every ``By*`` filter of the three operations is implemented; a filter botocore
  adds later and this module does not know is listed in ``UNSUPPORTED_MEMBERS``.
* ``ByCreatedAfter`` / ``ByCompleteAfter`` are **strict** (job time ``>`` the value),
  ``ByCreatedBefore`` / ``ByCompleteBefore`` are **strict** too (job time ``<`` the
  value). Jobs without a ``CompletionDate`` never match a Complete filter. Querystring
  timestamps are ISO 8601 (botocore's form, ``2026-11-27T00:00:00Z`` or with fractional
  seconds; an offset or epoch seconds are accepted too); response timestamps are JSON
  numbers, epoch seconds.
* ``ByAccountId``: ``*`` = the jobs of every account; a 12-digit id = that account's
  jobs; absent = the caller's own account only, which is the emulator's management
  account (``management_account_id``, default moto's ``123456789012``).
* ``ByMessageCategory`` matches case-insensitively, ignoring ``_``/``-``/blanks
  (``AccessDenied`` = ``ACCESS_DENIED``); ``ANY``, ``AGGREGATE_ALL`` and ``*`` match every job.
  Other string filters match exactly.
* ``MaxResults`` 1..1000 (absent: 1000); outside that range, a ``ByState``/``ByStatus``
  outside its enum, a value breaking the model's pattern, an unparsable timestamp, or a
  ``NextToken`` that is garbage or was issued for another query (operation, region,
  caller account or filters differ) -> HTTP 400 ``InvalidParameterValueException``.
  ``MaxResults`` may change between pages. Tokens are opaque, HMAC-signed cursors (they
  do not survive a restart of the emulator).
* Order: newest ``CreationDate`` first; ties by job id (stable across pages and loads).
  A page holds ``MaxResults`` jobs and a ``NextToken`` exactly when more jobs match.
* Region: the one of the request's SigV4 credential scope (``Authorization:
  AWS4-HMAC-SHA256 Credential=AKID/20261127/eu-west-1/backup/aws4_request, ...`` or a
  presigned ``X-Amz-Credential``). Unsigned -> 403 ``MissingAuthenticationTokenException``;
  a scope for another service -> 403 ``InvalidSignatureException``. Signatures are not
  verified (any secret works).

Fault injection (``set_faults`` / ``POST /_emulator/faults``; each call replaces the whole
fault configuration, ``{}`` clears it), applied to API requests in this order:
``denied_regions`` / ``denied`` pairs -> 403 ``AccessDeniedException`` whose message names
the operation and region; ``latency_seconds``; ``throttle_regions`` (always throttled),
``throttle_next`` (the next N requests), ``rate_limit_per_second`` (AWS Backup's request
quota: a token bucket per region that the three operations share, burst = one second's
worth; with ``latency_seconds`` the emulator answers at the real API's pace, see
``scripts/benchmark.py --paced``), ``throttle_rate`` (probability, from an RNG seeded with
``seed``) -> 400 ``ThrottlingException`` (which botocore's retry modes retry);
``unavailable_rate`` -> 503 ``ServiceUnavailableException``.
``cross_account_monitoring_off`` is a setting rather than an error: ``ByAccountId='*'``
then returns only the management account's own jobs, as AWS Backup does while
cross-account monitoring is not turned on.

Storage and speed: jobs of each (operation, region) are kept sorted by creation date with
every job's JSON encoded once at load. A page is a bisect on the creation-date bounds (and
the token's cursor), a slice and a join; the account filter uses a per-account index; only
other filters fall back to a linear scan of the date range. Loads only mark a store dirty;
it is re-sorted once, at the next query.

Admin API (JSON, no signature), under ``/_emulator/``:

* ``POST /_emulator/reset``: forget jobs, faults and stats.
* ``POST /_emulator/jobs`` ``{"job_type": "backup"|"copy"|"restore", "region": "...",
  "jobs": [API-shaped job dicts], "replace": false}``: upsert by job id (a job whose status
  changed replaces its old record); ``replace: true`` first empties that (type, region).
* ``POST /_emulator/generate``: an ``OrgSpec`` JSON (see ``synthetic``), or
  ``{"spec": {...}, "replace": false}``: generate in-process and load.
* ``POST /_emulator/settle`` ``{"seed": 0, "job_type": null, "region": null}``: move every
  non-final job to a final state (``synthetic.settle``).
* ``POST /_emulator/faults`` ``{"throttle_rate": 0.3, "throttle_regions": [...],
  "rate_limit_per_second": 20, "denied_regions": [...], "denied": [["eu-west-1",
  "ListCopyJobs"]], "seed": 1, "throttle_next": 0, "unavailable_rate": 0, "latency_seconds": 0,
  "cross_account_monitoring_off": false}``.
* ``GET /_emulator/stats``, ``POST /_emulator/stats/reset``, ``GET /_emulator/health``.

Stats (``BackupEmulator.stats()`` / ``EmulatorClient.stats()``): ``requests``, ``pages``,
``jobs_returned``, ``throttled_by``, ``denied_by``, ``errors_by`` keyed by ``(operation,
region)``; ``jobs_loaded`` keyed by ``(job_type, region)``; totals ``throttled``,
``denied``, ``unavailable``, ``invalid``, ``unauthenticated``, ``total_requests``,
``total_pages``, ``total_jobs_returned``; ``access_keys`` (access key id -> requests). Over
HTTP the tuple keys travel as ``"operation/region"`` strings; ``EmulatorClient`` turns them
back into tuples.

AWS Config: the same server answers ``SelectAggregateResourceConfig`` (JSON 1.1, told apart by
its ``X-Amz-Target``; see ``config_emulator``), reached through ``AWS_ENDPOINT_URL_CONFIG_SERVICE``;
its admin routes are under ``/_emulator/config/`` and ``reset`` forgets its items too.

CLI: ``python -m backup_report.local.backup_emulator --port 0 --management-account-id
123456789012 [--generate spec.json] [--port-file PATH] [--host 127.0.0.1] [--seed N]``
prints the URL, writes the port to ``--port-file`` once ready (after ``--generate``), and
serves until SIGTERM/SIGINT.
"""
from __future__ import annotations

import argparse
import base64
import bisect
import calendar
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, urlsplit

import botocore.session

from . import synthetic
from .config_emulator import TARGET_PREFIX, ConfigService

DEFAULT_MANAGEMENT_ACCOUNT_ID = synthetic.DEFAULT_MANAGEMENT_ACCOUNT_ID
JOB_TYPES = synthetic.JOB_TYPES
ADMIN_PREFIX = "/_emulator/"

# --------------------------------------------------------------------------- the service model

#: Filter members whose value is compared with one field of the job (dotted = nested).
FIELD_FILTERS = {
    "ByResourceArn": "ResourceArn",
    "ByState": "State",
    "ByStatus": "Status",
    "ByBackupVaultName": "BackupVaultName",
    "ByResourceType": "ResourceType",
    "ByParentJobId": "ParentJobId",
    "ByMessageCategory": "MessageCategory",
    "ByDestinationVaultArn": "DestinationBackupVaultArn",
    "BySourceRecoveryPointArn": "SourceRecoveryPointArn",
    "ByRestoreTestingPlanArn": "CreatedBy.RestoreTestingPlanArn",
}
#: Filter members on a timestamp: (job field, comparison). Both directions are strict.
RANGE_FILTERS = {
    "ByCreatedAfter": ("CreationDate", ">"),
    "ByCreatedBefore": ("CreationDate", "<"),
    "ByCompleteAfter": ("CompletionDate", ">"),
    "ByCompleteBefore": ("CompletionDate", "<"),
}
SPECIAL_MEMBERS = ("NextToken", "MaxResults", "ByAccountId")
_MESSAGE_CATEGORY_ANY = ("any", "aggregateall", "*")


def _norm_category(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    return re.sub(r"[\s_\-]", "", str(value)).lower()


class _Param:
    __slots__ = ("member", "qs_name", "type_name", "enum", "pattern", "min", "max")

    def __init__(self, member: str, shape: Any):
        self.member = member
        self.qs_name = shape.serialization.get("name", member)
        self.type_name = shape.type_name
        self.enum = tuple(getattr(shape, "enum", None) or ())
        meta = shape.metadata
        self.pattern = re.compile(meta["pattern"]) if meta.get("pattern") else None
        self.min = meta.get("min")
        self.max = meta.get("max")


class _OpSpec:
    """One List*Jobs operation, as botocore's model describes it."""

    def __init__(self, model: Any, job_type: str):
        self.job_type = job_type
        self.name = synthetic.OPERATION[job_type]
        op = model.operation_model(self.name)
        self.method = op.http["method"]
        self.path = op.http["requestUri"].split("?")[0]
        self.id_field = synthetic.ID_FIELD[job_type]
        self.status_field = synthetic.STATUS_FIELD[job_type]
        out = op.output_shape
        self.result_key = next(n for n, s in out.members.items() if s.type_name == "list")
        item = out.members[self.result_key].member
        self.timestamp_fields = tuple(n for n, s in item.members.items() if s.type_name == "timestamp")
        self.params: Dict[str, _Param] = {}
        self.by_member: Dict[str, _Param] = {}
        self.unsupported: List[str] = []
        for member, shape in op.input_shape.members.items():
            if shape.serialization.get("location") != "querystring":
                self.unsupported.append(member)
                continue
            p = _Param(member, shape)
            self.params[p.qs_name] = p
            self.by_member[member] = p
            if member not in FIELD_FILTERS and member not in RANGE_FILTERS and member not in SPECIAL_MEMBERS:
                self.unsupported.append(member)
        #: the field filters this operation has, in a fixed order (record layout)
        self.field_filters: Tuple[str, ...] = tuple(m for m in self.by_member if m in FIELD_FILTERS)
        self.field_index = {m: k for k, m in enumerate(self.field_filters)}
        self.filter_paths = tuple(tuple(FIELD_FILTERS[m].split(".")) for m in self.field_filters)
        self.category_index = self.field_index.get("ByMessageCategory")
        lim = self.by_member.get("MaxResults")
        self.max_min = int(lim.min) if lim is not None and lim.min is not None else 1
        self.max_max = int(lim.max) if lim is not None and lim.max is not None else 1000


def _load_ops() -> Dict[str, _OpSpec]:
    model = botocore.session.get_session().get_service_model("backup")
    return {t: _OpSpec(model, t) for t in JOB_TYPES}


OPS: Dict[str, _OpSpec] = _load_ops()
OPS_BY_NAME: Dict[str, _OpSpec] = {o.name: o for o in OPS.values()}
OPS_BY_PATH: Dict[str, _OpSpec] = {o.path.rstrip("/"): o for o in OPS.values()}
#: (operation, member) of querystring members this emulator does not implement (should be empty).
UNSUPPORTED_MEMBERS: Tuple[Tuple[str, str], ...] = tuple(
    (o.name, m) for o in OPS.values() for m in o.unsupported)


# --------------------------------------------------------------------------- time


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$")


def parse_timestamp_us(text: str) -> int:
    """An ISO 8601 timestamp (or epoch seconds) as integer microseconds since the epoch."""
    text = text.strip()
    m = _ISO_RE.match(text)
    if m:
        y, mo, d, h, mi, s, frac, tz = m.groups()
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
        us = calendar.timegm(dt.timetuple()) * 1_000_000
        if frac:
            us += int((frac + "000000")[:6])
        if tz and tz not in ("Z", "z"):
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            us -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * 1_000_000
        return us
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}") from None
    return int(round(value * 1_000_000))


def _to_epoch(value: Any) -> float:
    """A timestamp given to load_jobs (epoch number, datetime, date, ISO text) as epoch seconds."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return (value - _EPOCH).total_seconds()
    if isinstance(value, date):
        return float(calendar.timegm(value.timetuple()))
    if isinstance(value, str):
        return parse_timestamp_us(value) / 1_000_000
    raise ValueError(f"not a timestamp: {value!r}")


def _us(epoch_seconds: float) -> int:
    return int(round(epoch_seconds * 1_000_000))


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error response in AWS's rest-json form."""

    def __init__(self, status: int, code: str, message: str, kind: str = "User"):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.kind = kind

    def body(self) -> bytes:
        if self.code in ("InvalidParameterValueException", "ServiceUnavailableException",
                         "MissingParameterValueException", "ResourceNotFoundException"):
            payload: Dict[str, Any] = {"Code": self.code, "Message": self.message, "Type": self.kind}
        else:
            payload = {"message": self.message}
        return json.dumps(payload).encode("utf-8")


def _invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidParameterValueException", message)


# --------------------------------------------------------------------------- storage

# A record: (neg_creation_us, job_id, json_bytes, account_id, completion_us or None, field values)
_Rec = Tuple[int, str, bytes, str, Optional[int], Tuple[Optional[str], ...]]


class _Snapshot:
    """An immutable, sorted view of one store (newest first)."""

    __slots__ = ("recs", "keys", "_by_account", "_lock")

    def __init__(self, recs: List[_Rec]):
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

    def __init__(self, op: _OpSpec):
        self.op = op
        self.records: Dict[str, _Rec] = {}
        self._snapshot: Optional[_Snapshot] = _EMPTY
        self._lock = threading.Lock()

    def upsert(self, recs: Iterable[_Rec]) -> int:
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


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _make_record(op: _OpSpec, job: Dict[str, Any], default_account: str) -> _Rec:
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
    out = None
    for name in op.timestamp_fields:
        value = job.get(name)
        if value is not None and not isinstance(value, float):
            if out is None:
                out = dict(job)
            out[name] = _to_epoch(value)
    if "AccountId" not in job:
        if out is None:
            out = dict(job)
        out["AccountId"] = default_account
    if out is not None:
        job = out
    completed = job.get("CompletionDate")
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
    return (-int(round(job["CreationDate"] * 1_000_000)), job_id, _ENCODER.encode(job).encode("utf-8"),
            str(job["AccountId"]), None if completed is None else int(round(completed * 1_000_000)),
            tuple(values))


# --------------------------------------------------------------------------- faults & stats


class _Faults:
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
            pairs.add((str(region), _op_name(str(operation))))
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


def _op_name(text: str) -> str:
    """ListCopyJobs, list_copy_jobs or copy -> ListCopyJobs."""
    if text in OPS_BY_NAME:
        return text
    if text in OPS:
        return OPS[text].name
    camel = "".join(part.capitalize() for part in text.split("_"))
    if camel in OPS_BY_NAME:
        return camel
    raise ValueError(f"unknown operation {text!r}: one of {sorted(OPS_BY_NAME)}")


_PAIR_STATS = ("requests", "pages", "jobs_returned", "throttled_by", "denied_by", "errors_by")
_TOTAL_STATS = ("throttled", "denied", "unavailable", "invalid", "unauthenticated", "total_requests",
                "total_pages", "total_jobs_returned")


class _Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.pairs: Dict[str, Dict[Tuple[str, str], int]] = {k: {} for k in _PAIR_STATS}
        self.totals: Dict[str, int] = {k: 0 for k in _TOTAL_STATS}
        self.access_keys: Dict[str, int] = {}

    def add(self, kind: str, op: str, region: str, n: int = 1) -> None:
        d = self.pairs[kind]
        d[(op, region)] = d.get((op, region), 0) + n


# --------------------------------------------------------------------------- the emulator

_AUTH_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


class BackupEmulator:
    """The emulator: in-process store + threaded HTTP server (``start()`` / ``stop()``)."""

    def __init__(self, management_account_id: str = DEFAULT_MANAGEMENT_ACCOUNT_ID, host: str = "127.0.0.1",
                 port: int = 0, seed: int = 0):
        if not re.fullmatch(r"\d{12}", str(management_account_id)):
            raise ValueError("management_account_id must be 12 digits")
        self.management_account_id = str(management_account_id)
        self.host = host
        self._port = int(port)
        self.default_seed = int(seed)
        self._stores: Dict[Tuple[str, str], _Store] = {}
        self._stores_lock = threading.Lock()
        self._secret = os.urandom(32)
        #: AWS Config's SelectAggregateResourceConfig, on the same port (``config_emulator``).
        self.config = ConfigService(self._secret)
        self._stats = _Stats()
        self._fault_lock = threading.Lock()
        self._faults = _Faults()
        self._rng = random.Random(self.default_seed)
        self._buckets: Dict[str, List[float]] = {}
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle
    def start(self) -> "BackupEmulator":
        if self._server is not None:
            return self
        server = _Server((self.host, self._port), _Handler)
        server.emulator = self
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"backup-emulator-{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> "BackupEmulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host = self.host if self.host not in ("0.0.0.0", "") else "127.0.0.1"
        return f"http://{host}:{self._port}"

    def env(self) -> Dict[str, str]:
        """The SDK settings that send AWS Backup and AWS Config calls here."""
        return {"AWS_ENDPOINT_URL_BACKUP": self.url, "AWS_ENDPOINT_URL_CONFIG_SERVICE": self.url}

    # -- data
    def _store(self, job_type: str, region: str) -> _Store:
        key = (job_type, region)
        store = self._stores.get(key)
        if store is None:
            with self._stores_lock:
                store = self._stores.get(key)
                if store is None:
                    store = self._stores[key] = _Store(OPS[job_type])
        return store

    @staticmethod
    def _check_type_region(job_type: str, region: str) -> None:
        if job_type not in OPS:
            raise ValueError(f"job_type must be one of {list(JOB_TYPES)}, not {job_type!r}")
        if not isinstance(region, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", region):
            raise ValueError(f"not a region name: {region!r}")

    def load_jobs(self, job_type: str, region: str, jobs: Iterable[Dict[str, Any]], replace: bool = False) -> int:
        """Upsert API-shaped jobs (by job id) into (job_type, region); ``replace`` empties it first."""
        self._check_type_region(job_type, region)
        op = OPS[job_type]
        recs = [_make_record(op, job, self.management_account_id) for job in jobs]
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
            for job_type in JOB_TYPES:
                for region in spec.regions:
                    self._store(job_type, region).clear()
        for job_type, region, _day, jobs in synthetic.iter_chunks(spec):
            self._check_type_region(job_type, region)
            n = self.load_jobs(job_type, region, jobs)
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
                n += self.load_jobs(jt, rg, synthetic.settle(todo, seed))
        return n

    def reset(self) -> None:
        """Forget every job, fault and statistic."""
        with self._stores_lock:
            self._stores = {}
        self.config.reset()
        self.set_faults()
        self.reset_stats()

    def job_count(self, job_type: Optional[str] = None, region: Optional[str] = None) -> int:
        return sum(len(s.records) for (jt, rg), s in list(self._stores.items())
                   if (job_type is None or jt == job_type) and (region is None or rg == region))

    # -- faults & stats
    def set_faults(self, throttle_rate: float = 0.0, throttle_regions: Sequence[str] = (),
                   rate_limit_per_second: Optional[float] = None, denied_regions: Sequence[str] = (),
                   denied: Sequence[Sequence[str]] = (), seed: Optional[int] = None,
                   unavailable_rate: float = 0.0, throttle_next: int = 0,
                   latency_seconds: float = 0.0, cross_account_monitoring_off: bool = False) -> Dict[str, Any]:
        """Replace the fault configuration (no argument: no faults). Returns it."""
        faults = _Faults(throttle_rate, throttle_regions, rate_limit_per_second, denied_regions, denied, seed,
                         unavailable_rate, throttle_next, latency_seconds,
                         cross_account_monitoring_off=cross_account_monitoring_off)
        with self._fault_lock:
            self._faults = faults
            self._rng = random.Random(self.default_seed if seed is None else seed)
            self._buckets = {}
        return faults.to_dict()

    def faults(self) -> Dict[str, Any]:
        return self._faults.to_dict()

    def stats(self) -> Dict[str, Any]:
        """Counters since the last reset (see the module docstring); tuple keys."""
        with self._stats.lock:
            out: Dict[str, Any] = {k: dict(v) for k, v in self._stats.pairs.items()}
            out.update(self._stats.totals)
            out["access_keys"] = dict(self._stats.access_keys)
        out["jobs_loaded"] = {key: len(s.records) for key, s in list(self._stores.items())}
        return out

    def reset_stats(self) -> None:
        with self._stats.lock:
            self._stats.reset()

    # -- request handling
    def _fault(self, op: _OpSpec, region: str) -> Optional[ApiError]:
        f = self._faults
        if region in f.denied_regions or (region, op.name) in f.denied:
            return ApiError(403, "AccessDeniedException",
                            f"User: arn:aws:sts::{self.management_account_id}:assumed-role/BackupReportRead/emulator "
                            f"is not authorized to perform: backup:{op.name} in region {region} "
                            f"with an explicit deny in a service control policy")
        if f.latency:
            time.sleep(f.latency)
        throttled = False
        with self._fault_lock:
            if region in f.throttle_regions:
                throttled = True
            elif f.throttle_next > 0:
                f.throttle_next -= 1
                throttled = True
            if not throttled and f.rate_limit is not None:
                now = time.monotonic()
                bucket = self._buckets.get(region)
                capacity = max(1.0, f.rate_limit)
                if bucket is None:
                    bucket = self._buckets[region] = [capacity, now]
                bucket[0] = min(capacity, bucket[0] + (now - bucket[1]) * f.rate_limit)
                bucket[1] = now
                if bucket[0] >= 1.0:
                    bucket[0] -= 1.0
                else:
                    throttled = True
            if not throttled and f.throttle_rate and self._rng.random() < f.throttle_rate:
                throttled = True
            unavailable = (not throttled and f.unavailable_rate > 0 and self._rng.random() < f.unavailable_rate)
        if throttled:
            return ApiError(400, "ThrottlingException", "Rate exceeded")
        if unavailable:
            return ApiError(503, "ServiceUnavailableException", "The service is unavailable. Please retry.",
                            kind="Server")
        return None

    def _token(self, qhash: str, rec: _Rec) -> str:
        payload = json.dumps([1, qhash, rec[0], rec[1]], separators=(",", ":")).encode("utf-8")
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac + payload).decode("ascii")

    def _untoken(self, token: str, qhash: str) -> Tuple[int, str]:
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
            raise _invalid("The NextToken is not valid.") from None
        if token_q != qhash:
            raise _invalid("The NextToken does not belong to this request: its filters changed.")
        return neg, job_id

    def list_jobs(self, op: _OpSpec, region: str, query: Dict[str, str]) -> Tuple[bytes, int]:
        """Serve one page; returns (JSON body, number of jobs). Raises ApiError."""
        parsed: Dict[str, Any] = {}
        for qs_name, raw in query.items():
            p = op.params.get(qs_name)
            if p is None:
                continue  # unknown parameters are ignored, as AWS does
            if p.type_name == "integer":
                try:
                    value: Any = int(raw)
                except ValueError:
                    raise _invalid(f"Invalid value for {p.member}: {raw!r} is not an integer.") from None
                if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
                    raise _invalid(f"Invalid value for {p.member}: {value}. It must be between "
                                   f"{p.min} and {p.max}.")
            elif p.type_name == "timestamp":
                try:
                    value = parse_timestamp_us(raw)
                except ValueError:
                    raise _invalid(f"Invalid value for {p.member}: {raw!r} is not a timestamp.") from None
            else:
                value = raw
                if p.member == "ByAccountId" and raw == "*":
                    pass
                elif p.enum and raw not in p.enum:
                    raise _invalid(f"Invalid value for {p.member}: {raw!r}. Valid values: {', '.join(p.enum)}.")
                elif p.pattern is not None and not p.pattern.search(raw):
                    raise _invalid(f"Invalid value for {p.member}: {raw!r} does not match "
                                   f"{p.pattern.pattern}.")
            parsed[p.member] = value

        max_results = parsed.pop("MaxResults", op.max_max)
        token = parsed.pop("NextToken", None)
        account = parsed.pop("ByAccountId", None)
        scope = account if account is not None else self.management_account_id
        if scope == "*" and self._faults.cross_account_monitoring_off:
            scope = self.management_account_id  # AWS Backup answers with the caller's own jobs only
        filters = sorted((k, v) for k, v in parsed.items())
        qhash = hashlib.sha256(json.dumps([op.name, region, scope, filters], default=str)
                               .encode("utf-8")).hexdigest()[:24]

        snap = self._store(op.job_type, region).snapshot() if (op.job_type, region) in self._stores else _EMPTY
        if scope != "*":
            snap = snap.for_account(scope)
        keys, recs = snap.keys, snap.recs
        # newest first: keys are -creation_us ascending
        lo, hi = 0, len(keys)
        before = parsed.pop("ByCreatedBefore", None)
        after = parsed.pop("ByCreatedAfter", None)
        if before is not None:
            lo = bisect.bisect_right(keys, -before)  # creation < before  <=> key > -before
        if after is not None:
            hi = bisect.bisect_left(keys, -after)  # creation > after  <=> key < -after
        if token is not None:
            neg, job_id = self._untoken(token, qhash)
            pos = bisect.bisect_left(keys, neg)
            while pos < len(keys) and keys[pos] == neg and recs[pos][1] < job_id:
                pos += 1
            lo = max(lo, pos)

        predicates = self._predicates(op, parsed)
        if not predicates:
            end = min(hi, lo + max_results)
            page = recs[lo:end] if lo < end else []
            nxt = recs[end] if end < hi else None
        else:
            page = []
            nxt = None
            for k in range(lo, hi):
                rec = recs[k]
                if all(pred(rec) for pred in predicates):
                    if len(page) == max_results:
                        nxt = rec
                        break
                    page.append(rec)
        body = b"".join((b'{"', op.result_key.encode("ascii"), b'":[', b",".join([r[2] for r in page]), b"]"))
        if nxt is not None:
            body += b',"NextToken":' + json.dumps(self._token(qhash, nxt)).encode("ascii")
        return body + b"}", len(page)

    @staticmethod
    def _predicates(op: _OpSpec, parsed: Dict[str, Any]) -> List[Callable[[_Rec], bool]]:
        preds: List[Callable[[_Rec], bool]] = []
        for member, value in parsed.items():
            if member in FIELD_FILTERS:
                idx = op.field_index[member]
                if member == "ByMessageCategory":
                    want = _norm_category(value)
                    if want in _MESSAGE_CATEGORY_ANY:
                        continue
                else:
                    want = value
                preds.append(lambda rec, i=idx, w=want: rec[5][i] == w)
            elif member == "ByCompleteAfter":
                preds.append(lambda rec, v=value: rec[4] is not None and rec[4] > v)
            elif member == "ByCompleteBefore":
                preds.append(lambda rec, v=value: rec[4] is not None and rec[4] < v)
        return preds

    def handle_api(self, method: str, path: str, query: Dict[str, str], headers: Any
                   ) -> Tuple[int, Dict[str, str], bytes]:
        op = OPS_BY_PATH.get(path.rstrip("/"))
        if op is None or method != op.method:
            err = ApiError(404, "UnknownOperationException", f"No operation for {method} {path}")
            return err.status, {"x-amzn-ErrorType": err.code}, err.body()
        auth = headers.get("Authorization") or query.get("X-Amz-Credential") or ""
        if "Credential=" not in auth and query.get("X-Amz-Credential"):
            auth = "Credential=" + query["X-Amz-Credential"]
        m = _AUTH_RE.search(auth)
        if m is None:
            with self._stats.lock:
                self._stats.totals["unauthenticated"] += 1
            err = ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
            return err.status, {"x-amzn-ErrorType": err.code}, err.body()
        akid, _day, region, service = m.groups()
        if service != "backup":
            with self._stats.lock:
                self._stats.totals["unauthenticated"] += 1
            err = ApiError(403, "InvalidSignatureException",
                           "Credential should be scoped to correct service: 'backup'.")
            return err.status, {"x-amzn-ErrorType": err.code}, err.body()
        st = self._stats
        with st.lock:
            st.add("requests", op.name, region)
            st.totals["total_requests"] += 1
            st.access_keys[akid] = st.access_keys.get(akid, 0) + 1
        try:
            err = self._fault(op, region)
            if err is not None:
                raise err
            body, n = self.list_jobs(op, region, query)
        except ApiError as e:
            with st.lock:
                if e.code == "ThrottlingException":
                    st.totals["throttled"] += 1
                    st.add("throttled_by", op.name, region)
                elif e.code == "AccessDeniedException":
                    st.totals["denied"] += 1
                    st.add("denied_by", op.name, region)
                elif e.code == "ServiceUnavailableException":
                    st.totals["unavailable"] += 1
                else:
                    st.totals["invalid"] += 1
                st.add("errors_by", op.name, region)
            return e.status, {"x-amzn-ErrorType": e.code}, e.body()
        with st.lock:
            st.add("pages", op.name, region)
            st.add("jobs_returned", op.name, region, n)
            st.totals["total_pages"] += 1
            st.totals["total_jobs_returned"] += n
        return 200, {}, body

    def handle_admin(self, method: str, path: str, body: bytes) -> Tuple[int, Any]:
        route = path[len(ADMIN_PREFIX):].strip("/")
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError as e:
            return 400, {"error": f"request body is not JSON: {e}"}
        try:
            if route.startswith("config/"):
                return self.config.handle_admin(method, route[len("config/"):], data)
            if method == "GET" and route == "health":
                return 200, {"ok": True, "management_account_id": self.management_account_id,
                             "jobs": self.job_count()}
            if method == "GET" and route == "stats":
                return 200, _stats_to_json(self.stats())
            if method == "GET" and route == "faults":
                return 200, self.faults()
            if method != "POST":
                return 404, {"error": f"no admin route {method} {path}"}
            if route == "reset":
                self.reset()
                return 200, {"ok": True}
            if route == "stats/reset":
                self.reset_stats()
                return 200, {"ok": True}
            if route == "jobs":
                n = self.load_jobs(data["job_type"], data["region"], data.get("jobs", []),
                                   bool(data.get("replace", False)))
                return 200, {"loaded": n, "total": self.job_count(data["job_type"], data["region"])}
            if route == "generate":
                if not isinstance(data, dict):
                    raise ValueError("the body must be an OrgSpec object or {\"spec\": ..., \"replace\": ...}")
                data = dict(data)
                replace = bool(data.pop("replace", False))
                counts = self.generate(data.get("spec", data), replace)
                return 200, {"loaded": counts, "total": sum(counts.values())}
            if route == "settle":
                n = self.settle(int(data.get("seed", 0)), data.get("job_type"), data.get("region"))
                return 200, {"settled": n}
            if route == "faults":
                return 200, self.set_faults(**data)
        except (KeyError, TypeError, ValueError) as e:
            return 400, {"error": f"{type(e).__name__}: {e}"}
        return 404, {"error": f"no admin route {method} {path}"}


def _stats_to_json(stats: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, dict):
            out[key] = {("/".join(k) if isinstance(k, tuple) else k): v for k, v in value.items()}
        else:
            out[key] = value
    return out


def _stats_from_json(data: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key != "access_keys":
            out[key] = {tuple(k.split("/", 1)): v for k, v in value.items()}
        else:
            out[key] = value
    return out


# --------------------------------------------------------------------------- HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulator: BackupEmulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Server"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # pragma: no cover
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, headers: Dict[str, str], body: bytes) -> None:
        self.send_response(status)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dispatch(self) -> None:
        body = self._read_body()
        parts = urlsplit(self.path)
        emu = self.server.emulator
        try:
            if parts.path.startswith(ADMIN_PREFIX) or parts.path.rstrip("/") == ADMIN_PREFIX.rstrip("/"):
                status, payload = emu.handle_admin(self.command, parts.path, body)
                self._send(status, {}, json.dumps(payload).encode("utf-8"))
                return
            target = self.headers.get("X-Amz-Target") or ""
            if target.startswith(TARGET_PREFIX):  # AWS Config (JSON 1.1), not AWS Backup
                status, out = emu.config.handle(target, self.headers, body)
                self._send(status, {}, out)
                return
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            status, headers, out = emu.handle_api(self.command, parts.path, query, self.headers)
            self._send(status, headers, out)
        except Exception as e:  # an emulator bug: answer like AWS's 500, keep serving
            err = ApiError(500, "InternalFailure", f"{type(e).__name__}: {e}", kind="Server")
            self._send(500, {"x-amzn-ErrorType": err.code}, err.body())

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_HEAD = _dispatch


# --------------------------------------------------------------------------- client of a separate process


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _to_epoch(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, synthetic.OrgSpec):
        return value.to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class EmulatorClient:
    """The admin API of an emulator running elsewhere (another process), same methods."""

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
        return _stats_from_json(self._call("GET", "stats"))

    def reset_stats(self) -> None:
        self._call("POST", "stats/reset", {})

    # -- AWS Config (config_emulator)
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


# --------------------------------------------------------------------------- CLI


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backup_report.local.backup_emulator",
                                     description="Local AWS Backup List*Jobs emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: pick a free port")
    parser.add_argument("--management-account-id", default=DEFAULT_MANAGEMENT_ACCOUNT_ID)
    parser.add_argument("--generate", metavar="SPEC_JSON", help="an OrgSpec JSON file to generate and load")
    parser.add_argument("--port-file", metavar="PATH", help="write the port here once ready")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault injection RNG")
    args = parser.parse_args(argv)

    emu = BackupEmulator(args.management_account_id, host=args.host, port=args.port, seed=args.seed)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    if args.generate:
        with open(args.generate, encoding="utf-8") as fh:
            counts = emu.generate(fh.read())
        print(f"generated {sum(counts.values())} jobs", file=sys.stderr, flush=True)
    emu.start()
    print(f"AWS Backup emulator listening on {emu.url} (port {emu.port})", flush=True)
    if args.port_file:
        tmp = f"{args.port_file}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{emu.port}\n")
        os.replace(tmp, args.port_file)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
