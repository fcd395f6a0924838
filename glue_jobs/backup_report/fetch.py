"""AWS Backup listings per region, job type and report day, at the pace the API allows; account names.

A day is listed in pages of 1,000 jobs. A busy day is split into time windows once its
first page comes back full, and the windows are listed at once (each paginated to its
end), so that several calls are in flight per region; a token bucket per region keeps
the calls within AWS Backup's request quota. Pages are decoded with orjson (``jsoncodec``)
and converted by the operation's model (``FastPageParser``) rather than botocore's shape
walker, with the very same result; botocore still signs, retries and reports errors.
"""
from __future__ import annotations

import datetime as dt
import logging
import queue
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import boto3

from . import jsoncodec
from .aws import AWS_ERRORS, botocore_config, describe_error, parse_api_timestamp
from .schema import Table

log = logging.getLogger(__name__)

#: The largest page AWS Backup serves: fewest calls for a given number of jobs.
PAGE_SIZE = 1000
#: Asked for on each side of a day (and of a window), so the API's own boundary rule (strict
#: or not, second precision or not) cannot drop a job; rows are then kept by the report-day rule.
BOUNDARY_MARGIN = dt.timedelta(seconds=1)
#: AWS Backup's request quota assumed per region for the List*Jobs calls together (they may
#: share it): the client-side token bucket sends no more; throttling slows it further.
REQUESTS_PER_SECOND = 20.0
#: Calls the bucket lets go at once: half the quota's own burst, so the service's bucket
#: keeps a margin for jitter between our clock and its.
BURST = 10.0
#: A window is split only into windows expected to hold this many pages or more: each
#: window ends with a partial page, so this keeps the extra calls to about 1/16 or less.
PAGES_PER_WINDOW = 8
#: Windows of one slice listed at once.
MAX_WINDOWS = 4
#: Windows one slice may be split into in all (each may cost one partial page).
MAX_SPLITS = 24
#: Error codes AWS uses for a request over the quota (botocore retries them).
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                              "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException"})

_ONE_MICROSECOND = dt.timedelta(microseconds=1)


def day_bounds(day: dt.date):
    """``[day 00:00, day+1 00:00)`` in UTC: the jobs that belong to report day ``day``."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return start, start + dt.timedelta(days=1)


# --------------------------------------------------------------------------- request pacing


class RateLimiter:
    """A token bucket: ``acquire()`` waits until a call may go; ``throttled()`` slows it down.

    Thread-safe; shared by processes when ``lock`` is a ``multiprocessing`` lock and
    ``state`` a shared array of 3 doubles (``multiprocessing.RawArray('d', 3)``), since
    ``time.monotonic`` is the same clock in every process. After a throttling error the
    rate drops by a third and the bucket empties; each call let through then regains
    1 % of ``rate`` until the nominal rate is back.
    """

    def __init__(self, rate: float = REQUESTS_PER_SECOND, burst: float = BURST, lock: Any = None,
                 state: Any = None):
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limiter needs rate > 0 and burst >= 1")
        self.rate, self.burst = float(rate), float(burst)
        self._lock = lock if lock is not None else threading.Lock()
        self._state = state if state is not None else [0.0, 0.0, 0.0]
        with self._lock:
            if not self._state[2]:  # tokens, time of the last refill, current rate
                self._state[0], self._state[1], self._state[2] = self.burst, time.monotonic(), self.rate

    def acquire(self) -> float:
        """Take one token, waiting for it when needed; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                state = self._state
                now = time.monotonic()
                rate = state[2]
                tokens = min(self.burst, state[0] + (now - state[1]) * rate)
                state[1] = now
                if tokens >= 1.0:
                    state[0] = tokens - 1.0
                    state[2] = min(self.rate, rate + 0.01 * self.rate)
                    return waited
                state[0] = tokens
                pause = (1.0 - tokens) / rate
            time.sleep(pause)
            waited += pause

    def throttled(self) -> None:
        """The service refused a call as over its quota: slow down."""
        with self._lock:
            state = self._state
            state[2] = max(self.rate / 20.0, state[2] * 2.0 / 3.0)
            state[0] = min(state[0], 0.0)
            state[1] = time.monotonic()

    @property
    def current_rate(self) -> float:
        return self._state[2]


# --------------------------------------------------------------------------- page parsing


class _Unsupported(Exception):
    """A response the fast parser cannot turn into exactly botocore's result: botocore parses it."""


Converter = Optional[Callable[[Any], Any]]


