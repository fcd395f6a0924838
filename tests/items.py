"""Attention items and the settings of a run that announces them, as the tests of attention,
events, digest, notify and alerts build them."""
from __future__ import annotations

import datetime as dt
import random
from typing import List

from backup_report.arguments import Settings
from backup_report.attention import Item

UTC = dt.timezone.utc


def item(n: int, message: str = "failed", **fields) -> Item:
    """A failed backup job ``b-<n>`` of payments-prod, eu-west-1, report day 2026-11-26; ``fields`` override."""
    values = dict(job_type="backup", job_id=f"b-{n:05d}", status="FAILED", validation_status=None,
                  account_id="111122223333", account_name="payments-prod", region="eu-west-1", resource_type="EBS",
                  resource_arn=f"arn:aws:ec2:eu-west-1:111122223333:volume/vol-{n:05d}", resource_name=f"orders-{n}",
                  message_category="ACCESS_DENIED", status_message=message,
                  creation_date=dt.datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC),
                  completion_date=dt.datetime(2026, 11, 26, 2, tzinfo=UTC), report_date=dt.date(2026, 11, 26))
    values.update(fields)
    return Item(**values)


def varied_items(n: int, seed: int = 3) -> List[Item]:
    """Items of several days, accounts (named or not), regions and job types, in no order."""
    r = random.Random(seed)
    out = []
    for k in range(n):
        job_type = r.choice(["backup", "copy", "restore"])
        created = dt.datetime(2026, 11, 24, tzinfo=UTC) + dt.timedelta(seconds=r.randrange(3 * 86400))
        out.append(item(k, job_type=job_type, job_id=f"{job_type[0]}-{r.randrange(10 ** 6):06d}",
                        account_id=r.choice(["111122223333", "444455556666", "777788889999"]),
                        account_name=r.choice([None, "payments-prod", "data-platform-prod"]),
                        region=r.choice(["eu-west-1", "us-east-1"]), creation_date=created,
                        completion_date=r.choice([None, created + dt.timedelta(minutes=r.randrange(600))]),
                        report_date=created.date()))
    return out


def settings(**overrides) -> Settings:
    """A run of report day 2026-11-26 (three days) with both channels on; ``overrides`` replace."""
    values = dict(bucket="acme-backup-reports", role_arn="arn:aws:iam::123456789012:role/BackupReportRead",
                  database="backup_report", external_id=None, prefix="backup-reports", regions=None,
                  report_date=dt.date(2026, 11, 26), lookback_days=3, run_id="jr_0123abcd",
                  run_started_at=dt.datetime(2026, 11, 26, 23, 59, tzinfo=UTC),
                  event_bus="default", alert_topic_arn="arn:aws:sns:eu-west-1:123456789012:backup-report-alerts")
    values.update(overrides)
    return Settings(**values)


#: One item of each kind the digest names: a failed backup, a backup completed with issues, a
#: failed copy, a restore test that failed validation, an expired backup of an unnamed account.
SAMPLE_ITEMS = [
    item(1, "IAM Role arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole does not have "
            "sufficient permissions to execute the backup", resource_name="orders-db-data"),
    item(2, "Windows VSS Backup Job Error encountered, trying for regular backup", status="COMPLETED",
         message_category="INVALID_PARAMETERS", resource_type="EC2", resource_name="web-prod-1",
         resource_arn="arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
         completion_date=dt.datetime(2026, 11, 26, 4, 30, tzinfo=UTC)),
    item(3, "Copy job failed because the destination region is not opted in.", job_type="copy", job_id="c-9",
         account_id="444455556666", account_name="data-platform-prod", region="us-east-1", resource_type="S3",
         resource_name="lake-raw", resource_arn="arn:aws:s3:::lake-raw", message_category="INVALID_PARAMETERS"),
    item(4, "Validation script exited with status 1", job_type="restore", job_id="r-7", status="COMPLETED",
         validation_status="FAILED", account_id="444455556666", account_name="data-platform-prod",
         region="us-east-1", resource_type="RDS", resource_name=None, message_category=None,
         resource_arn="arn:aws:rds:us-east-1:444455556666:db:ledger"),
    item(5, "", account_id="777788889999", account_name=None, region="ap-southeast-2", status="EXPIRED",
         message_category="EXPIRED", resource_name=None, resource_arn="arn:aws:dynamodb:ap-southeast-2:"
         "777788889999:table/sessions", resource_type="DynamoDB", completion_date=None),
]
