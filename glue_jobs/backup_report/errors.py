"""Named errors of backup-report; every one says what failed and how to fix it.

Every command (the Glue job, ``backup-report``, the demo) turns them into the same
line on stderr and the error's exit status with ``report``.
"""
from __future__ import annotations

import sys
from typing import IO, Optional

#: What every error line starts with.
PREFIX = "backup-report: error: "


class BackupReportError(Exception):
    """Base class: a failure the job reports on stderr and turns into an exit status.

    The message says what failed and why; ``fix``, when given, says what to do about it and
    ends the message after " — " (``problem`` is the message without it). ``aws.named_error``
    builds them from an AWS error; doctor shows the two parts of the job's own errors.
    """

    exit_code = 1

    def __init__(self, problem: str = "", fix: str = ""):
        super().__init__(f"{problem} — {fix}" if problem and fix else problem or fix)
        self.problem, self.fix = problem, fix


# --------------------------------------------------------------------------- the job

class ArgumentError(BackupReportError):
    """A job argument is missing or malformed; nothing was read or written."""

    exit_code = 2


class RoleError(BackupReportError):
    """The management (or delegated administrator) role could not be assumed."""


class ConfigurationError(BackupReportError):
    """The AWS configuration (region, credentials) is not usable."""


class BucketError(BackupReportError):
    """The report bucket cannot be reached or written."""


class CatalogError(BackupReportError):
    """The Glue database or a table cannot be read or updated."""


class InventoryError(BackupReportError):
    """The AWS Config aggregator could not be read; the inventory keeps its earlier snapshots."""


class PartialFailure(BackupReportError):
    """Some slices (region x job type x day) could not be fetched; the rest was written."""


class AlertError(BackupReportError):
    """An announcement channel (EventBridge, the SNS digest) or the alerts ledger failed; the
    reports were written, and the items not announced are announced by the next run."""


# --------------------------------------------------------------------------- the saved queries

class QueryError(BackupReportError):
    """A query cannot be run: the text, a parameter, a table or the data is not usable."""


class NoSuchQuery(QueryError):
    """No saved query has that name, and no file has that path."""


class ParameterError(QueryError):
    """A --param or --today value does not fit the query."""


class AthenaQueryFailed(QueryError):
    """Athena refused or failed the query (permissions, workgroup, syntax, missing table)."""


class NoLocalAws(QueryError):
    """``--local`` has no local AWS to read: AWS_ENDPOINT_URL is unset or not on this machine,
    or the ``[local]`` extra (moto, DuckDB, sqlglot) is not installed."""


def report(error: BackupReportError, stream: Optional[IO[str]] = None) -> int:
    """Print ``backup-report: error: <message>`` (the whole message, every line) on
    ``stream`` (stderr by default) and return the error's exit status."""
    message = str(error).strip() or (type(error).__doc__ or type(error).__name__).strip()
    print(PREFIX + message, file=stream if stream is not None else sys.stderr)
    return error.exit_code