def _boolean(value: Any) -> bool:
    if type(value) is bool:
        return value
    return value.lower() == "true" if isinstance(value, str) else False  # botocore's ensure_boolean


#: orjson decodes an integer beyond 64 bits as a float, of at least this size: botocore (json) parses those.
_BEYOND_64_BITS = float(2 ** 63)


def _integer(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is float and not -_BEYOND_64_BITS < value < _BEYOND_64_BITS:
        raise _Unsupported("an integer beyond 64 bits")
    return int(value)


def _float(value: Any) -> float:
    return value if type(value) is float else float(value)


def _converter(shape: Any, timestamp: Callable[[Any], Any], nulls: bool = True) -> Converter:
    """What botocore's rest-json parser does to a JSON value of ``shape``; None: nothing.

    ``nulls=False``: for a body without any JSON null, so no null has to be looked for.
    Raises _Unsupported for the shapes whose handling is not reproduced here (renamed or
    non-body members, unions, documents, blobs, JSON-value strings).
    """
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type or getattr(shape, "is_tagged_union", False):
            raise _Unsupported(shape.name)
        members: Dict[str, Any] = {}
        for name, member in shape.members.items():
            serialization = member.serialization
            if serialization.get("name", name) != name or serialization.get("location"):
                raise _Unsupported(f"{shape.name}.{name}")
            members[name] = (member.type_name if member.type_name in _SCALARS
                             else _converter(member, timestamp, nulls))
        return _structure(members, timestamp, nulls)
    if kind == "list":
        return _list(_converter(shape.member, timestamp, nulls), nulls)
    if kind == "map":
        return _map(_converter(shape.key, timestamp, nulls), _converter(shape.value, timestamp, nulls))
    if kind == "timestamp":
        return timestamp
    if kind in ("integer", "long"):
        return _integer
    if kind in ("float", "double"):
        return _float
    if kind == "boolean":
        return _boolean
    if kind == "string":
        if shape.serialization.get("jsonvalue"):
            raise _Unsupported(shape.name)
        return None
    raise _Unsupported(f"{shape.name} ({kind})")


#: Member types a structure converts in line (the per-job hot path: no call when nothing changes).
_SCALARS = ("timestamp", "integer", "long", "float", "double", "boolean")


def _structure(members: Dict[str, Any], timestamp: Callable[[Any], Any], nulls: bool) -> Callable[[Any], Any]:
    """A structure's converter; ``members``: name -> scalar type name, converter or None.

    Its code is written for the structure's members (the per-job hot path: no loop, no call
    for a member whose value stays as it is), in the order timestamps, integers, floats,
    booleans, structures of strings, other members, then nulls.
    """
    known = frozenset(members)
    kinds = {"timestamp": 0, "integer": 1, "long": 1, "float": 2, "double": 2, "boolean": 3}
    order = sorted(members, key=lambda n: kinds.get(members[n], 4 if getattr(members[n], "plain", None)
                                                     is not None else 5))
    if timestamp is parse_api_timestamp:
        # what the job's parser does with epoch seconds; a string raises TypeError
        epoch: Callable[[Any, Any], Any] = dt.datetime.fromtimestamp
    else:
        def epoch(raw: Any, _utc: Any) -> Any:
            return timestamp(raw)
    scope: Dict[str, Any] = {"_Unsupported": _Unsupported, "known": known, "epoch": epoch, "timestamp": timestamp,
                             "_boolean": _boolean, "_integer": _integer, "_utc": dt.timezone.utc}
    # reading a member's value is mostly a cache miss (a page's objects outgrow the caches):
    # only the values to convert are read, and the others only when the page may hold a null
    # ``__class__``: a JSON value's type, read faster than type() calls it (Python 3.9)
    lines = ["def convert(value, _dict=dict, _int=int, _float=float, _bool=bool):",
             "    if value.__class__ is not _dict:",
             "        raise _Unsupported('not an object')",
             "    if not known.issuperset(value):  # botocore keeps only the modelled members",
             "        value = {k: v for k, v in value.items() if k in known}",
             "    get = value.get"]
    for i, name in enumerate(order):
        member, key = members[name], repr(name)
        if member is None:
            continue
        scope[f"m{i}"] = member
        lines.append(f"    raw = get({key})")
        if member == "timestamp":
            lines += ["    if raw is not None:", "        try:", f"            value[{key}] = epoch(raw, _utc)",
                      "        except TypeError:", f"            value[{key}] = timestamp(raw)"]
        elif member in ("integer", "long", "float", "double", "boolean"):
            kind = {"integer": "_int", "long": "_int", "float": "_float", "double": "_float",
                    "boolean": "_bool"}[member]
            call = {"_bool": "_boolean", "_int": "_integer"}.get(kind, kind)
            lines += [f"    if raw is not None and raw.__class__ is not {kind}:", f"        value[{key}] = {call}(raw)"]
        elif getattr(member, "plain", None) is not None:
            # a structure of strings only (CreatedBy): left as it is when it holds only
            # modelled (and non-null) members
            scope[f"k{i}"] = member.plain
            null = " or None in raw.values()" if nulls else ""
            lines += [f"    if raw is not None and (raw.__class__ is not _dict or not k{i}.issuperset(raw){null}):",
                      f"        value[{key}] = m{i}(raw)"]
        elif getattr(member, "unchanged", None) is not None:  # a list or map whose values stay as they are
            scope[f"t{i}"] = member.unchanged
            lines += [f"    if raw is not None and raw.__class__ is not t{i}:", f"        value[{key}] = m{i}(raw)"]
        else:
            lines += ["    if raw is not None:", f"        value[{key}] = m{i}(raw)"]
    if nulls:  # botocore drops the members that are null
        lines += ["    if None in value.values():", "        value = {k: v for k, v in value.items() if v is not None}"]
    lines.append("    return value")
    exec("\n".join(lines), scope)  # the model's member names appear only as repr() literals
    convert = scope["convert"]
    if all(m is None for m in members.values()):
        convert.plain = known  # type: ignore[attr-defined]
    return convert


def _list(item: Converter, nulls: bool) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if type(value) is not list:
            raise _Unsupported("not an array")
        if item is None:
            return value
        if nulls and None in value:  # botocore keeps null items
            return [None if v is None else item(v) for v in value]
        return list(map(item, value))
    if item is None:
        convert.unchanged = list  # type: ignore[attr-defined]
    return convert


def _map(key: Converter, item: Converter) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise _Unsupported("not an object")
        if key is None and item is None:
            return value
        # botocore converts a null value too: int(None) fails (botocore then raises), a
        # boolean's is False, a structure's is null (``_structure`` leaves that to botocore)
        return {(k if key is None else key(k)): (v if item is None else item(v)) for k, v in value.items()}
    if key is None and item is None:
        convert.unchanged = dict  # type: ignore[attr-defined]
    return convert


#: Finds a JSON null (or the word in a string): a page without is converted without looking
#: for nulls (a regular expression scans the bytes faster than ``in``).
_NULL = re.compile(rb"null")


class FastPageParser:
    """Parses the successful responses of the List*Jobs operations with ``jsoncodec`` and the model.

    Registered on a client's ``before-parse`` event: the page is decoded here and handed to
    botocore as its parsed result, while botocore parses an empty body (response metadata,
    retries and every error response stay botocore's). The result equals what botocore's
    rest-json parser gives with ``aws.parse_api_timestamp`` (the job's timestamp parser):
    only modelled, non-null members, timestamps as UTC datetimes, numbers and booleans as
    botocore converts them. A response it cannot reproduce exactly is left to botocore.
    """

    def __init__(self, service_model: Any, operations: Sequence[str],
                 timestamp: Callable[[Any], Any] = parse_api_timestamp):
        #: operation -> (converter for a body with nulls, converter for a body without)
        self.converters: Dict[str, Tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}
        for name in operations:
            output = service_model.operation_model(name).output_shape
            if output is None or "payload" in output.serialization:
                continue
            try:
                convert: Any = tuple(_converter(output, timestamp, nulls) for nulls in (True, False))
            except _Unsupported as why:
                log.debug("%s pages are parsed by botocore: %s", name, why)
                continue
            if convert[0] is not None:
                self.converters[name] = convert
        self.fast = 0
        self.fallback = 0

    def parse(self, operation: str, body: bytes) -> Optional[dict]:
        """The parsed page, or None when botocore must parse it."""
        converters = self.converters.get(operation)
        if converters is None:
            return None
        try:
            page = jsoncodec.loads(body)  # json.loads(body.decode("utf-8")), as botocore decodes it
            with_nulls, without_nulls = converters
            return (with_nulls if _NULL.search(body) else without_nulls)(page)
        except (_Unsupported, ValueError, TypeError, AttributeError, OverflowError, OSError):
            self.fallback += 1
            return None

    def __call__(self, response_dict: dict, customized_response_dict: dict, operation_model: Any,
                 **_kwargs: Any) -> None:
        body = response_dict.get("body")
        if response_dict.get("status_code", 500) >= 300 or not isinstance(body, bytes) or not body:
            return
        parsed = self.parse(operation_model.name, body)
        if parsed is None:
            return
        self.fast += 1
        customized_response_dict.update(parsed)
        response_dict["body"] = b"{}"


def _pacing_hooks(limiter: RateLimiter) -> Tuple[Callable[..., None], Callable[..., None]]:
    """``before-send`` (every attempt, retries too, takes a token) and ``before-parse``
    (a throttling answer slows the bucket down) handlers."""

    def before_send(**_kwargs: Any) -> None:
        limiter.acquire()
        return None  # None: botocore sends the request itself

    def before_parse(response_dict: dict, **_kwargs: Any) -> None:
        status = response_dict.get("status_code", 200)
        if status == 429 or (status == 400 and str(response_dict.get("headers", {}).get(
                "x-amzn-errortype", "")).split(":")[0] in THROTTLING_CODES):
            limiter.throttled()

    return before_send, before_parse


def backup_client(session: boto3.Session, region: str, limiter: Optional[RateLimiter] = None,
                  fast_parse: bool = True):
    """An AWS Backup client for ``region`` (endpoint from the standard SDK configuration),
    its List*Jobs pages parsed by ``FastPageParser`` and, given a ``limiter``, paced by it."""
    client = session.client("backup", region_name=region, config=botocore_config())
    events = client.meta.events
    if limiter is not None:
        before_send, before_parse = _pacing_hooks(limiter)
        events.register("before-send.backup", before_send)
        events.register("before-parse.backup", before_parse)
    if fast_parse:
        from .schema import JOB_TABLES
        operations = [client.meta.method_to_api_mapping[t.operation] for t in JOB_TABLES]
        parser = FastPageParser(client.meta.service_model, operations)
        for name in parser.converters:
            events.register(f"before-parse.backup.{name}", parser)
    return client


# --------------------------------------------------------------------------- listing a day


class DayListing:
    """The pages of one slice (``pages()``); see ``list_jobs``.

    The day is paginated in the caller's thread until a page comes back full and shows the
    rest of the day is big enough to split: what the page did not cover is then cut into
    time windows listed on threads (each to its end, or split again by the same rule), their
    pages handed over by a bounded queue.
    """

    _DONE = object()

    def __init__(self, client: Any, table: Table, day: dt.date, max_windows: int = MAX_WINDOWS,
                 page_size: int = PAGE_SIZE):
        self.client, self.table = client, table
        self.start, self.end = day_bounds(day)
        self.max_windows, self.page_size = max(1, max_windows), page_size
        self.splits_left = MAX_SPLITS if max_windows > 1 else 0
        # bounded: windows wait while the consumer is busy, so memory stays a few pages
        self.queue: "queue.Queue[Any]" = queue.Queue(maxsize=self.max_windows)
        self.cancelled = threading.Event()
        self.lock = threading.Lock()
        #: how many windows the day was listed in, in all; how many each split made
        self.windows = 1
        self.splits: List[int] = []
        self._active = 1  # windows being listed now

    def _paginate(self, lo: dt.datetime, hi: dt.datetime) -> Iterator[dict]:
        return iter(self.client.get_paginator(self.table.operation).paginate(
            ByAccountId="*", ByCreatedAfter=lo - BOUNDARY_MARGIN, ByCreatedBefore=hi + BOUNDARY_MARGIN,
            PaginationConfig={"PageSize": self.page_size}))

    def _split(self, lo: dt.datetime, hi: dt.datetime, page: dict) -> List[Tuple[dt.datetime, dt.datetime]]:
        """Windows for what a full page of ``[lo, hi)`` left, or [] to paginate on.

        Jobs come newest first: the page covers ``[oldest, newest]``; the rest of the window
        is ``[lo, oldest]`` (``oldest`` included: jobs of that instant may follow), its size
        estimated from the page's density, cut into equal time windows of about
        ``PAGES_PER_WINDOW`` pages each: only as many as there are threads free (a window
        more than that only costs a partial page), ``MAX_SPLITS`` in all.
        """
        jobs = page.get(self.table.result_key) or []
        if not page.get("NextToken") or len(jobs) < 2 or not self.splits_left:
            return []
        newest, oldest = jobs[0]["CreationDate"], jobs[-1]["CreationDate"]
        if not lo < oldest < newest:
            return []
        remaining = (len(jobs) - 1) * (oldest - lo).total_seconds() / (newest - oldest).total_seconds()
        with self.lock:
            count = min(int(remaining / (self.page_size * PAGES_PER_WINDOW) + 0.5), self.splits_left,
                        self.max_windows - self._active + 1)
            if count < 2:
                return []
            self.splits_left -= count
            self.windows += count - 1
            self._active += count  # the window that splits ends: see _window, pages
            self.splits.append(count)
        top = oldest + _ONE_MICROSECOND
        step = (top - lo) / count
        edges = [lo] + [lo + step * i for i in range(1, count)] + [top]
        return [(edges[i], edges[i + 1]) for i in range(count)]

    def _walk(self, lo: dt.datetime, hi: dt.datetime) -> Iterator[Any]:
        """The jobs of ``[lo, hi)``, page by page; when a page shows the rest is busy, its jobs
        above the split and then ``("split", windows)`` for the rest, and no more."""
        key = self.table.result_key
        for page in self._paginate(lo, hi):
            windows = self._split(lo, hi, page)
            if windows:
                top = windows[-1][1]
                yield [j for j in page.get(key) or [] if top <= j["CreationDate"] < hi]
                yield ("split", windows)
                return
            yield [j for j in page.get(key) or [] if lo <= j["CreationDate"] < hi]

    # -- windows on threads
    def _put(self, item: Any) -> bool:
        while not self.cancelled.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _spawn(self, pool: ThreadPoolExecutor, windows: List[Tuple[dt.datetime, dt.datetime]]) -> bool:
        if not self._put(("spawn", len(windows))):  # counted before any of them can be done
            return False
        for lo, hi in windows:
            pool.submit(self._window, pool, lo, hi)
        return True

    def _window(self, pool: ThreadPoolExecutor, lo: dt.datetime, hi: dt.datetime) -> None:
        """List ``[lo, hi)`` on this thread, to its end or to a split."""
        try:
            if self.cancelled.is_set():
                return
            for item in self._walk(lo, hi):
                if self.cancelled.is_set():
                    return
                if isinstance(item, tuple):
                    self._spawn(pool, item[1])
                    return
                if not self._put(item):
                    return
        except BaseException as error:  # noqa: B902 - handed to the consumer, which raises it
            self._put(("error", error))
        finally:
            with self.lock:
                self._active -= 1
            self._put(self._DONE)

    # -- the consumer
    def pages(self) -> Iterator[List[dict]]:
        windows = None
        for item in self._walk(self.start, self.end):  # in this thread, until a split
            if isinstance(item, tuple):
                windows = item[1]
            else:
                yield item
        if not windows:
            return
        with self.lock:
            self._active -= 1  # the day's own window ends here
        pool = ThreadPoolExecutor(max_workers=self.max_windows, thread_name_prefix="list")
        try:
            running = 0
            self._spawn(pool, windows)
            while True:
                item = self.queue.get()
                if item is self._DONE:
                    running -= 1
                elif isinstance(item, tuple):
                    if item[0] != "spawn":
                        raise item[1]  # the first failure of a window fails the listing
                    running += item[1]
                elif item:
                    yield item
                if running == 0:
                    break
        finally:
            self.cancelled.set()  # the other windows stop at their next call
            pool.shutdown(wait=True, cancel_futures=True)


def list_jobs(client, table: Table, day: dt.date, max_windows: int = MAX_WINDOWS,
              page_size: int = PAGE_SIZE) -> Iterator[List[dict]]:
    """Yield pages of ``table``'s jobs of the whole organisation created on ``day`` (UTC).

    ``ByAccountId='*'`` lists every member account's jobs from the management or
    delegated administrator account; without it only the caller's own are returned.
    Every job created on ``day`` is yielded once by the listing, in no particular order:
    the day and its windows are half-open time ranges that cover it exactly, each asked
    for with ``BOUNDARY_MARGIN`` and kept by its own range. A page shift inside a window
    (a job created meanwhile) can still repeat a job: the caller keeps each id once.
    ``max_windows=1`` lists the day one page after the other.
    """
    return DayListing(client, table, day, max_windows, page_size).pages()


def account_names(session: boto3.Session) -> Dict[str, str]:
    """Account id -> name from Organizations; empty (with a warning) when that is denied."""
    client = session.client("organizations", config=botocore_config())
    names: Dict[str, str] = {}
    try:
        for page in client.get_paginator("list_accounts").paginate():
            names.update({a["Id"]: a.get("Name", "") for a in page["Accounts"]})
    except AWS_ERRORS as error:
        log.warning("account_name will be empty: cannot list the organisation's accounts "
                    "(organizations:ListAccounts): %s", describe_error(error))
        return {}
    return names
