"""Every column of the report's tables: name, Athena type, source, meaning (``schema`` assembles
the tables from them).

A column's ``source`` says where its value comes from:

* ``Field`` or ``Parent.Child``: the field of the AWS Backup list item (nested with dots);
* ``json:Field``: that field serialised as compact JSON (maps such as BackupOptions);
* ``derived:account_name``: the Organizations account name of ``AccountId``;
* ``derived:region``: the region that was queried;
* ``derived:duration_seconds``: whole seconds from ``CreationDate`` to ``CompletionDate``;
* ``A/B`` (``alerts``): field A of the job, else B (whichever its job type has);
* ``derived:<name>`` in ``report_runs``, ``alerts`` and ``reconciliation``: set by the run itself.
* in ``resources``, ``field`` names a field of the AWS Config advanced query's result
  (``configuration.engine`` nested with dots); ``derived:`` values are set by the inventory.
"""
from __future__ import annotations

from dataclasses import dataclass

#: Glue/Athena column types used by the report (Hive DDL names).
ATHENA_TYPES = ("string", "bigint", "timestamp", "boolean", "date")


@dataclass(frozen=True)
class Column:
    """One column: its name, Athena type, where the value comes from, what it means."""

    name: str
    type: str
    source: str
    description: str


def _c(name: str, type_: str, source: str, description: str) -> Column:
    return Column(name, type_, source, description)


_ACCOUNT = (
    _c("account_id", "string", "AccountId", "Account that owns the job"),
    _c("account_name", "string", "derived:account_name",
       "Organizations account name; null when unknown (ListAccounts denied or account left the organisation)"),
    _c("region", "string", "derived:region", "Region the job ran in (the region queried)"),
)

_LIFECYCLE_DOC = "Recovery point lifecycle: "

BACKUP_COLUMNS = (
    _c("backup_job_id", "string", "BackupJobId", "Unique id of the backup job"),
    *_ACCOUNT,
    _c("resource_type", "string", "ResourceType", "AWS resource type, e.g. EC2, RDS, EFS"),
    _c("resource_arn", "string", "ResourceArn", "ARN of the protected resource"),
    _c("resource_name", "string", "ResourceName", "Name of the protected resource"),
    _c("backup_vault_name", "string", "BackupVaultName", "Vault the recovery point is stored in"),
    _c("backup_vault_arn", "string", "BackupVaultArn", "ARN of that vault"),
    _c("recovery_point_arn", "string", "RecoveryPointArn", "ARN of the recovery point created"),
    _c("backup_plan_id", "string", "CreatedBy.BackupPlanId", "Backup plan that started the job"),
    _c("backup_rule_id", "string", "CreatedBy.BackupRuleId", "Rule of that plan"),
    _c("iam_role_arn", "string", "IamRoleArn", "Role AWS Backup used for the job"),
    _c("creation_date", "timestamp", "CreationDate", "When the job was created (UTC); decides the report day"),
    _c("start_by", "timestamp", "StartBy", "Deadline for the job to start (UTC)"),
    _c("completion_date", "timestamp", "CompletionDate", "When the job finished (UTC); null while running"),
    _c("duration_seconds", "bigint", "derived:duration_seconds",
       "Whole seconds from creation_date to completion_date; null while running"),
    _c("status_message", "string", "StatusMessage", "Why the job is in its state (line breaks turned into spaces)"),
    _c("message_category", "string", "MessageCategory",
       "Category of the status message; COMPLETED with a category other than SUCCESS = completed with issues"),
    _c("percent_done", "string", "PercentDone", "Progress reported by AWS Backup"),
    _c("backup_size_in_bytes", "bigint", "BackupSizeInBytes", "Size of the backup in bytes"),
    _c("bytes_transferred", "bigint", "BytesTransferred", "Bytes transferred so far"),
    _c("backup_type", "string", "BackupType", "Backup type, e.g. WindowsVSS"),
    _c("parent_job_id", "string", "ParentJobId", "Parent job of a child job (composite backups)"),
    _c("is_parent", "boolean", "IsParent", "True for a parent (composite) job"),
    _c("backup_plan_arn", "string", "CreatedBy.BackupPlanArn", "ARN of the backup plan"),
    _c("backup_plan_name", "string", "CreatedBy.BackupPlanName", "Name of the backup plan"),
    _c("backup_rule_name", "string", "CreatedBy.BackupRuleName", "Name of the backup rule"),
    _c("backup_rule_cron", "string", "CreatedBy.BackupRuleCron", "Schedule expression of the rule"),
    _c("backup_rule_timezone", "string", "CreatedBy.BackupRuleTimezone", "Time zone of the rule's schedule"),
    _c("initiation_date", "timestamp", "InitiationDate", "When the job was initiated (UTC)"),
    _c("expected_completion_date", "timestamp", "ExpectedCompletionDate", "Expected completion (UTC)"),
    _c("backup_options", "string", "json:BackupOptions", "Backup options, as JSON"),
    _c("vault_type", "string", "VaultType", "Type of the vault"),
    _c("vault_lock_state", "string", "VaultLockState", "Vault lock state"),
    _c("is_encrypted", "boolean", "IsEncrypted", "Whether the recovery point is encrypted"),
    _c("encryption_key_arn", "string", "EncryptionKeyArn", "KMS key that encrypts the recovery point"),
    _c("delete_after_days", "bigint", "RecoveryPointLifecycle.DeleteAfterDays",
       _LIFECYCLE_DOC + "days until deletion"),
    _c("move_to_cold_storage_after_days", "bigint", "RecoveryPointLifecycle.MoveToColdStorageAfterDays",
       _LIFECYCLE_DOC + "days until cold storage"),
    _c("opt_in_to_archive", "boolean", "RecoveryPointLifecycle.OptInToArchiveForSupportedResources",
       _LIFECYCLE_DOC + "archive tier opted in"),
)

