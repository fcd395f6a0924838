"""Announce what needs attention, once per item and channel: EventBridge events for automations,
an SNS digest for people, and the ``alerts`` ledger that remembers what each channel accepted.

``announce`` runs after the reports are written (``job.run``). An item is recorded in ``alerts``
only once a channel accepted it; a channel that refuses or keeps failing leaves its items for
the next run, and the run exits 1 (``errors.AlertError``). A run that dies between a channel's
acceptance and the ledger write may announce those items again: nothing else repeats.
"""
from __future__ import annotations

import datetime as dt
import heapq
import logging
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import boto3

from . import alerts, catalog, jsoncodec
from .arguments import Settings, utc_now
from .attention import FAILED_VALIDATIONS, Item, oldest_recent
from .aws import AWS_ERRORS, botocore_config, describe_error
from .errors import BucketError, CatalogError
from .schema import ALERTS, JOB_TABLES_BY_TYPE
from .slices import SliceResult

log = logging.getLogger(__name__)

SOURCE = "backup-report"
ATTENTION = "Backup Jobs Need Attention"
RUN_FINISHED = "Backup Report Run Finished"
#: PutEvents takes at most 10 entries a call, and their sizes together must stay under 256 KB.
MAX_ENTRIES_PER_CALL = 10
MAX_REQUEST_BYTES = 256 * 1024
#: An attention part's entry size. Under the 256 KB limit with room for what EventBridge adds
#: around the detail (id, time, account, ...): the event a target such as SQS receives is larger.
MAX_PART_BYTES = 250_000
#: An entry that PutEvents reports as failed (FailedEntryCount) is sent up to this many times in all.
ENTRY_ATTEMPTS = 4
#: PutEvents calls of the attention parts in flight at once: the parts carry their numbers and
#: EventBridge does not keep the order of events anyway, so only the run's wait on each call is saved.
EVENT_CALLS_AT_ONCE = 4
#: The digest lists this many items; the saved query lists them all.
DIGEST_ITEMS = 50
DIGEST_ACCOUNTS = 25
#: SNS: a subject of ASCII text under 100 characters; a message of at most 256 KB.
MAX_SUBJECT = 99
MAX_MESSAGE_BYTES = 256 * 1024
MAX_MESSAGE_TEXT = 300
#: The saved query that lists every item and its announcements (sql/).
QUERY = "15_jobs_needing_attention"

EVENTS, DIGEST = "events", "digest"


# --------------------------------------------------------------------------- event details

