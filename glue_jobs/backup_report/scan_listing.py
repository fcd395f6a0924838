"""Scan listing: malware scan jobs by state and completion date, filed by creation day (ListScanJobs).

``ListScanJobs`` has no creation-date filter and takes one state per call. A window's scans
are listed, per region, as ``SCAN_QUERIES`` says: those ``CREATED``, then ``RUNNING``, then
those completed after the window's first instant minus one second (``ByCompleteAfter`` is
exclusive), then ``FAILED`` and ``CANCELED`` by state. AWS does not say whether a failed or
canceled scan carries a ``CompletionDate``; listing those two states always costs a call or
two (failures are few) and finds them either way. The last row seen of a scan wins: a scan
that finishes between two calls is then seen finished. Each scan is filed under the UTC day
of its ``CreationDate``; one created before the window (or after it) belongs to no slice of
it. The client is the region's: paced (``pacing``) and parsed fast (``fastparse``) like the
other listings.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from .listing import PAGE_SIZE, day_bounds
from .schema import SCAN_JOBS

JOB_TYPE = SCAN_JOBS.job_type
#: ``ByCompleteAfter`` is exclusive: asked for this much before the window's first instant.
COMPLETE_MARGIN = dt.timedelta(seconds=1)
#: The calls of a listing, in order: a state (``ByState``), or ``None`` for "completed after".
SCAN_QUERIES: Tuple[Optional[str], ...] = ("CREATED", "RUNNING", None, "FAILED", "CANCELED")


def scan_filters(first_day: dt.date) -> List[Dict[str, Any]]:
    """The filters of each ``ListScanJobs`` call that lists the scans of days from ``first_day`` on."""
    complete_after = day_bounds(first_day)[0] - COMPLETE_MARGIN
    return [{"ByState": state} if state else {"ByCompleteAfter": complete_after} for state in SCAN_QUERIES]


def _creation_day(job: Mapping[str, Any]) -> dt.date:
    return job["CreationDate"].astimezone(dt.timezone.utc).date()


def list_scan_jobs(client: Any, days: Sequence[dt.date], page_size: int = PAGE_SIZE
                   ) -> Dict[dt.date, List[dict]]:
    """The organisation's scan jobs created on each of ``days`` (UTC), each once, as last listed.

    ``ByAccountId='*'`` lists every member account's scans from the management account (and,
    assumed, from a delegated administrator, as the other listings). Raises what the client
    raises: a failed call fails the whole listing.
    """
    wanted = set(days)
    latest: Dict[str, dict] = {}
    paginator = client.get_paginator(SCAN_JOBS.operation)
    for filters in scan_filters(min(wanted)):
        for page in paginator.paginate(ByAccountId="*", PaginationConfig={"PageSize": page_size}, **filters):
            for job in page.get(SCAN_JOBS.result_key) or []:
                if _creation_day(job) in wanted:
                    latest[job["ScanJobId"]] = job
    by_day: Dict[dt.date, List[dict]] = {day: [] for day in days}
    for job in latest.values():
        by_day[_creation_day(job)].append(job)
    return by_day


def in_pages(jobs: Sequence[dict], page_size: int = PAGE_SIZE) -> List[List[dict]]:
    """``jobs`` in pages of ``page_size``, as a slice takes a listing's pages."""
    return [list(jobs[i:i + page_size]) for i in range(0, len(jobs), page_size)]
