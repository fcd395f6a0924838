"""Announce what needs attention, once per item and channel: send the EventBridge events
(``events``) and the SNS digest (``digest``), and record in the ``alerts`` ledger what each accepted.

``announce`` runs after the reports are written (``job.run``). An item is recorded in ``alerts``
only once a channel accepted it; a channel that refuses or keeps failing leaves its items for
the next run, and the run exits 1 (``errors.AlertError``). A run that dies between a channel's
acceptance and the ledger write may announce those items again: nothing else repeats.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Collection, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import boto3

from . import alerts, catalog
from .arguments import Settings, utc_now
from .attention import Item, oldest_recent
from .aws import AWS_ERRORS, botocore_config, describe_error
from .digest import digest_body, digest_subject
from .errors import BucketError, CatalogError
from .events import ATTENTION, RUN_FINISHED, attention_entries, batches, run_finished_entry
from .schema import ALERTS
from .slices import SliceResult

log = logging.getLogger(__name__)

#: An entry that PutEvents reports as failed (FailedEntryCount) is sent up to this many times in all.
ENTRY_ATTEMPTS = 4
#: PutEvents calls of the attention parts in flight at once: the parts carry their numbers and
#: EventBridge does not keep the order of events anyway, so only the run's wait on each call is saved.
EVENT_CALLS_AT_ONCE = 4

#: The channels, in the order they are reported and recorded (``alerts.channels``).
EVENTS, DIGEST = "events", "digest"
#: What failed when the ``alerts`` ledger could not be read or written.
LEDGER = "alerts ledger"


class Failure(NamedTuple):
    """A channel (``EVENTS``, ``DIGEST``) or the ledger (``LEDGER``) that failed, and why."""

    channel: str
    cause: str

    def __str__(self) -> str:
        return f"{self.channel}: {self.cause}"


@dataclass
class Outcome:
    """What ``announce`` did: the window's recent items, what each channel accepted, what failed."""

    items: List[Item] = field(default_factory=list)
    announced: List[Tuple[Item, List[str]]] = field(default_factory=list)
    events: int = 0  # entries EventBridge accepted
    subject: str = ""  # the digest, when one was published
    body: str = ""
    ledger_paths: List[str] = field(default_factory=list)
    failures: List[Failure] = field(default_factory=list)

    @property
    def error(self) -> str:
        """Every failure, for the job's error message."""
        return "; ".join(map(str, self.failures))


class Sent(NamedTuple):
    """What one channel did with its new items."""

    accepted: List[Item]
    failure: Optional[Failure] = None
    events: int = 0  # events: the entries EventBridge accepted
    subject: str = ""  # digest: the digest published
    body: str = ""


# --------------------------------------------------------------------------- the items

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


def new_items(items: Sequence[Item], channels: Sequence[str],
              announced: Mapping[Tuple[str, str, str, str], Collection[str]]) -> Dict[str, List[Item]]:
    """Per channel, the ``items`` it has not accepted before (``announced``: item key -> channels)."""
    pending: Dict[str, List[Item]] = {c: [] for c in channels}
    for item in items:
        done = announced.get(item.key, ())
        for channel in channels:
            if channel not in done:
                pending[channel].append(item)
    return pending


def announcements(items: Sequence[Item], accepted: Mapping[str, Sequence[Item]]) -> List[Tuple[Item, List[str]]]:
    """Each of ``items`` that a channel accepted (``accepted``: channel -> items, in the channels'
    order), with those channels; an item is known by its key."""
    channels: Dict[Tuple[str, str, str, str], List[str]] = {}
    for channel, channel_items in accepted.items():
        for item in channel_items:
            channels.setdefault(item.key, []).append(channel)
    return [(item, channels[item.key]) for item in items if item.key in channels]


# --------------------------------------------------------------------------- sending

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
            groups = [[pending[g] for g in group] for group in batches([entries[i] for i in pending])]
            answers = pool.map(call, groups) if pool is not None else map(call, groups)
            pending = [i for indexes, answer in zip(groups, answers) for i in _read_answer(indexes, answer, errors)]
            if not pending:
                break
            if attempt + 1 < ENTRY_ATTEMPTS:
                sleep(0.5 * 2 ** attempt)
    return errors


