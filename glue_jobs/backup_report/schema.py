"""The one definition of the report's tables: their columns (``columns``), partitions, CSV format
and the AWS Backup listing that feeds each.

The writer, the Glue catalog, the schema tables of docs/tables.md, the local Athena engine and
the tests all read this module; nothing else names a column's type.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

from .columns import (
    ALERTS_COLUMNS,
    BACKUP_COLUMNS,
    COPY_COLUMNS,
    JOB_PARTITIONS,
    RECONCILIATION_COLUMNS,
    REPORT_RUNS_COLUMNS,
    RESOURCES_COLUMNS,
    RESTORE_COLUMNS,
    SCAN_COLUMNS,
    Column,
)

#: The text format of every CSV object, as registered in the catalog. LazySimpleSerDe
#: with a backslash escape: a delimiter inside a value is written ``\,``, a backslash
#: ``\\``; an empty field is NULL. Line breaks cannot be escaped for Athena's text
#: reader (it splits rows on them first), so the writer turns them into spaces.
CSV_DELIMITER = ","
CSV_ESCAPE = "\\"
CSV_NULL = ""
SERDE_LIBRARY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
SERDE_PARAMETERS = {
    "field.delim": CSV_DELIMITER,
    "serialization.format": CSV_DELIMITER,
    "escape.delim": CSV_ESCAPE,
    "serialization.null.format": CSV_NULL,
}
#: Text form of timestamps (UTC, no zone suffix), as Hive's timestamp parser reads them.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"



@dataclass(frozen=True)
class Table:
    """One table of the report and the AWS Backup listing that feeds it."""

    name: str
    job_type: str  # backup | copy | restore | scan ("" for report_runs)
    columns: Tuple[Column, ...]
    partitions: Tuple[Column, ...]
    description: str
    operation: str = ""  # boto3 operation name, e.g. list_backup_jobs
    result_key: str = ""  # list member of the response, e.g. BackupJobs
    status_field: str = ""  # field holding the status partition value
    statuses: Tuple[str, ...] = ()  # every status the API documents
    #: AWS Backup's daily counts of this job type (``reconcile``): the boto3 operation, the list
    #: member of its answer, the parameters it takes besides the common ones, and the states it
    #: counts that the listing never returns (compared only inside a day and account's total).
    summary_operation: str = ""
    summary_key: str = ""
    summary_parameters: Tuple[Tuple[str, str], ...] = ()
    summary_only_states: Tuple[str, ...] = ()

    @property
    def column_names(self) -> Tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def columns_types(self) -> Dict[str, str]:
        return {c.name: c.type for c in self.columns}

    def partitions_types(self) -> Dict[str, str]:
        return {c.name: c.type for c in self.partitions}

    def columns_comments(self) -> Dict[str, str]:
        return {c.name: c.description for c in self.columns + self.partitions}


BACKUP_JOBS = Table(
    "backup_jobs", "backup", BACKUP_COLUMNS, JOB_PARTITIONS,
    "AWS Backup backup jobs of the organisation, one row per job, under its latest status",
    operation="list_backup_jobs", result_key="BackupJobs", status_field="State",
    statuses=("CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"),
    summary_operation="list_backup_job_summaries", summary_key="BackupJobSummaries",
    summary_parameters=(("MessageCategory", "AGGREGATE_ALL"),),
)
COPY_JOBS = Table(
    "copy_jobs", "copy", COPY_COLUMNS, JOB_PARTITIONS,
    "AWS Backup copy jobs (cross-region and cross-account copies) of the organisation",
    operation="list_copy_jobs", result_key="CopyJobs", status_field="State",
    statuses=("CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"),
    summary_operation="list_copy_job_summaries", summary_key="CopyJobSummaries",
    summary_parameters=(("MessageCategory", "AGGREGATE_ALL"),),
    summary_only_states=("COMPLETING", "FAILING", "ABORTING", "ABORTED"),
)
RESTORE_JOBS = Table(
    "restore_jobs", "restore", RESTORE_COLUMNS, JOB_PARTITIONS,
    "AWS Backup restore jobs, including restore testing and its validation results",
    operation="list_restore_jobs", result_key="RestoreJobs", status_field="Status",
    statuses=("PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"),
    summary_operation="list_restore_job_summaries", summary_key="RestoreJobSummaries",
    summary_only_states=("CREATED",),
)
#: Listed by completion date and state, not by creation date (``scan_listing``).
SCAN_JOBS = Table(
    "scan_jobs", "scan", SCAN_COLUMNS, JOB_PARTITIONS,
    "AWS Backup malware scan jobs (GuardDuty) of the organisation's recovery points, one row per scan",
    operation="list_scan_jobs", result_key="ScanJobs", status_field="State",
    statuses=("CREATED", "RUNNING", "COMPLETED", "COMPLETED_WITH_ISSUES", "FAILED", "CANCELED"),
    summary_operation="list_scan_job_summaries", summary_key="ScanJobSummaries",
    summary_parameters=(("MalwareScanner", "AGGREGATE_ALL"),),
)

REPORT_RUNS = Table(
    "report_runs", "", REPORT_RUNS_COLUMNS, (JOB_PARTITIONS[0],),
    "Ledger: one row per run x report day x job type x region, so a day with no failures "
    "can be told from a day never reported",
)

ALERTS = Table(
    "alerts", "", ALERTS_COLUMNS, (JOB_PARTITIONS[0],),
    "Ledger of announcements: one row per attention item a run announced, with the channels that "
    "accepted it; append-only",
)

RESOURCES = Table(
    "resources", "inventory", RESOURCES_COLUMNS,
    (Column("report_date", "date", "derived:report_date", "The run's REPORT_DATE: the day of the snapshot"),),
    "Inventory: one row per resource of a type AWS Backup protects, from the AWS Config aggregator, "
    "one snapshot per report day (only with --CONFIG_AGGREGATOR)",
)

RECONCILIATION = Table(
    "reconciliation", "", RECONCILIATION_COLUMNS,
    (Column("report_date", "date", "derived:report_date", "The counted day (UTC, by creation)"),),
    "The report against AWS Backup's own daily counts: one row per run x day x job type x region x account x "
    "state; a rerun replaces that day's rows of the same job type and region",
)

JOB_TABLES = (BACKUP_JOBS, COPY_JOBS, RESTORE_JOBS, SCAN_JOBS)
ALL_TABLES = JOB_TABLES + (REPORT_RUNS, ALERTS, RESOURCES, RECONCILIATION)
TABLES_BY_NAME = {t.name: t for t in ALL_TABLES}
JOB_TABLES_BY_TYPE = {t.job_type: t for t in JOB_TABLES}


def markdown_table(table: Table) -> str:
    """The docs/tables.md table of ``table``: column, type, source, meaning."""
    lines = ["| column | type | source | meaning |", "|---|---|---|---|"]
    for col in table.columns + table.partitions:
        kind = "partition" if col in table.partitions else col.type
        type_text = col.type if kind == col.type else f"{col.type} (partition)"
        lines.append(f"| {col.name} | {type_text} | {col.source} | {col.description} |")
    return "\n".join(lines)
