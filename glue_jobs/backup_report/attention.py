"""What needs attention: the one definition, used by the job, the saved query and the tests.

* backup and copy jobs: ``FAILED``, ``ABORTED``, ``EXPIRED``, ``PARTIAL``, and ``COMPLETED`` with a
  ``message_category`` other than ``SUCCESS`` (case-insensitive; no category is no issue);
* restore jobs: ``FAILED``, ``ABORTED``, and restore tests whose ``validation_status`` is
  ``FAILED`` or ``TIMED_OUT`` (case-insensitive);
* scan jobs: ``scan_result_status`` ``THREATS_FOUND`` (case-insensitive) in any state, and
  ``FAILED`` or ``COMPLETED_WITH_ISSUES``.

An *item* is ``(job_type, job_id, status, validation_status | scan_result_status)``: a job is
announced again when it becomes attention-worthy in another way (a restore test's validation
fails after the restore completed, a RUNNING job settles as FAILED, a scan's result changes),
never twice for the same item.
``sql_condition`` renders the same rules for ``sql/15_jobs_needing_attention.sql`` (a test holds
the file to it).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, List, NamedTuple, Optional, Tuple

import numpy as np
import pandas as pd

from .schema import Table

#: Backup and copy jobs in these states need attention.
FAILED_STATES: Tuple[str, ...] = ("FAILED", "ABORTED", "EXPIRED", "PARTIAL")
#: A backup or copy job in this state needs attention when its category is not ``CLEAN_CATEGORY``.
COMPLETED = "COMPLETED"
CLEAN_CATEGORY = "SUCCESS"
#: Restore jobs in these states need attention ...
RESTORE_FAILED_STATES: Tuple[str, ...] = ("FAILED", "ABORTED")
#: ... and so does a restore test with one of these validation statuses.
FAILED_VALIDATIONS: Tuple[str, ...] = ("FAILED", "TIMED_OUT")

#: Scan jobs in these states need attention ...
SCAN_FAILED_STATES: Tuple[str, ...] = ("FAILED", "COMPLETED_WITH_ISSUES")
#: ... and so does a scan with this result, whatever its state (digest: first, under its own heading).
THREATS_FOUND = "THREATS_FOUND"

#: The status partitions of a job table that can hold an item (None: every one).
CANDIDATE_STATUSES = {
    "backup": FAILED_STATES + (COMPLETED,),
    "copy": FAILED_STATES + (COMPLETED,),
    "restore": None,
    "scan": None,
}


def needs_attention(job_type: str, status: Optional[str], message_category: Optional[str] = None,
                    validation_status: Optional[str] = None, scan_result_status: Optional[str] = None) -> bool:
    """Whether a job of ``job_type`` in ``status`` needs attention (see the module docstring)."""
    if job_type == "scan":
        return status in SCAN_FAILED_STATES or (scan_result_status or "").upper() == THREATS_FOUND
    if job_type == "restore":
        return status in RESTORE_FAILED_STATES or (validation_status or "").upper() in FAILED_VALIDATIONS
    category = (message_category or "").upper()
    return status in FAILED_STATES or (status == COMPLETED and category not in ("", CLEAN_CATEGORY))


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def sql_condition(job_type: str) -> str:
    """The Athena condition of ``needs_attention`` over a job table's columns (``status``,
    ``message_category``, ``validation_status``, ``scan_result_status``). ``upper(NULL) <> 'SUCCESS'``
    is NULL, so a job without a category is not an issue, as in Python; Athena reads an empty CSV
    field as NULL."""
    if job_type == "scan":
        return (f"status in ({_quoted(SCAN_FAILED_STATES)}) "
                f"or upper(scan_result_status) = '{THREATS_FOUND}'")
    if job_type == "restore":
        return (f"status in ({_quoted(RESTORE_FAILED_STATES)}) "
                f"or upper(validation_status) in ({_quoted(FAILED_VALIDATIONS)})")
    return (f"status in ({_quoted(FAILED_STATES)}) "
            f"or (status = '{COMPLETED}' and upper(message_category) <> '{CLEAN_CATEGORY}')")


class Item(NamedTuple):
    """One job that needs attention, with what people and automations are told about it.

    A named tuple (immutable, like a frozen dataclass): a listing process makes thousands and
    hands them to the run's process, and a tuple is made and unpickled several times faster
    (docs/performance.md).
    """

    job_type: str
    job_id: str
    status: str
    validation_status: Optional[str]
    account_id: str
    account_name: Optional[str]
    region: str
    resource_type: Optional[str]
    resource_arn: Optional[str]
    resource_name: Optional[str]  # for the digest; restore jobs have none
    message_category: Optional[str]
    status_message: Optional[str]
    creation_date: dt.datetime
    completion_date: Optional[dt.datetime]
    report_date: dt.date
    #: Scan jobs: the result, and what an operator quarantines (None for other job types).
    scan_result_status: Optional[str] = None
    recovery_point_arn: Optional[str] = None
    backup_vault_name: Optional[str] = None

    @property
    def key(self) -> Tuple[str, str, str, str]:
        """What makes an item: announced once per key (and channel)."""
        return (self.job_type, self.job_id, self.status, self.validation_status or self.scan_result_status or "")

    @property
    def threat(self) -> bool:
        """A scan that found malware in a recovery point: the most urgent kind of item."""
        return (self.scan_result_status or "").upper() == THREATS_FOUND

    @property
    def event_time(self) -> dt.datetime:
        """When it happened: the completion, else the creation (the max age counts from it)."""
        return self.completion_date or self.creation_date


def oldest_recent(now: dt.datetime, max_age_hours: int) -> dt.datetime:
    """The earliest ``event_time`` that is recent at ``now`` (older items are never announced)."""
    return now.astimezone(dt.timezone.utc) - dt.timedelta(hours=max_age_hours)


def is_recent(item: Item, now: dt.datetime, max_age_hours: int) -> bool:
    """Whether ``item`` happened at most ``max_age_hours`` before ``now`` (older ones are never announced)."""
    return item.event_time >= oldest_recent(now, max_age_hours)


def _value(value: Any) -> Any:
    """A frame cell as plain Python: None for missing values, datetimes as aware UTC datetimes."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _codes(frame: pd.DataFrame, name: str) -> Tuple[np.ndarray, List[Any]]:
    """``name``'s cells as codes into a list of its distinct values (0: None, also for no column)."""
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=np.int64), [None]
    codes, uniques = pd.factorize(frame[name])  # None and NaN: -1
    return codes.astype(np.int64) + 1, [None] + [_value(v) for v in uniques]


