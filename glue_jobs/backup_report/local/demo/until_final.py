"""The demo's month as only time shows it: jobs that run for days, a restore test that validates late,
an object removed by hand; tonight's run settles and heals them (until final, proven complete)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Dict, List, Optional, Tuple

import boto3

from ..athena import LocalAthena

#: Where the long jobs run, and whose they are.
REGION = "us-east-1"
OWNER = "data-platform-prod"
#: Days before today: the backup created then runs for days; the copy; the restore test.
BACKUP_DAYS, COPY_DAYS, RESTORE_DAYS = 6, 5, 4
#: The day (days before today) and region of the backup object removed by hand before tonight.
REMOVED_DAYS, REMOVED_REGION = 9, "eu-west-1"
PREFIX = "backup-reports"


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"backup-report-demo/{name}")).upper()


def _at(today: dt.date, days: int, hour: int) -> float:
    return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(hour), tzinfo=dt.timezone.utc).timestamp()


def long_jobs(accounts: List[Tuple[str, str]], today: dt.date) -> Dict[str, Dict[str, Any]]:
    """The three jobs, as AWS Backup lists them last night (job type -> job)."""
    account = next((a for a, name in accounts if name == OWNER), accounts[-1][0])
    vault = f"arn:aws:backup:{REGION}:{account}:backup-vault:Default"
    return {
        "backup": {"BackupJobId": _id("efs-archive"), "AccountId": account, "State": "RUNNING",
                   "CreationDate": _at(today, BACKUP_DAYS, 1), "ResourceType": "EFS", "ResourceName": "analytics-archive",
                   "ResourceArn": f"arn:aws:elasticfilesystem:{REGION}:{account}:file-system/fs-0a1b2c3d4e5f60718",
                   "BackupVaultName": "Default", "BackupVaultArn": vault, "PercentDone": "61.0",
                   "BytesTransferred": 2_900_000_000_000, "IamRoleArn": f"arn:aws:iam::{account}:role/AWSBackup"},
        "copy": {"CopyJobId": _id("lake-copy"), "AccountId": account, "State": "RUNNING",
                 "CreationDate": _at(today, COPY_DAYS, 3), "ResourceType": "S3", "ResourceName": "data-lake-raw",
                 "ResourceArn": "arn:aws:s3:::data-lake-raw", "SourceBackupVaultArn": vault,
                 "DestinationBackupVaultArn": f"arn:aws:backup:eu-west-1:{account}:backup-vault:dr"},
        "restore": {"RestoreJobId": _id("ledger-restore-test"), "AccountId": account, "Status": "COMPLETED",
                    "CreationDate": _at(today, RESTORE_DAYS, 5), "CompletionDate": _at(today, RESTORE_DAYS, 6),
                    "ResourceType": "RDS", "SourceResourceArn": f"arn:aws:rds:{REGION}:{account}:db:ledger",
                    "CreatedBy": {"RestoreTestingPlanArn":
                                  f"arn:aws:backup:{REGION}:{account}:restore-testing-plan:weekly-rds"},
                    "ValidationStatus": "VALIDATING"},
    }


def load(emulator: Any, accounts: List[Tuple[str, str]], today: dt.date, days: int) -> int:
    """Load the long jobs that fall in the ``days`` of history before today; how many."""
    oldest = _at(today, days, 0)
    return sum(emulator.load_jobs(job_type, REGION, [job]) for job_type, job in long_jobs(accounts, today).items()
               if job["CreationDate"] >= oldest)


def finish(emulator: Any, accounts: List[Tuple[str, str]], today: dt.date, days: int) -> List[str]:
    """AWS Backup's state moves on, days after the jobs' days left the window; what moved."""
    moved = []
    jobs = long_jobs(accounts, today)
    if days > BACKUP_DAYS:
        emulator.patch_job("backup", REGION, jobs["backup"]["BackupJobId"], State="COMPLETED", PercentDone="100.0",
                           CompletionDate=_at(today, 0, 2), BackupSizeInBytes=4_700_000_000_000,
                           MessageCategory="SUCCESS")
        moved.append(f"the EFS backup of {BACKUP_DAYS} days ago completed this morning")
    if days > COPY_DAYS:
        emulator.patch_job("copy", REGION, jobs["copy"]["CopyJobId"], State="COMPLETED",
                           CompletionDate=_at(today, 1, 10), MessageCategory="SUCCESS")
        moved.append(f"the cross-region copy of {COPY_DAYS} days ago completed yesterday")
    if days > RESTORE_DAYS:
        emulator.patch_job("restore", REGION, jobs["restore"]["RestoreJobId"], ValidationStatus="SUCCESSFUL",
                           ValidationStatusMessage="Validation script exited with status 0")
        moved.append(f"the restore test of {RESTORE_DAYS} days ago validated late: SUCCESSFUL")
    return moved


def remove_object(session: boto3.Session, bucket: str, today: dt.date) -> Optional[Tuple[str, int]]:
    """Remove by hand one backup object of a day long out of the window; its key and rows (None: no such day)."""
    s3 = session.client("s3")
    day = today - dt.timedelta(days=REMOVED_DAYS)
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{PREFIX}/backup_jobs/report_date={day}/").get("Contents", [])
    keys = sorted(o["Key"] for o in listed if f"/{REMOVED_REGION}_" in o["Key"])
    if not keys:
        return None
    rows = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read().decode("utf-8").count("\n") - 1
    s3.delete_object(Bucket=bucket, Key=keys[0])
    return keys[0], rows


def told(engine: LocalAthena, accounts: List[Tuple[str, str]], today: dt.date,
         removed: Optional[Tuple[str, int]]) -> List[str]:
    """What tonight's run made of them, read from the report."""
    jobs = long_jobs(accounts, today)
    lines = []
    for job_type, id_field, extra in (("backup", "BackupJobId", ""), ("copy", "CopyJobId", ""),
                                      ("restore", "RestoreJobId", ", validation_status")):
        frame = engine.run(f"select report_date, status{extra} from {job_type}_jobs where {job_type}_job_id = "
                           f"'{jobs[job_type][id_field]}' and report_date <= current_date").frame
        for row in frame.itertuples(index=False):
            lines.append(f"{job_type} job of {row.report_date}: {row.status}"
                         + (f", validation {row.validation_status}" if extra else ""))
    runs = engine.run("select reason, count(*) as slices from report_runs where run_id = 'demo-tonight' and "
                      "reason in ('settling', 'reconciling') and report_date <= current_date group by reason").frame
    lines.append("outside the window: " + (", ".join(f"{int(str(r.slices))} slice(s) {r.reason}"
                                                     for r in runs.itertuples(index=False)) or "no slice rewritten"))
    if removed is not None:
        day = removed[0].split("report_date=")[1][:10]
        healed = engine.run(
            "select sum(reported) as reported, sum(aws_backup) as aws, max(action) as action from reconciliation "
            f"where report_date = date '{day}' and job_type = 'backup' and region = '{REMOVED_REGION}'").frame
        row = next(healed.itertuples(index=False))
        lines.append(f"the object removed by hand ({removed[1]} rows of backup jobs, {REMOVED_REGION}, {day}): "
                     f"reported {row.reported} = AWS Backup {row.aws} after the run ({row.action})")
    return lines
