"""AWS Backup's own daily counts (``List*JobSummaries``, ``ONE_DAY``), per job type and region, summed by (day, account, state).

The parameters are the reference's: every account (``AccountId`` ``ANY``) and state (``State`` ``ANY``)
on its own, resource types and message categories summed by AWS (``AGGREGATE_ALL``; the
category only for the types that have one: ``schema.Table.summary_parameters``). botocore has
no paginator for these operations: ``NextToken`` is followed here. Rows that cover more than
one UTC day are left out; AWS documents neither when it refreshes these counts nor which
timestamp decides a job's day: the creation day is assumed, as for the report.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, Tuple

from .manifest import Counts
from .schema import Table

#: The largest page AWS documents for the summaries (its model says 1000; its guide, 500).
PAGE_SIZE = 500
#: Pages of one job type and region at most: a loop that never ends is a bug, not an answer.
MAX_PAGES = 1000
_DAY = dt.timedelta(days=1)


@dataclass
class DailyCounts:
    """AWS Backup's counts of one job type in one region: per UTC day, per (account, state)."""

    counts: Dict[dt.date, Counts] = field(default_factory=dict)
    #: The period AWS gave for each day (its StartTime, EndTime).
    periods: Dict[dt.date, Tuple[dt.datetime, dt.datetime]] = field(default_factory=dict)
    calls: int = 0
    rows: int = 0
    #: Rows left out: they cover more (or less) than one UTC day.
    other_periods: int = 0


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def one_day(start: dt.datetime, end: dt.datetime) -> bool:
    """Whether ``start``..``end`` is one UTC day: from midnight to the next (or its last millisecond)."""
    start, end = _utc(start), _utc(end)
    midnight = start.hour == start.minute == start.second == start.microsecond == 0
    return midnight and _DAY - dt.timedelta(seconds=1) <= end - start <= _DAY


def parameters(table: Table) -> Dict[str, Any]:
    """The request of ``table``'s summaries (without ``NextToken``)."""
    return {"AggregationPeriod": "ONE_DAY", "AccountId": "ANY", "State": "ANY", "ResourceType": "AGGREGATE_ALL",
            **dict(table.summary_parameters), "MaxResults": PAGE_SIZE}


def fetch(client: Any, table: Table) -> DailyCounts:
    """The daily counts of ``table``'s job type in ``client``'s region; raises what the SDK raises."""
    out = DailyCounts()
    call = getattr(client, table.summary_operation)
    request = parameters(table)
    token = None
    for _ in range(MAX_PAGES):
        page = call(**request, **({"NextToken": token} if token else {}))
        out.calls += 1
        for row in page.get(table.summary_key) or []:
            out.rows += 1
            start, end = row.get("StartTime"), row.get("EndTime")
            if start is None or end is None or not one_day(start, end):
                out.other_periods += 1
                continue
            day = _utc(start).date()
            out.periods[day] = (_utc(start), _utc(end))
            per_day = out.counts.setdefault(day, {})
            key = (str(row.get("AccountId") or ""), str(row.get("State") or ""))
            per_day[key] = per_day.get(key, 0) + int(row.get("Count") or 0)
        token = page.get("NextToken")
        if not token:
            break
    return out