COPY_COLUMNS = (
    _c("copy_job_id", "string", "CopyJobId", "Unique id of the copy job"),
    *_ACCOUNT,
    _c("resource_type", "string", "ResourceType", "AWS resource type"),
    _c("resource_arn", "string", "ResourceArn", "ARN of the protected resource"),
    _c("resource_name", "string", "ResourceName", "Name of the protected resource"),
    _c("source_backup_vault_arn", "string", "SourceBackupVaultArn", "Vault copied from"),
    _c("source_recovery_point_arn", "string", "SourceRecoveryPointArn", "Recovery point copied"),
    _c("destination_backup_vault_arn", "string", "DestinationBackupVaultArn",
       "Vault copied to (another region or account)"),
    _c("destination_vault_type", "string", "DestinationVaultType", "Type of the destination vault"),
    _c("destination_vault_lock_state", "string", "DestinationVaultLockState", "Lock state of the destination vault"),
    _c("destination_recovery_point_arn", "string", "DestinationRecoveryPointArn", "Recovery point created by the copy"),
    _c("destination_encryption_key_arn", "string", "DestinationEncryptionKeyArn", "KMS key of the copy"),
    _c("destination_delete_after_days", "bigint", "DestinationRecoveryPointLifecycle.DeleteAfterDays",
       "Copy lifecycle: days until deletion"),
    _c("destination_move_to_cold_storage_after_days", "bigint",
       "DestinationRecoveryPointLifecycle.MoveToColdStorageAfterDays", "Copy lifecycle: days until cold storage"),
    _c("iam_role_arn", "string", "IamRoleArn", "Role AWS Backup used for the copy"),
    _c("created_by_backup_job_id", "string", "CreatedByBackupJobId", "Backup job that started the copy"),
    _c("backup_plan_id", "string", "CreatedBy.BackupPlanId", "Backup plan that started the copy"),
    _c("backup_rule_id", "string", "CreatedBy.BackupRuleId", "Rule of that plan"),
    _c("backup_plan_arn", "string", "CreatedBy.BackupPlanArn", "ARN of the backup plan"),
    _c("backup_plan_name", "string", "CreatedBy.BackupPlanName", "Name of the backup plan"),
    _c("backup_rule_name", "string", "CreatedBy.BackupRuleName", "Name of the backup rule"),
    _c("creation_date", "timestamp", "CreationDate", "When the copy job was created (UTC); decides the report day"),
    _c("completion_date", "timestamp", "CompletionDate", "When the copy job finished (UTC)"),
    _c("duration_seconds", "bigint", "derived:duration_seconds", "Whole seconds from creation to completion"),
    _c("status_message", "string", "StatusMessage", "Why the copy job is in its state"),
    _c("message_category", "string", "MessageCategory", "Category of the status message"),
    _c("backup_size_in_bytes", "bigint", "BackupSizeInBytes", "Size of the copied recovery point in bytes"),
    _c("parent_job_id", "string", "ParentJobId", "Parent job of a child copy job"),
    _c("is_parent", "boolean", "IsParent", "True for a parent (composite) copy job"),
    _c("composite_member_identifier", "string", "CompositeMemberIdentifier", "Member of a composite copy"),
    _c("number_of_child_jobs", "bigint", "NumberOfChildJobs", "Child jobs of a parent copy job"),
    _c("child_jobs_in_state", "string", "json:ChildJobsInState", "Child job count per state, as JSON"),
)