def iso(value: Optional[dt.datetime]) -> Optional[str]:
    """A UTC timestamp in ISO 8601 with milliseconds and ``Z``; None stays None."""
    if value is None:
        return None
    if value.tzinfo is not dt.timezone.utc:
        value = value.astimezone(dt.timezone.utc)
    # the text of isoformat(timespec="milliseconds") with Z for +00:00, in half the time (Python 3.9)
    return _ISO_MILLISECONDS % (value.year, value.month, value.day, value.hour, value.minute, value.second,
                                value.microsecond // 1000)


_ISO_MILLISECONDS = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ"


def job_detail(item: Item) -> Dict[str, Optional[str]]:
    """One item as the ``jobs`` of a ``Backup Jobs Need Attention`` event."""
    return {
        "job_type": item.job_type, "job_id": item.job_id, "status": item.status,
        "validation_status": item.validation_status, "account_id": item.account_id,
        "account_name": item.account_name, "region": item.region, "resource_type": item.resource_type,
        "resource_arn": item.resource_arn, "message_category": item.message_category,
        "status_message": item.status_message, "creation_date": iso(item.creation_date),
        "completion_date": iso(item.completion_date), "report_date": item.report_date.isoformat(),
    }


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, several times faster (orjson).
_json = jsoncodec.dumps


def entry_size(entry: Mapping) -> int:
    """A PutEvents entry's size as EventBridge counts it: Source, DetailType, Detail and each of
    Resources in UTF-8 bytes, 14 for Time."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode("utf-8"))
    return size + sum(len(r.encode("utf-8")) for r in entry.get("Resources") or ())


def _entry(bus: str, detail_type: str, detail: Mapping) -> Dict[str, str]:
    return {"Source": SOURCE, "DetailType": detail_type, "Detail": _json(detail), "EventBusName": bus}


def attention_entries(items: Sequence[Item], run_id: str, report_date: dt.date, bus: str,
                      limit: int = MAX_PART_BYTES) -> List[Tuple[Dict[str, str], List[Item]]]:
    """The ``Backup Jobs Need Attention`` entries of ``items``: as few parts as fit ``limit``
    bytes each, every item in exactly one part, in order."""
    header = {"run_id": run_id, "report_date": report_date.isoformat(), "total": len(items),
              "part": 10 ** 6, "parts": 10 ** 6}  # the widest part numbers, for the size
    overhead = entry_size(_entry(bus, ATTENTION, dict(header, jobs=[])))
    # each job is serialised once: a part's Detail is its header, then its jobs' JSON joined by commas
    parts: List[Tuple[List[Item], List[str]]] = [([], [])]
    size = overhead
    for item in items:
        job = job_detail(item)
        text = _json(job)
        length = len(text.encode("utf-8")) + 1  # and its comma
        if overhead + length > limit:  # one job alone too large: only a huge message can do that
            spare = max(limit - overhead - (length - len((job["status_message"] or "").encode("utf-8"))), 0)
            job["status_message"] = (job["status_message"] or "").encode("utf-8")[:spare // 2].decode(
                "utf-8", "ignore")
            text = _json(job)
            length = len(text.encode("utf-8")) + 1
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
        entry = _entry(bus, ATTENTION, dict(header, part=number, parts=len(parts), jobs=[]))
        entry["Detail"] = entry["Detail"][:-len("]}")] + ",".join(jobs) + "]}"  # jobs last: ...,"jobs":[]}
        out.append((entry, part_items))
    return out


def batches(entries: Sequence[Mapping]) -> List[List[int]]:
    """Indexes of ``entries`` grouped into PutEvents calls: at most 10 entries and 256 KB a call."""
    groups: List[List[int]] = []
    size = 0
    for i, entry in enumerate(entries):
        length = entry_size(entry)
        if not groups or len(groups[-1]) >= MAX_ENTRIES_PER_CALL or size + length >= MAX_REQUEST_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(i)
        size += length
    return groups


def put_events(client, entries: Sequence[Mapping], sleep: Callable[[float], None] = time.sleep,
               at_once: int = 1) -> List[str]:
    """Send ``entries``; return per entry "" when EventBridge accepted it, else the cause.

    botocore retries a call that fails as a whole (throttling, network); an entry that the answer
    reports as failed (``FailedEntryCount``) is sent again, up to ``ENTRY_ATTEMPTS`` times in all.
    Up to ``at_once`` calls are in flight together; the answers are read in the entries' order.
    """
    errors = [""] * len(entries)
    pending = list(range(len(entries)))

    def call(indexes: List[int]):
        try:
            return client.put_events(Entries=[dict(entries[i]) for i in indexes])
        except AWS_ERRORS as error:  # the whole call: not retried again here
            return error

    with ThreadPoolExecutor(max_workers=at_once) if at_once > 1 else nullcontext() as pool:
        for attempt in range(ENTRY_ATTEMPTS):
            retry: List[int] = []
            groups = [[pending[g] for g in group] for group in batches([entries[i] for i in pending])]
            answers = pool.map(call, groups) if pool is not None else map(call, groups)
            for indexes, answer in zip(groups, answers):
                if isinstance(answer, Exception):
                    for i in indexes:
                        errors[i] = describe_error(answer)
                    continue
                results = answer.get("Entries") or []
                for position, i in enumerate(indexes):
                    result = results[position] if position < len(results) else {"ErrorCode": "NoResult"}
                    if result.get("ErrorCode") or not result.get("EventId"):
                        errors[i] = f"{result.get('ErrorCode') or 'NoEventId'}: {result.get('ErrorMessage') or ''}".strip()
                        retry.append(i)
                    else:
                        errors[i] = ""
            if not retry:
                break
            pending = retry
            if attempt + 1 < ENTRY_ATTEMPTS:
                sleep(0.5 * 2 ** attempt)
    return errors


def run_finished_detail(settings: Settings, regions: Sequence[str], results: Sequence[SliceResult],
                        announced: int) -> Dict:
    """The detail of the ``Backup Report Run Finished`` event."""
    counts: Dict[str, Dict[str, int]] = {}
    for result in results:
        table = JOB_TABLES_BY_TYPE[result.job_type].name if result.job_type in JOB_TABLES_BY_TYPE else result.job_type
        per_status = counts.setdefault(table, {})
        for status, n in result.counts.items():
            per_status[status] = per_status.get(status, 0) + n
    failed = [{"job_type": r.job_type, "region": r.region, "report_date": r.day.isoformat(), "error": r.error}
              for r in results if not r.succeeded]
    return {
        "run_id": settings.run_id, "report_date": settings.report_date.isoformat(),
        "days": [d.isoformat() for d in settings.days], "regions": list(regions),
        "succeeded": not failed, "failed_slices": failed,
        "counts": {table: dict(sorted(c.items())) for table, c in sorted(counts.items())},
        "attention": announced, "location": f"s3://{settings.bucket}/{settings.prefix}/",
    }


# --------------------------------------------------------------------------- the digest

def account_label(account_id: str, name: Optional[str]) -> str:
    return f"{name} ({account_id})" if name else account_id


def item_label(item: Item) -> str:
    """How the digest names an item's state, e.g. ``backup COMPLETED with issues``."""
    if item.job_type == "restore" and (item.validation_status or "").upper() in FAILED_VALIDATIONS:
        return f"restore test validation {item.validation_status}"
    if item.status == "COMPLETED":
        return f"{item.job_type} COMPLETED with issues"
    return f"{item.job_type} {item.status}"


def _short(text: Optional[str], limit: int = MAX_MESSAGE_TEXT) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def digest_subject(items: int, failed_slices: int, report_date: dt.date) -> str:
    """The digest's subject: ASCII, one line, under 100 characters."""
    parts = []
    if items:
        parts.append(f"{items} backup job{'s' if items != 1 else ''} need{'' if items != 1 else 's'} attention")
    if failed_slices:
        parts.append(f"{failed_slices} report slice{'s' if failed_slices != 1 else ''} failed")
    subject = f"backup-report: {', '.join(parts) or 'nothing new'} on {report_date.isoformat()}"
    subject = re.sub(r"[^\x20-\x7e]", "?", subject)
    return subject[:MAX_SUBJECT]


def digest_body(items: Sequence[Item], failed: Sequence[SliceResult], settings: Settings) -> str:
    """The digest's plain text: counts per status and account, up to 50 items, failed slices,
    and where to see them all."""
    lines: List[str] = []
    total = len(items)
    day = settings.report_date.isoformat()
    if total:
        lines += [f"{total} AWS Backup job{'s' if total != 1 else ''} need{'' if total != 1 else 's'} attention "
                  f"(report day {day}, run {settings.run_id}).",
                  f"Each is announced once; jobs that finished more than {settings.alert_max_age_hours} hours "
                  "before the run are left out.", ""]
        width = 42
        lines.append("By status")
        for label, n in sorted(Counter(item_label(i) for i in items).items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {label:<{width}}{n:>6}")
        lines += ["", "By account"]
        accounts = Counter(account_label(i.account_id, i.account_name) for i in items)
        ranked = sorted(accounts.items(), key=lambda kv: (-kv[1], kv[0]))
        for label, n in ranked[:DIGEST_ACCOUNTS]:
            lines.append(f"  {label:<{width}}{n:>6}")
        if len(ranked) > DIGEST_ACCOUNTS:
            lines.append(f"  ... and {len(ranked) - DIGEST_ACCOUNTS} more account(s)")
        # the first DIGEST_ITEMS of the sorted items, without sorting them all
        shown = heapq.nsmallest(DIGEST_ITEMS, items, key=lambda i: (i.account_name or "~", i.account_id, i.region,
                                                                    i.job_type, i.creation_date, i.job_id))
        lines += ["", f"Jobs ({len(shown)} of {total})"]
        for n, item in enumerate(shown, start=1):
            when = (item.completion_date or item.creation_date).strftime("%Y-%m-%d %H:%M UTC")
            resource = " ".join(x for x in (item.resource_type, item.resource_name) if x)
            arn = item.resource_arn or ""
            lines.append(f"{n:>3}. {account_label(item.account_id, item.account_name)}, {item.region}: "
                         f"{item_label(item)}, {when}")
            lines.append(f"     {resource} ({arn})" if resource and arn else f"     {resource or arn or '-'}")
            category = item.message_category if item.message_category not in (None, "", item.status) else ""
            message = _short(item.status_message)
            if category or message:
                lines.append(f"     {category + ': ' if category and message else category}{message}")
            lines.append(f"     {item.job_type} job {item.job_id}")
    else:
        lines.append(f"No backup job needs attention that was not announced before (report day {day}, "
                     f"run {settings.run_id}).")
    if failed:
        lines += ["", "Report slices that failed (their earlier rows are kept; the next run retries)"]
        for r in sorted(failed, key=lambda r: (r.job_type, r.region, r.day)):
            lines.append(f"  {r.job_type} jobs, {r.region}, {r.day.isoformat()}: {_short(r.error)}")
    lines += ["", f"Every job that needs attention, and when it was announced: the saved query {QUERY}",
              f"(Athena named query {QUERY}, or: backup-report query {QUERY.split('_', 1)[1]}).",
              f"Report: s3://{settings.bucket}/{settings.prefix}/"]
    body = "\n".join(lines) + "\n"
    while len(body.encode("utf-8")) > MAX_MESSAGE_BYTES:  # only with absurdly long fields
        body = body[: len(body) * 9 // 10]
    return body


# --------------------------------------------------------------------------- the stage

@dataclass
class Outcome:
    """What ``announce`` did: the window's recent items, what each channel accepted, what failed."""

    items: List[Item] = field(default_factory=list)
    announced: List[Tuple[Item, List[str]]] = field(default_factory=list)
    events: int = 0  # entries EventBridge accepted
    subject: str = ""  # the digest, when one was published
    body: str = ""
    ledger_paths: List[str] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)

    @property
    def error(self) -> str:
        return "; ".join(self.failures)


def _region_of(arn: str) -> Optional[str]:
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 5 and parts[3] else None


def collect(results: Sequence[SliceResult], now: dt.datetime, max_age_hours: int) -> List[Item]:
    """The attention items of the slices written, at most ``max_age_hours`` old at ``now``, once each."""
    oldest = oldest_recent(now, max_age_hours)  # attention.is_recent, for many items
    items: Dict[Tuple[str, str, str, str], Item] = {}
    for result in results:
        if result.succeeded:
            for item in result.attention:
                if item.event_time >= oldest:
                    items.setdefault(item.key, item)
    # sorted by (report_date, account_id, region, job_type, creation_date, job_id): the few groups of
    # the first four, then each group; cheaper than comparing the whole tuple of every item
    groups: Dict[Tuple[dt.date, str, str, str], List[Item]] = {}
    for item in items.values():
        groups.setdefault((item.report_date, item.account_id, item.region, item.job_type), []).append(item)
    return [item for group in sorted(groups) for item in sorted(
        groups[group], key=lambda i: (i.creation_date, i.job_id))]


#: What a channel did: the items it accepted, and why it failed (None: it did not).
Sent = Tuple[List[Item], Optional[str]]


def _send_events(client, settings: Settings, items: Sequence[Item], outcome: Outcome) -> Sent:
    bus = settings.event_bus or ""
    parts = attention_entries(items, settings.run_id, settings.report_date, bus)
    errors = put_events(client, [entry for entry, _ in parts], at_once=EVENT_CALLS_AT_ONCE)
    accepted: List[Item] = []
    failed = 0
    for (_, part_items), error in zip(parts, errors):
        if error:
            failed += len(part_items)
            continue
        outcome.events += 1
        accepted += part_items
    if not failed:
        return accepted, None
    causes = "; ".join(dict.fromkeys(e for e in errors if e))
    return accepted, (
        f"events: PutEvents to event bus {bus} failed for {sum(1 for e in errors if e)} of {len(parts)} "
        f"'{ATTENTION}' event(s), {failed} job(s): {causes} (they stay unannounced and the next run sends "
        "them; check that the bus exists and the job's role may events:PutEvents on it, or pass "
        "--EVENT_BUS_NAME none)")


def _send_digest(client, settings: Settings, items: Sequence[Item], failed: Sequence[SliceResult],
                 outcome: Outcome) -> Sent:
    topic = settings.alert_topic_arn or ""
    subject = digest_subject(len(items), len(failed), settings.report_date)
    body = digest_body(items, failed, settings)
    try:
        client.publish(TopicArn=topic, Subject=subject, Message=body)
    except AWS_ERRORS as error:
        return [], (
            f"digest: sns:Publish to {topic} failed: {describe_error(error)} ({len(items)} job(s) stay "
            "unannounced and the next run sends them; check the topic, that the job's role may sns:Publish "
            "to it and use its KMS key, or leave out --ALERT_TOPIC_ARN)")
    outcome.subject, outcome.body = subject, body
    return list(items), None


def announce(session: boto3.Session, settings: Settings, regions: Sequence[str],
             results: Sequence[SliceResult]) -> Outcome:
    """Announce the window's new attention items on every channel that is on, record what each
    accepted in ``alerts``, then send ``Backup Report Run Finished``. Never raises for a channel:
    ``Outcome.failures`` names what failed."""
    outcome = Outcome(items=collect(results, settings.run_started_at, settings.alert_max_age_hours))
    failed = [r for r in results if not r.succeeded]
    channels = [c for c, on in ((EVENTS, settings.event_bus), (DIGEST, settings.alert_topic_arn)) if on]
    ledger: Optional[alerts.Ledger] = None
    if channels:
        try:
            ledger = alerts.read_ledger(session, settings.bucket, settings.prefix, settings.days)
        except BucketError as error:
            outcome.failures.append(f"alerts ledger: {error}; nothing was announced (the next run announces it)")
    pending: Dict[str, List[Item]] = {c: [] for c in channels}
    if ledger is not None:
        for item in outcome.items:
            done = ledger.announced.get(item.key, ())
            for channel in channels:
                if channel not in done:
                    pending[channel].append(item)
    log.info("attention: %d job(s) of the window need attention and are recent; new for %s",
             len(outcome.items), ", ".join(f"{c}: {len(pending[c])}" for c in channels) or "no channel (off)")
    # clients are made in this thread: a boto3 session is not thread-safe, its clients are
    events = None
    if EVENTS in channels:
        events = session.client("events", config=botocore_config(),
                                region_name=_region_of(settings.event_bus or "") or session.region_name)
    sent: Dict[str, Sent] = {}
    # the digest is written and published while the events are sent: the channels do not wait on each other
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = None
        if DIGEST in pending and (pending[DIGEST] or failed):
            sns = session.client("sns", config=botocore_config(),
                                 region_name=_region_of(settings.alert_topic_arn or "") or session.region_name)
            digest = pool.submit(_send_digest, sns, settings, pending[DIGEST], failed, outcome)
        if pending.get(EVENTS):
            sent[EVENTS] = _send_events(events, settings, pending[EVENTS], outcome)
        if digest is not None:
            sent[DIGEST] = digest.result()
    accepted: Dict[int, List[str]] = {}  # id of an item of outcome.items -> the channels that accepted it
    for channel in channels:  # in the channels' order, whichever finished first
        channel_items, failure = sent.get(channel, ([], None))
        if failure:
            outcome.failures.append(failure)
        for item in channel_items:
            accepted.setdefault(id(item), []).append(channel)
    outcome.announced = [(item, accepted[id(item)]) for item in outcome.items if id(item) in accepted]
    if outcome.announced and ledger is not None:
        try:
            outcome.ledger_paths = alerts.write_announced(
                session, settings.bucket, settings.prefix, settings.run_id, utc_now(), outcome.announced,
                existing=ledger.paths)
            catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, ALERTS,
                                    settings.days)
        except (BucketError, CatalogError) as error:
            outcome.failures.append(f"alerts ledger: {error} (the {len(outcome.announced)} job(s) announced by "
                                    "this run may be announced again by the next run)")
    if EVENTS in channels:
        detail = run_finished_detail(settings, regions, results, len(outcome.announced))
        (error,) = put_events(events, [_entry(settings.event_bus or "", RUN_FINISHED, detail)])
        if error:
            outcome.failures.append(f"events: PutEvents of '{RUN_FINISHED}' to event bus {settings.event_bus} "
                                    f"failed: {error}")
        else:
            outcome.events += 1
    for failure in outcome.failures:
        log.error("%s", failure)
    if outcome.announced:
        log.info("attention: announced %d job(s): %s", len(outcome.announced), ", ".join(
            f"{c} {sum(c in chans for _, chans in outcome.announced)}" for c in channels))
    return outcome
