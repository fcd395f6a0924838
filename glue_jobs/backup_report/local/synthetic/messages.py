"""The status messages of the synthetic jobs: the ones that exercise CSV writers and Athena's text
reader, and the service's own failure messages (with their MessageCategory)."""
from __future__ import annotations

# Status messages that exercise CSV writers and Athena's text reader.
MSG_COMMA_QUOTES = 'Backup failed for volume "data, logs": snapshot limit exceeded, retry later'
MSG_BACKSLASH = r'Cannot open C:\Backups\nightly\data.bak: the path holds \n literally, "quoted" too'
MSG_TAB_LF = "Snapshot creation failed.\tReason: throttled by the source service\nRetry scheduled"
MSG_CRLF = 'Access denied to KMS key "alias/backup", check the key policy.\r\nRequest was rejected'
MSG_WS_RUN = "Windows VSS backup attempt failed,   \n\t   a crash-consistent backup was taken instead"
MSG_NON_ASCII = "Sauvegarde échouée — 数据库 «prod» indisponible"
SPECIAL_MESSAGES = (MSG_COMMA_QUOTES, MSG_BACKSLASH, MSG_TAB_LF, MSG_CRLF, MSG_WS_RUN, MSG_NON_ASCII)

FAIL_MESSAGES = (
    ("IAM Role arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole does not have "
     "sufficient permissions to execute the backup", "ACCESS_DENIED"),
    ("Backup job failed because there was a running job for the same resource.", "INVALID_PARAMETERS"),
    ("Resource {name} not found, it may have been deleted.", "RESOURCE_NOT_FOUND"),
    ("An internal error occurred. Please retry.", "INTERNAL_ERROR"),
    ("The KMS key arn:aws:kms:{region}:{account}:key/... is disabled, pending deletion, or not accessible.",
     "ACCESS_DENIED"),
)
ISSUE_MESSAGES = (
    ("Windows VSS Backup Job Error encountered, trying for regular backup", "INVALID_PARAMETERS"),
    ("Some files could not be backed up: 3 objects were skipped because of their storage class.",
     "INVALID_PARAMETERS"),
)
COPY_FAIL_MESSAGES = (
    ("Copy job failed. Destination vault {dest} does not allow copies from account {account}.", "ACCESS_DENIED"),
    ("Copy job failed because the destination region is not opted in.", "INVALID_PARAMETERS"),
    ("Copy job failed: the source recovery point has expired.", "RESOURCE_NOT_FOUND"),
)
RESTORE_FAIL_MESSAGES = (
    "Restore failed: the subnet group default does not exist.",
    "Restore failed because the target resource name already exists.",
    "An internal error occurred during the restore.",
)
SCAN_FAIL_MESSAGES = (
    "The scan failed: the scanner role cannot read the recovery point's snapshots.",
    "The scan failed: GuardDuty Malware Protection for AWS Backup is not enabled in this account.",
    "An internal error occurred during the scan. Please retry.",
)
SCAN_ISSUE_MESSAGES = (
    "Some files could not be scanned: 12 files were encrypted or password protected.",
    "Some files could not be scanned: 3 files exceeded the maximum size.",
)
