"""The EventBridge entries the job sends: their Detail JSON, sizes and PutEvents batches (no I/O).

``Backup Jobs Need Attention`` carries the new attention items, in numbered parts under the
size limit; ``Backup Report Run Finished`` sums the run up. ``notify`` sends them.
"""
from __future__ import annotations

import datetime as dt
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from . import jsoncodec
from .arguments import Settings
from .attention import Item
from .runlog import INVENTORY
from .schema import JOB_TABLES_BY_TYPE
from .slices import SliceResult

SOURCE = "backup-report"
ATTENTION = "Backup Jobs Need Attention"
RUN_FINISHED = "Backup Report Run Finished"
#: Why a run wrote a slice (``slices``, and each failed slice's ``reason``): the slices of its
#: window, the settling and reconciling slices of earlier days (none yet: 0), its inventory.
WINDOW, SETTLING, RECONCILING = "window", "settling", "reconciling"
#: PutEvents takes at most 10 entries a call, and their sizes together must stay under 256 KB.
MAX_ENTRIES_PER_CALL = 10
MAX_REQUEST_BYTES = 256 * 1024
#: An attention part's entry size. Under the 256 KB limit with room for what EventBridge adds
#: around the detail (id, time, account, ...): the event a target such as SQS receives is larger.
MAX_PART_BYTES = 250_000

#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, in orjson (``jsoncodec``).
_json = jsoncodec.dumps
_ISO_MILLISECONDS = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ"