def _read_answer(indexes: List[int], answer, errors: List[str]) -> List[int]:
    """Note in ``errors`` what one PutEvents call did to the entries ``indexes``; return those to send again."""
    if isinstance(answer, Exception):
        for i in indexes:
            errors[i] = describe_error(answer)
        return []
    results = answer.get("Entries") or []
    retry: List[int] = []
    for position, i in enumerate(indexes):
        result = results[position] if position < len(results) else {"ErrorCode": "NoResult"}
        if result.get("ErrorCode") or not result.get("EventId"):
            errors[i] = f"{result.get('ErrorCode') or 'NoEventId'}: {result.get('ErrorMessage') or ''}".strip()
            retry.append(i)
        else:
            errors[i] = ""
    return retry


def send_events(client, settings: Settings, items: Sequence[Item]) -> Sent:
    """Send ``items`` as ``Backup Jobs Need Attention`` parts; the items of the parts accepted."""
    bus = settings.event_bus or ""
    parts = attention_entries(items, settings.run_id, settings.report_date, bus)
    errors = put_events(client, [entry for entry, _ in parts], at_once=EVENT_CALLS_AT_ONCE)
    accepted = [item for (_, part_items), error in zip(parts, errors) if not error for item in part_items]
    if len(accepted) == len(items):
        return Sent(accepted, events=len(parts))
    causes = "; ".join(dict.fromkeys(e for e in errors if e))
    refused = sum(1 for e in errors if e)
    return Sent(accepted, events=len(parts) - refused, failure=Failure(EVENTS, (
        f"PutEvents to event bus {bus} failed for {refused} of {len(parts)} '{ATTENTION}' event(s), "
        f"{len(items) - len(accepted)} job(s): {causes} (they stay unannounced and the next run sends them; "
        "check that the bus exists and the job's role may events:PutEvents on it, or pass --EVENT_BUS_NAME none)")))


def send_digest(client, settings: Settings, items: Sequence[Item], failed: Sequence[SliceResult]) -> Sent:
    """Publish the digest of ``items`` and ``failed`` slices; all of ``items`` once it is published."""
    topic = settings.alert_topic_arn or ""
    subject = digest_subject(len(items), len(failed), settings.report_date, sum(i.threat for i in items))
    body = digest_body(items, failed, settings)
    try:
        client.publish(TopicArn=topic, Subject=subject, Message=body)
    except AWS_ERRORS as error:
        return Sent([], failure=Failure(DIGEST, (
            f"sns:Publish to {topic} failed: {describe_error(error)} ({len(items)} job(s) stay unannounced and "
            "the next run sends them; check the topic, that the job's role may sns:Publish to it and use its "
            "KMS key, or leave out --ALERT_TOPIC_ARN)")))
    return Sent(list(items), subject=subject, body=body)


# --------------------------------------------------------------------------- the stage

def _region_of(arn: str) -> Optional[str]:
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 5 and parts[3] else None


def _target_region(session: boto3.Session, target: Optional[str]) -> str:
    """The region of ``target`` (an ARN), else the session's."""
    return _region_of(target or "") or session.region_name


def _days(settings: Settings, items: Sequence[Item]) -> List[dt.date]:
    """The report days of the ``alerts`` ledger a run reads and writes: its window's, and those of
    the items of the slices outside it that it wrote (settling, reconciling)."""
    return sorted(set(settings.days) | {item.report_date for item in items})


def _pending(session: boto3.Session, settings: Settings, items: Sequence[Item], channels: Sequence[str]
             ) -> Tuple[Optional[alerts.Ledger], Dict[str, List[Item]], List[Failure]]:
    """What earlier runs announced, and so each channel's new items. A ledger that cannot be read
    leaves nothing new on any channel (a digest of failed slices alone still goes out)."""
    if not channels:
        return None, {}, []
    try:
        ledger = alerts.read_ledger(session, settings.bucket, settings.prefix, _days(settings, items))
    except BucketError as error:
        return None, {c: [] for c in channels}, [
            Failure(LEDGER, f"{error}; nothing was announced (the next run announces it)")]
    return ledger, new_items(items, channels, ledger.announced), []


