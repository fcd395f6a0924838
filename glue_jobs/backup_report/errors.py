"""Named errors of backup-report; every one says what failed and how to fix it."""
from __future__ import annotations


class BackupReportError(Exception):
    """Base class: a failure the job reports on stderr and turns into an exit status."""

    exit_code = 1


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


class PartialFailure(BackupReportError):
    """Some slices (region x job type x day) could not be fetched; the rest was written."""