RESTORE_COLUMNS = (
    _c("restore_job_id", "string", "RestoreJobId", "Unique id of the restore job"),
    *_ACCOUNT,
    _c("resource_type", "string", "ResourceType", "AWS resource type restored"),
    _c("resource_arn", "string", "SourceResourceArn", "ARN of the resource the recovery point was taken from"),
    _c("recovery_point_arn", "string", "RecoveryPointArn", "Recovery point restored"),
    _c("backup_vault_arn", "string", "BackupVaultArn", "Vault of that recovery point"),
    _c("created_resource_arn", "string", "CreatedResourceArn", "Resource created by the restore"),
    _c("iam_role_arn", "string", "IamRoleArn", "Role AWS Backup used for the restore"),
    _c("creation_date", "timestamp", "CreationDate", "When the restore job was created (UTC); decides the report day"),
    _c("completion_date", "timestamp", "CompletionDate", "When the restore job finished (UTC)"),
    _c("duration_seconds", "bigint", "derived:duration_seconds", "Whole seconds from creation to completion"),
    _c("status_message", "string", "StatusMessage", "Why the restore job is in its state"),
    _c("percent_done", "string", "PercentDone", "Progress reported by AWS Backup"),
    _c("backup_size_in_bytes", "bigint", "BackupSizeInBytes", "Size of the restored recovery point in bytes"),
    _c("expected_completion_time_minutes", "bigint", "ExpectedCompletionTimeMinutes", "Expected duration"),
    _c("recovery_point_creation_date", "timestamp", "RecoveryPointCreationDate",
       "When the restored recovery point was created (UTC)"),
    _c("is_parent", "boolean", "IsParent", "True for a parent restore job"),
    _c("parent_job_id", "string", "ParentJobId", "Parent job of a child restore job"),
    _c("restore_testing_plan_arn", "string", "CreatedBy.RestoreTestingPlanArn",
       "Restore testing plan that started the job (empty for manual restores)"),
    _c("validation_status", "string", "ValidationStatus", "Restore testing validation: SUCCESSFUL, FAILED, ..."),
    _c("validation_status_message", "string", "ValidationStatusMessage", "Detail of the validation status"),
    _c("deletion_status", "string", "DeletionStatus", "Deletion of the restored resource (restore testing)"),
    _c("deletion_status_message", "string", "DeletionStatusMessage", "Detail of the deletion status"),
)

