"""The named errors only the local tools raise (the demo, ``backup-report local up``, the local engine).

They subclass the core's errors, so every command reports them the same way (``errors.report``).
"""
from __future__ import annotations

from ..errors import BackupReportError, QueryError


class UnsupportedFormat(QueryError):
    """A table's SerDe or column type is one the local engine cannot read."""


class DemoError(BackupReportError):
    """The demo or the local AWS could not complete (a local server did not start, a port is taken,
    or the backfill failed)."""