def iso(value: Optional[dt.datetime]) -> Optional[str]:
    """A UTC timestamp in ISO 8601 with milliseconds and ``Z``; None stays None."""
    if value is None:
        return None
    if value.tzinfo is not dt.timezone.utc:
        value = value.astimezone(dt.timezone.utc)
    # the text of isoformat(timespec="milliseconds") with Z for +00:00, at less cost (docs/performance.md)
    return _ISO_MILLISECONDS % (value.year, value.month, value.day, value.hour, value.minute, value.second,
                                value.microsecond // 1000)


def job_detail(item: Item) -> Dict[str, Optional[str]]:
    """One item as the ``jobs`` of a ``Backup Jobs Need Attention`` event."""
    return {
        "job_type": item.job_type, "job_id": item.job_id, "status": item.status,
        "validation_status": item.validation_status, "account_id": item.account_id,
        "account_name": item.account_name, "region": item.region, "resource_type": item.resource_type,
        "resource_arn": item.resource_arn, "scan_result_status": item.scan_result_status,
        "message_category": item.message_category,
        "status_message": item.status_message, "creation_date": iso(item.creation_date),
        "completion_date": iso(item.completion_date), "report_date": item.report_date.isoformat(),
    }


def entry_size(entry: Mapping) -> int:
    """A PutEvents entry's size as EventBridge counts it: Source, DetailType, Detail and each of
    Resources in UTF-8 bytes, 14 for Time."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode("utf-8"))
    return size + sum(len(r.encode("utf-8")) for r in entry.get("Resources") or ())


def entry(bus: str, detail_type: str, detail: Mapping) -> Dict[str, str]:
    """A PutEvents entry of the job's source on ``bus``."""
    return {"Source": SOURCE, "DetailType": detail_type, "Detail": _json(detail), "EventBusName": bus}


def _job_text(item: Item, overhead: int, limit: int) -> Tuple[str, int]:
    """An item's job JSON and its length in a part with its comma; a job that alone would not fit
    ``limit`` (only a huge message can do that) has its message cut to fit."""
    job = job_detail(item)
    text = _json(job)
    length = len(text.encode("utf-8")) + 1
    if overhead + length > limit:
        spare = max(limit - overhead - (length - len((job["status_message"] or "").encode("utf-8"))), 0)
        job["status_message"] = (job["status_message"] or "").encode("utf-8")[:spare // 2].decode(
            "utf-8", "ignore")
        text = _json(job)
        length = len(text.encode("utf-8")) + 1
    return text, length


def attention_entries(items: Sequence[Item], run_id: str, report_date: dt.date, bus: str,
                      limit: int = MAX_PART_BYTES) -> List[Tuple[Dict[str, str], List[Item]]]:
    """The ``Backup Jobs Need Attention`` entries of ``items``: as few parts as fit ``limit``
    bytes each, every item in exactly one part, in order."""
    header = {"run_id": run_id, "report_date": report_date.isoformat(), "total": len(items),
              "part": 10 ** 6, "parts": 10 ** 6}  # the widest part numbers, for the size
    overhead = entry_size(entry(bus, ATTENTION, dict(header, jobs=[])))
    # each job is serialised once: a part's Detail is its header, then its jobs' JSON joined by commas
    parts: List[Tuple[List[Item], List[str]]] = [([], [])]
    size = overhead
    for item in items:
        text, length = _job_text(item, overhead, limit)
        if parts[-1][0] and size + length > limit:
            parts.append(([], []))
            size = overhead
        parts[-1][0].append(item)
        parts[-1][1].append(text)
        size += length
    if not parts[-1][0]:
        return []
    out = []
    for number, (part_items, jobs) in enumerate(parts, start=1):
        part = entry(bus, ATTENTION, dict(header, part=number, parts=len(parts), jobs=[]))
        part["Detail"] = part["Detail"][:-len("]}")] + ",".join(jobs) + "]}"  # jobs last: ...,"jobs":[]}
        out.append((part, part_items))
    return out


def batches(entries: Sequence[Mapping]) -> List[List[int]]:
    """Indexes of ``entries`` grouped into PutEvents calls: at most 10 entries and 256 KB a call."""
    groups: List[List[int]] = []
    size = 0
    for i, one in enumerate(entries):
        length = entry_size(one)
        if not groups or len(groups[-1]) >= MAX_ENTRIES_PER_CALL or size + length >= MAX_REQUEST_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += length
    return groups


def _table_name(job_type: str) -> str:
    return JOB_TABLES_BY_TYPE[job_type].name if job_type in JOB_TABLES_BY_TYPE else job_type


#: ``reconciliation`` of a run that compared nothing.
NO_RECONCILIATION = {"days_checked": 0, "slices_differing": 0, "differences": [], "errors": [], "slices_rewritten": 0}


def run_finished_detail(settings: Settings, regions: Sequence[str], results: Sequence[SliceResult],
                        announced: int, reconciliation: Optional[Mapping] = None) -> Dict:
    """The detail of the ``Backup Report Run Finished`` event: ``slices`` counts the slices
    written by why the run wrote them (``SliceResult.reason``: its window's job slices, settling
    and reconciling ones; its inventory apart); each failed slice has its ``reason`` (``window``
    for the inventory's row too); ``reconciliation``: the run's comparison with AWS Backup's
    counts (``reconciliation.Outcome.detail``)."""
    counts: Dict[str, Dict[str, int]] = {}
    for result in results:
        per_status = counts.setdefault(_table_name(result.job_type), {})
        for status, n in result.counts.items():
            per_status[status] = per_status.get(status, 0) + n
    failed = [{"job_type": r.job_type, "region": r.region, "report_date": r.day.isoformat(), "error": r.error,
               "reason": r.reason} for r in results if not r.succeeded]
    written = [r for r in results if r.written]
    slices = {reason: sum(r.job_type != INVENTORY and r.reason == reason for r in written)
              for reason in (WINDOW, SETTLING, RECONCILING)}
    slices[INVENTORY] = sum(r.job_type == INVENTORY for r in written)
    return {
        "run_id": settings.run_id, "report_date": settings.report_date.isoformat(),
        "days": [d.isoformat() for d in settings.days], "regions": list(regions),
        "succeeded": not failed, "slices": slices, "failed_slices": failed,
        "counts": {table: dict(sorted(c.items())) for table, c in sorted(counts.items())},
        "attention": announced, "location": f"s3://{settings.bucket}/{settings.prefix}/",
        "reconciliation": dict(reconciliation if reconciliation is not None else NO_RECONCILIATION),
    }


def run_finished_entry(settings: Settings, regions: Sequence[str], results: Sequence[SliceResult],
                       announced: int, reconciliation: Optional[Mapping] = None) -> Dict[str, str]:
    """The ``Backup Report Run Finished`` entry, on the run's bus."""
    return entry(settings.event_bus or "", RUN_FINISHED,
                 run_finished_detail(settings, regions, results, announced, reconciliation))