SCAN_COLUMNS = (
    _c("scan_job_id", "string", "ScanJobId", "Unique id of the malware scan job"),
    *_ACCOUNT,
    _c("resource_type", "string", "ResourceType", "AWS resource type of the recovery point scanned: EBS, EC2, S3"),
    _c("resource_arn", "string", "ResourceArn", "ARN of the resource the recovery point was taken from"),
    _c("resource_name", "string", "ResourceName", "Name of that resource"),
    _c("backup_vault_name", "string", "BackupVaultName", "Vault of the recovery point scanned"),
    _c("backup_vault_arn", "string", "BackupVaultArn", "ARN of that vault"),
    _c("recovery_point_arn", "string", "RecoveryPointArn",
       "Recovery point scanned (joins backup_jobs.recovery_point_arn)"),
    _c("scan_base_recovery_point_arn", "string", "ScanBaseRecoveryPointArn",
       "Recovery point an incremental scan compares with"),
    _c("scan_mode", "string", "ScanMode", "FULL_SCAN or INCREMENTAL_SCAN"),
    _c("malware_scanner", "string", "MalwareScanner", "The scanner, e.g. GUARDDUTY"),
    _c("scan_result_status", "string", "ScanResult.ScanResultStatus",
       "THREATS_FOUND, NO_THREATS_FOUND, ... as given; null until the scan completes"),
    _c("scan_id", "string", "ScanId", "The scanner's id of the scan"),
    _c("iam_role_arn", "string", "IamRoleArn", "Role AWS Backup used for the scan job"),
    _c("scanner_role_arn", "string", "ScannerRoleArn", "Role the scanner used to read the recovery point"),
    _c("backup_plan_arn", "string", "CreatedBy.BackupPlanArn", "Backup plan that started the scan"),
    _c("backup_plan_id", "string", "CreatedBy.BackupPlanId", "Id of that plan"),
    _c("backup_plan_version", "string", "CreatedBy.BackupPlanVersion", "Version of that plan"),
    _c("backup_rule_id", "string", "CreatedBy.BackupRuleId", "Rule of that plan"),
    _c("creation_date", "timestamp", "CreationDate", "When the scan job was created (UTC); decides the report day"),
    _c("completion_date", "timestamp", "CompletionDate", "When the scan job finished (UTC); null while running"),
    _c("duration_seconds", "bigint", "derived:duration_seconds", "Whole seconds from creation to completion"),
    _c("status_message", "string", "StatusMessage", "Why the scan job is in its state"),
)

JOB_PARTITIONS = (
    _c("report_date", "date", "derived:report_date", "UTC day of creation_date"),
    _c("status", "string", "State/Status", "The job's state as the API reports it"),
)

RUN_STATUSES = ("created", "pending", "running", "aborting", "aborted", "completed", "failed", "expired", "partial")
#: Counted per status in ``report_runs`` after ``reason`` (added with scan jobs' states).
LATER_RUN_STATUSES = ("canceled", "completed_with_issues")

REPORT_RUNS_COLUMNS = (
    _c("run_id", "string", "derived:run_id", "Unique per job run (the Glue JOB_RUN_ID when there is one)"),
    _c("run_started_at", "timestamp", "derived:run_started_at", "When the run started (UTC)"),
    _c("job_type", "string", "derived:job_type", "backup, copy, restore or scan (inventory: resources)"),
    _c("region", "string", "derived:region", "Region of the slice"),
    _c("succeeded", "boolean", "derived:succeeded", "The slice was fetched and written"),
    _c("error", "string", "derived:error", "Empty when succeeded; else the cause"),
    _c("job_count", "bigint", "derived:job_count", "Jobs of that day, type and region"),
    *(_c(s, "bigint", "derived:" + s, "Jobs in state " + s.upper() + " (0 when none)") for s in RUN_STATUSES),
    _c("reason", "string", "derived:reason",
       "Why the run wrote this row: window, settling, reconciling or expired (window for the inventory)"),
    *(_c(s, "bigint", "derived:" + s, "Scan jobs in state " + s.upper() + " (0 when none)")
      for s in LATER_RUN_STATUSES),
    _c("validating", "bigint", "derived:validating",
       "Restore jobs COMPLETED whose validation_status is VALIDATING (0 when none)"),
)

#: The channels an attention item can be announced on (``alerts.channels``).
ALERT_CHANNELS = ("events", "digest")

