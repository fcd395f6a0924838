"""A deterministic synthetic organisation's AWS Backup jobs, in exactly the API's shape.

Every job is a dict shaped like one item of ``ListBackupJobs.BackupJobs``,
``ListCopyJobs.CopyJobs``, ``ListRestoreJobs.RestoreJobs`` or ``ListScanJobs.ScanJobs`` as the service sends it on
the wire: the same member names and nesting as botocore's output shapes, timestamps as
epoch seconds (``float``, millisecond fractions), absent members left out.

Determinism: a job is a pure function of ``(spec.seed, job type, region, day, index)``
(the random generator is re-seeded per job), so the same :class:`OrgSpec` always gives
byte-identical jobs, one day or one region can be produced without the others, and the
streaming API (:func:`iter_chunks`, :func:`iter_jobs`) never holds more than one
(job type, region, day) at a time.

Coverage: the first jobs of every (job type, region, day) are fixed "coverage" jobs, the
rest are random. With 50 or more jobs a day every chunk therefore holds (see
``COVERAGE_BACKUP`` / ``COVERAGE_COPY`` / ``COVERAGE_RESTORE`` / ``COVERAGE_SCAN``): every state/status the
API documents; COMPLETED jobs whose MessageCategory is not SUCCESS ("completed with
issues"); a parent (composite) job with child jobs (``IsParent`` / ``ParentJobId``,
copy parents with ``NumberOfChildJobs`` / ``ChildJobsInState``); sizes over 4 GiB (and
over 1 TiB); jobs created at exactly 00:00:00.500 and 23:59:59.500 UTC; jobs still
running (no ``CompletionDate``); status messages with commas, double quotes,
backslashes (including the two characters ``\\n``), tabs, real line breaks (``\\n``,
``\\r\\n``, a run of blanks around a line break) and non-ASCII text; Windows VSS
``BackupOptions``; ``RecoveryPointLifecycle``; restore testing jobs
(``CreatedBy.RestoreTestingPlanArn``, ``ValidationStatus`` SUCCESSFUL / FAILED /
TIMED_OUT / VALIDATING, ``DeletionStatus``); cross-region and cross-account copy
destinations; malware scans (full and incremental) that found threats (COMPLETED and
COMPLETED_WITH_ISSUES), failed, were canceled, are still running, or finish after midnight. Each account and region also has two resources that only ever fail
(``FAILING_RESOURCE_MARKER`` in their name): no job of them ever succeeds, on any day.

MessageCategory values used: ``SUCCESS`` for clean completions, otherwise one of
``ACCESS_DENIED``, ``INVALID_PARAMETERS``, ``RESOURCE_NOT_FOUND``, ``INTERNAL_ERROR``,
``ABORTED``, ``EXPIRED``.

The modules: ``spec`` (``OrgSpec``, the API's names), ``org`` (accounts, resources, ARNs),
``messages``, ``coverage`` (the test bench), ``story`` (the demo's month), ``base`` and
``backup_jobs`` / ``copy_jobs`` / ``restore_jobs`` / ``scan_jobs`` (one chunk's jobs, step by step), ``jobs``
(the streaming API), ``settle``, ``inventory`` (AWS Config). This package names the public API.
"""
from __future__ import annotations

from .coverage import COVERAGE, COVERAGE_BACKUP, COVERAGE_COPY, COVERAGE_RESTORE, COVERAGE_SCAN
from .inventory import CONFIG_FORM, NEVER_MARKER, STOPPED_DAYS, STOPPED_MARKER, Inventory, inventory
from .jobs import generate, iter_chunks, iter_jobs, to_datetime
from .messages import SPECIAL_MESSAGES
from .org import DEFAULT_MANAGEMENT_ACCOUNT_ID, FAILING_RESOURCE_MARKER, account_id, default_accounts
from .scan_jobs import infected
from .settle import is_final, job_type_of, settle
from .spec import (
    DEFAULT_FIRST_DAY,
    DEFAULT_REGIONS,
    FINAL_STATES,
    ID_FIELD,
    JOB_TYPES,
    OPERATION,
    RESULT_KEY,
    STATES,
    STATUS_FIELD,
    OrgSpec,
)
from .story import in_incident, pool_resource, pool_size, story_props

__all__ = [
    "COVERAGE", "COVERAGE_BACKUP", "COVERAGE_COPY", "COVERAGE_RESTORE", "COVERAGE_SCAN", "CONFIG_FORM", "NEVER_MARKER",
    "STOPPED_DAYS", "STOPPED_MARKER", "Inventory", "inventory", "generate", "iter_chunks", "iter_jobs",
    "to_datetime", "SPECIAL_MESSAGES", "DEFAULT_MANAGEMENT_ACCOUNT_ID", "FAILING_RESOURCE_MARKER", "account_id",
    "default_accounts", "is_final", "job_type_of", "settle", "DEFAULT_FIRST_DAY", "DEFAULT_REGIONS",
    "FINAL_STATES", "ID_FIELD", "JOB_TYPES", "OPERATION", "RESULT_KEY", "STATES", "STATUS_FIELD", "OrgSpec",
    "in_incident", "pool_resource", "pool_size", "story_props", "infected",
]
