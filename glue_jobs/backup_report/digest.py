"""The SNS digest people read: its subject and plain text (no I/O; ``notify`` publishes it).

Malware found in a recovery point comes first, under its own heading, with what an operator
needs to quarantine it: the account, the resource, the recovery point and its vault.
"""
from __future__ import annotations

import datetime as dt
import heapq
import re
from collections import Counter
from typing import List, Optional, Sequence, Tuple

from .arguments import Settings
from .attention import FAILED_VALIDATIONS, Item
from .slices import SliceResult

#: The digest lists this many items and accounts; the saved query lists them all.
DIGEST_ITEMS = 50
DIGEST_ACCOUNTS = 25
#: SNS: a subject of ASCII text under 100 characters; a message of at most 256 KB.
MAX_SUBJECT = 99
MAX_MESSAGE_BYTES = 256 * 1024
#: A status message or slice error is cut to this many characters.
MAX_MESSAGE_TEXT = 300
#: The saved query that lists every item and its announcements (sql/).
QUERY = "15_jobs_needing_attention"
#: The width of a label in the digest's counts.
_WIDTH = 42


def account_label(account_id: str, name: Optional[str]) -> str:
    """An account as the digest names it: ``name (id)``, or the id alone."""
    return f"{name} ({account_id})" if name else account_id


def item_label(item: Item) -> str:
    """How the digest names an item's state, e.g. ``backup COMPLETED with issues``."""
    if item.job_type == "scan":
        if item.threat:
            return "scan THREATS_FOUND" + ("" if item.status == "COMPLETED" else f" ({item.status})")
        return f"scan {item.status}"
    if item.job_type == "restore" and (item.validation_status or "").upper() in FAILED_VALIDATIONS:
        return f"restore test validation {item.validation_status}"
    if item.status == "COMPLETED":
        return f"{item.job_type} COMPLETED with issues"
    return f"{item.job_type} {item.status}"


def _short(text: Optional[str], limit: int = MAX_MESSAGE_TEXT) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _needs(n: int) -> str:
    return f"need{'' if n != 1 else 's'}"


def digest_subject(items: int, failed_slices: int, report_date: dt.date, threats: int = 0) -> str:
    """The digest's subject: ASCII, one line, under 100 characters; ``threats`` (of ``items``) first.
    When the whole sentence is too long, its nouns lose their adjectives (the date stays)."""
    for job, piece in (("backup job", "report slice"), ("job", "slice")):
        parts = []
        if threats:
            parts.append(f"{_plural(threats, 'scan')} found MALWARE")
        if items:
            parts.append(f"{_plural(items, job)} {_needs(items)} attention")
        if failed_slices:
            parts.append(f"{_plural(failed_slices, piece)} failed")
        subject = re.sub(r"[^\x20-\x7e]", "?", f"backup-report: {', '.join(parts) or 'nothing new'} on "
                                                 f"{report_date.isoformat()}")
        if len(subject) <= MAX_SUBJECT:
            break
    return subject[:MAX_SUBJECT]


def _ranked(labels: Sequence[str]) -> List[Tuple[str, int]]:
    """Distinct labels with their counts, most first, then by label."""
    return sorted(Counter(labels).items(), key=lambda kv: (-kv[1], kv[0]))


def _counts(items: Sequence[Item]) -> List[str]:
    """The lines counting ``items`` by status, then by account (the first ``DIGEST_ACCOUNTS``)."""
    lines = ["By status"]
    lines += [f"  {label:<{_WIDTH}}{n:>6}" for label, n in _ranked([item_label(i) for i in items])]
    lines += ["", "By account"]
    accounts = _ranked([account_label(i.account_id, i.account_name) for i in items])
    lines += [f"  {label:<{_WIDTH}}{n:>6}" for label, n in accounts[:DIGEST_ACCOUNTS]]
    if len(accounts) > DIGEST_ACCOUNTS:
        lines.append(f"  ... and {len(accounts) - DIGEST_ACCOUNTS} more account(s)")
    return lines


def _item_lines(n: int, item: Item) -> List[str]:
    """The lines of the ``n``-th item listed: where and what, its resource, (a scan's) recovery point
    and vault, its message, its job."""
    when = (item.completion_date or item.creation_date).strftime("%Y-%m-%d %H:%M UTC")
    resource = " ".join(x for x in (item.resource_type, item.resource_name) if x)
    arn = item.resource_arn or ""
    lines = [f"{n:>3}. {account_label(item.account_id, item.account_name)}, {item.region}: "
             f"{item_label(item)}, {when}",
             f"     {resource} ({arn})" if resource and arn else f"     {resource or arn or '-'}"]
    if item.job_type == "scan":
        lines.append(f"     recovery point {item.recovery_point_arn or '-'} in vault {item.backup_vault_name or '-'}")
    category = item.message_category if item.message_category not in (None, "", item.status) else ""
    message = _short(item.status_message)
    if category or message:
        lines.append(f"     {category + ': ' if category and message else category}{message}")
    lines.append(f"     {item.job_type} job {item.job_id}")
    return lines


def _listed(items: Sequence[Item]) -> List[Item]:
    """The first ``DIGEST_ITEMS`` of the items by account, region, type and time, without sorting them all."""
    return heapq.nsmallest(DIGEST_ITEMS, items, key=lambda i: (i.account_name or "~", i.account_id, i.region,
                                                               i.job_type, i.creation_date, i.job_id))


def _threats_section(threats: Sequence[Item]) -> List[str]:
    shown = _listed(threats)
    lines = [f"MALWARE FOUND ({len(shown)} of {len(threats)}): quarantine these recovery points before anyone "
             "restores from them"]
    for n, item in enumerate(shown, start=1):
        lines += _item_lines(n, item)
    return lines + [""]


def _items_section(items: Sequence[Item], settings: Settings) -> List[str]:
    total = len(items)
    lines = [f"{_plural(total, 'AWS Backup job')} {_needs(total)} attention "
             f"(report day {settings.report_date.isoformat()}, run {settings.run_id}).",
             f"Each is announced once; jobs that finished more than {settings.alert_max_age_hours} hours "
             "before the run are left out.", ""]
    threats = [i for i in items if i.threat]
    if threats:
        lines += _threats_section(threats)
    lines += _counts(items)
    others = [i for i in items if not i.threat] if threats else items
    if not others:
        return lines
    shown = _listed(others)
    lines += ["", f"{'Other jobs' if threats else 'Jobs'} ({len(shown)} of {len(others)})"]
    for n, item in enumerate(shown, start=1):
        lines += _item_lines(n, item)
    return lines


def digest_body(items: Sequence[Item], failed: Sequence[SliceResult], settings: Settings) -> str:
    """The digest's plain text: counts per status and account, up to 50 items, failed slices,
    and where to see them all."""
    if items:
        lines = _items_section(items, settings)
    else:
        lines = [f"No backup job needs attention that was not announced before (report day "
                 f"{settings.report_date.isoformat()}, run {settings.run_id})."]
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