def _send(session: boto3.Session, settings: Settings, events_client, pending: Mapping[str, List[Item]],
          failed: Sequence[SliceResult]) -> Dict[str, Sent]:
    """Send each channel's new items: the digest on a thread while the events are sent, since
    the channels do not wait on each other. The digest goes out for failed slices alone too."""
    sent: Dict[str, Sent] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        published = None
        if DIGEST in pending and (pending[DIGEST] or failed):
            # made in this thread: a boto3 session is not thread-safe, its clients are
            sns = session.client("sns", config=botocore_config(),
                                 region_name=_target_region(session, settings.alert_topic_arn))
            published = pool.submit(send_digest, sns, settings, pending[DIGEST], failed)
        if pending.get(EVENTS):
            sent[EVENTS] = send_events(events_client, settings, pending[EVENTS])
        if published is not None:
            sent[DIGEST] = published.result()
    return sent


def _record(session: boto3.Session, settings: Settings, announced: List[Tuple[Item, List[str]]],
            ledger: alerts.Ledger) -> Tuple[List[str], List[Failure]]:
    """Append ``announced`` to the ``alerts`` ledger and register its partitions."""
    try:
        paths = alerts.write_announced(session, settings.bucket, settings.prefix, settings.run_id, utc_now(),
                                       announced, existing=ledger.paths)
        catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, ALERTS,
                                _days(settings, [item for item, _ in announced]))
    except (BucketError, CatalogError) as error:
        return [], [Failure(LEDGER, f"{error} (the {len(announced)} job(s) announced by this run may be announced "
                                    "again by the next run)")]
    return paths, []


def _send_run_finished(client, settings: Settings, regions: Sequence[str], results: Sequence[SliceResult],
                       announced: int, reconciliation: Optional[Mapping] = None) -> Optional[Failure]:
    (error,) = put_events(client, [run_finished_entry(settings, regions, results, announced, reconciliation)])
    if error:
        return Failure(EVENTS, f"PutEvents of '{RUN_FINISHED}' to event bus {settings.event_bus} failed: {error}")
    return None


def _log(outcome: Outcome, channels: Sequence[str]) -> None:
    for failure in outcome.failures:
        log.error("%s", failure)
    if outcome.announced:
        log.info("attention: announced %d job(s): %s", len(outcome.announced), ", ".join(
            f"{c} {sum(c in chans for _, chans in outcome.announced)}" for c in channels))


def announce(session: boto3.Session, settings: Settings, regions: Sequence[str],
             results: Sequence[SliceResult], reconciliation: Optional[Mapping] = None) -> Outcome:
    """Announce the new attention items of the slices written on every channel that is on, record
    what each accepted in ``alerts``, then send ``Backup Report Run Finished`` (with
    ``reconciliation``, ``reconciliation.Outcome.detail``). Never raises for a channel:
    ``Outcome.failures`` names what failed."""
    items = collect(results, settings.run_started_at, settings.alert_max_age_hours)
    failed = [r for r in results if not r.succeeded]
    channels = [c for c, on in ((EVENTS, settings.event_bus), (DIGEST, settings.alert_topic_arn)) if on]
    ledger, pending, failures = _pending(session, settings, items, channels)
    log.info("attention: %d job(s) of the window need attention and are recent; new for %s",
             len(items), ", ".join(f"{c}: {len(pending[c])}" for c in channels) or "no channel (off)")
    events_client = (session.client("events", config=botocore_config(),
                                     region_name=_target_region(session, settings.event_bus))
                     if EVENTS in channels else None)
    sent = _send(session, settings, events_client, pending, failed)
    failures += [s.failure for s in (sent[c] for c in channels if c in sent) if s.failure is not None]
    announced = announcements(items, {c: sent[c].accepted for c in channels if c in sent})
    paths: List[str] = []
    if announced and ledger is not None:
        paths, not_recorded = _record(session, settings, announced, ledger)
        failures += not_recorded
    delivered = sum(s.events for s in sent.values())
    if events_client is not None:
        failure = _send_run_finished(events_client, settings, regions, results, len(announced), reconciliation)
        if failure is None:
            delivered += 1
        else:
            failures.append(failure)
    published = sent.get(DIGEST, Sent([]))
    outcome = Outcome(items=items, announced=announced, events=delivered, subject=published.subject,
                      body=published.body, ledger_paths=paths, failures=failures)
    _log(outcome, channels)
    return outcome
