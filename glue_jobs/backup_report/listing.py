"""Listing: one report day's jobs of the whole organisation, in the fewest pages (day bounds, time windows).

A day is listed in pages of 1,000 jobs. A busy day is split into time windows once its
first page comes back full, and the windows are listed at once (each paginated to its
end), so that several calls are in flight per region; the client is paced (``pacing``)
and parses its pages fast (``fastparse``).
"""
from __future__ import annotations

import datetime as dt
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List, NamedTuple, Optional, Tuple, Union

import boto3

from . import fastparse, pacing
from .aws import botocore_config
from .schema import JOB_TABLES, Table

#: The largest page AWS Backup serves: fewest calls for a given number of jobs.
PAGE_SIZE = 1000
#: Asked for on each side of a day (and of a window), so the API's own boundary rule (strict
#: or not, second precision or not) cannot drop a job; rows are then kept by the report-day rule.
BOUNDARY_MARGIN = dt.timedelta(seconds=1)
#: A window is split only into windows expected to hold this many pages or more: each
#: window ends with a partial page, so this keeps the extra calls to about 1/16 or less.
PAGES_PER_WINDOW = 8
#: Windows of one slice listed at once.
MAX_WINDOWS = 4
#: Windows one slice may be split into in all (each may cost one partial page).
MAX_SPLITS = 24

_ONE_MICROSECOND = dt.timedelta(microseconds=1)

Window = Tuple[dt.datetime, dt.datetime]


def day_bounds(day: dt.date) -> Window:
    """``[day 00:00, day+1 00:00)`` in UTC: the jobs that belong to report day ``day``."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return start, start + dt.timedelta(days=1)


def backup_client(session: boto3.Session, region: str, limiter: Optional[pacing.RateLimiter] = None,
                  fast_parse: bool = True) -> Any:
    """An AWS Backup client for ``region`` (endpoint from the standard SDK configuration),
    its List*Jobs pages parsed by ``fastparse`` and, given a ``limiter``, paced by it."""
    client = session.client("backup", region_name=region, config=botocore_config())
    if limiter is not None:
        pacing.pace(client, limiter)
    if fast_parse:
        fastparse.install(client, [client.meta.method_to_api_mapping[t.operation] for t in JOB_TABLES])
    return client


# What a window's thread hands the consumer, besides a page (a list of jobs).
class _Split(NamedTuple):
    """The rest of the window is to be listed in these windows."""
    windows: List[Window]


class _Spawned(NamedTuple):
    """This many windows more are being listed (counted before any of them can end)."""
    added: int  # not ``count``: a NamedTuple field would hide tuple.count


class _Failed(NamedTuple):
    """A window failed: the listing fails with ``error``."""
    error: BaseException


class _Ended(NamedTuple):
    """A window ended (listed to its end, split, cancelled or failed)."""


_Message = Union[List[dict], _Spawned, _Failed, _Ended]


class DayListing:
    """The pages of one slice (``pages()``); see ``list_jobs``.

    The day is paginated in the caller's thread until a page comes back full and shows the
    rest of the day is big enough to split: what the page did not cover is then cut into
    time windows listed on threads (each to its end, or split again by the same rule), their
    pages handed over by a bounded queue.
    """

    def __init__(self, client: Any, table: Table, day: dt.date, max_windows: int = MAX_WINDOWS,
                 page_size: int = PAGE_SIZE):
        self.client, self.table = client, table
        self.start, self.end = day_bounds(day)
        self.max_windows, self.page_size = max(1, max_windows), page_size
        self.splits_left = MAX_SPLITS if max_windows > 1 else 0
        # bounded: windows wait while the consumer is busy, so memory stays a few pages
        self.queue: "queue.Queue[_Message]" = queue.Queue(maxsize=self.max_windows)
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

    def _split(self, lo: dt.datetime, hi: dt.datetime, page: dict) -> List[Window]:
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

    def _walk(self, lo: dt.datetime, hi: dt.datetime) -> Iterator[Union[List[dict], _Split]]:
        """The jobs of ``[lo, hi)``, page by page; when a page shows the rest is busy, its jobs
        above the split and then ``_Split`` for the rest, and no more."""
        key = self.table.result_key
        for page in self._paginate(lo, hi):
            windows = self._split(lo, hi, page)
            if windows:
                top = windows[-1][1]
                yield [j for j in page.get(key) or [] if top <= j["CreationDate"] < hi]
                yield _Split(windows)
                return
            yield [j for j in page.get(key) or [] if lo <= j["CreationDate"] < hi]

    # -- windows on threads
    def _put(self, message: _Message) -> bool:
        while not self.cancelled.is_set():
            try:
                self.queue.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _spawn(self, pool: ThreadPoolExecutor, windows: List[Window]) -> bool:
        if not self._put(_Spawned(len(windows))):  # counted before any of them can end
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
                if isinstance(item, _Split):
                    self._spawn(pool, item.windows)
                    return
                if not self._put(item):
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            self._put(_Failed(error))
        finally:
            with self.lock:
                self._active -= 1
            self._put(_Ended())

    # -- the consumer
    def pages(self) -> Iterator[List[dict]]:
        """The slice's jobs, page by page (a page may be empty after the day's own bounds)."""
        windows: List[Window] = []
        for item in self._walk(self.start, self.end):  # in this thread, until a split
            if isinstance(item, _Split):
                windows = item.windows
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
                message = self.queue.get()
                if isinstance(message, _Ended):
                    running -= 1
                elif isinstance(message, _Spawned):
                    running += message.added
                elif isinstance(message, _Failed):
                    raise message.error  # the first failure of a window fails the listing
                elif message:
                    yield message
                if running == 0:
                    break
        finally:
            self.cancelled.set()  # the other windows stop at their next call
            pool.shutdown(wait=True, cancel_futures=True)


def list_jobs(client: Any, table: Table, day: dt.date, max_windows: int = MAX_WINDOWS,
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