ALERTS_COLUMNS = (
    _c("job_type", "string", "derived:job_type", "backup, copy, restore or scan"),
    _c("job_id", "string", "derived:job_id", "The job's id: backup_job_id, copy_job_id, restore_job_id or scan_job_id"),
    _c("status", "string", "State/Status", "The job's status when it was announced"),
    _c("validation_status", "string", "ValidationStatus",
       "A restore test's validation status when it was announced; null for other jobs"),
    *_ACCOUNT,
    _c("resource_type", "string", "ResourceType", "AWS resource type"),
    _c("resource_arn", "string", "ResourceArn/SourceResourceArn", "ARN of the protected (or restored) resource"),
    _c("message_category", "string", "MessageCategory", "Category of the status message (backup and copy jobs)"),
    _c("status_message", "string", "StatusMessage/ValidationStatusMessage",
       "Why the job needs attention: its status message, else its validation message"),
    _c("creation_date", "timestamp", "CreationDate", "When the job was created (UTC); decides the report day"),
    _c("completion_date", "timestamp", "CompletionDate", "When the job finished (UTC); null while running"),
    _c("run_id", "string", "derived:run_id", "The run that announced it"),
    _c("announced_at", "timestamp", "derived:announced_at", "When that run announced it (UTC)"),
    _c("channels", "string", "derived:channels",
       "The channels that accepted it in that run, comma-separated: events, digest"),
    _c("scan_result_status", "string", "ScanResult.ScanResultStatus",
       "A scan job's result when it was announced (THREATS_FOUND, ...); null for other jobs and older rows"),
)

RESOURCES_COLUMNS = (
    _c("resource_arn", "string", "derived:resource_arn",
       "ARN as AWS Backup reports it (joins backup_jobs.resource_arn); Config's arn, else built by type"),
    _c("resource_id", "string", "resourceId", "AWS Config's resource id"),
    _c("resource_name", "string", "resourceName", "AWS Config's resource name; else the Name tag; null when none"),
    _c("resource_type", "string", "derived:resource_type",
       "AWS Backup's name of the type, as backup_jobs.resource_type spells it (EC2, RDS, Aurora, ...)"),
    _c("config_resource_type", "string", "resourceType", "AWS Config's type, e.g. AWS::RDS::DBCluster"),
    _c("account_id", "string", "accountId", "Account that owns the resource"),
    _c("account_name", "string", "derived:account_name",
       "Organizations account name; null when unknown (ListAccounts denied or account left the organisation)"),
    _c("region", "string", "awsRegion", "Region of the resource"),
    _c("tags", "string", "json:tags", "The resource's tags as a JSON object (key: value); {} when none"),
    _c("captured_at", "timestamp", "derived:captured_at", "When the run took the snapshot (UTC)"),
)

#: What ``reconciliation.action`` says was done about a (day, job type, region, account, state).
RECONCILIATION_ACTIONS = ("equal", "rewritten", "recorded", "not_comparable")

RECONCILIATION_COLUMNS = (
    _c("run_id", "string", "derived:run_id", "The run that compared"),
    _c("checked_at", "timestamp", "derived:checked_at", "When that run read AWS Backup's counts (UTC)"),
    _c("job_type", "string", "derived:job_type", "backup, copy, restore or scan"),
    _c("region", "string", "derived:region", "Region of the counts"),
    _c("account_id", "string", "AccountId", "Account of the counts"),
    _c("state", "string", "State", "The jobs' state (status)"),
    _c("reported", "bigint", "derived:reported",
       "Rows of that account and state in the report after the run (from the counts kept when the slice was "
       "written, checked against a listing of its objects); null when unknown"),
    _c("aws_backup", "bigint", "Count", "AWS Backup's own count (List*JobSummaries, ONE_DAY), summed; 0 when none"),
    _c("difference", "bigint", "derived:difference", "reported - aws_backup"),
    _c("summary_start", "timestamp", "StartTime", "Start of the period AWS Backup counted (UTC)"),
    _c("summary_end", "timestamp", "EndTime", "End of that period (UTC)"),
    _c("action", "string", "derived:action",
       "equal; rewritten (the run rewrote the slice to reconcile it); recorded (a difference kept, or a day the "
       "report never held); not_comparable (the period ended less than 24 hours before the run)"),
)