#: The columns ``needs_attention`` reads, in its arguments' order after the status.
_RULE_COLUMNS = ("status", "message_category", "validation_status", "scan_result_status")


def attention_mask(frame: pd.DataFrame, job_type: str) -> np.ndarray:
    """Which rows of ``frame`` need attention: ``needs_attention`` asked once per distinct
    combination of ``_RULE_COLUMNS`` in the frame rather than once per row."""
    coded = [_codes(frame, name) for name in _RULE_COLUMNS]
    combined: np.ndarray = np.zeros(len(frame), dtype=np.int64)
    for codes, values in coded:
        combined = combined * len(values) + codes
    combos, distinct = pd.factorize(combined)
    verdicts = []
    for code in distinct.tolist():
        args = []
        for _, values in reversed(coded):
            code, at = divmod(code, len(values))
            args.append(values[at])
        verdicts.append(needs_attention(job_type, *reversed(args)))
    return np.array(verdicts, dtype=bool)[combos]


def pick(frame: pd.DataFrame, table: Table, day: dt.date) -> List[Item]:
    """The items among ``frame`` (``shape.shape_jobs`` rows of ``table``, with ``status``) of report day ``day``."""
    if frame.empty:
        return []
    # only the few rows that need attention are turned into Python values
    rows = frame[attention_mask(frame, table.job_type)]
    if rows.empty:
        return []
    columns = set(rows.columns)

    def column(name: str) -> List[Any]:
        if name not in columns:
            return [None] * len(rows)
        return [v if v.__class__ is str else _value(v) for v in rows[name].tolist()]

    names = (table.columns[0].name, "status", "validation_status", "account_id", "account_name", "region",
             "resource_type", "resource_arn", "resource_name", "message_category", "status_message",
             "validation_status_message", "creation_date", "completion_date", "scan_result_status",
             "recovery_point_arn", "backup_vault_name")
    # a restore test that failed validation says why in its validation message
    return [Item(job_type=table.job_type, job_id=job_id, status=status, validation_status=validation or None,
                 account_id=account_id, account_name=account_name, region=region, resource_type=resource_type,
                 resource_arn=resource_arn, resource_name=resource_name, message_category=category,
                 status_message=message or validation_message, creation_date=created, completion_date=completed,
                 report_date=day, scan_result_status=scan_result or None,
                 recovery_point_arn=recovery_point if table.job_type == "scan" else None,
                 backup_vault_name=vault if table.job_type == "scan" else None)
            for (job_id, status, validation, account_id, account_name, region, resource_type, resource_arn,
                 resource_name, category, message, validation_message, created, completed, scan_result,
                 recovery_point, vault) in zip(*map(column, names))]
