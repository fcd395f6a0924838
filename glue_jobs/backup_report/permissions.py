"""The IAM actions backup-report needs, per principal, and how API calls map onto them.

The CloudFormation templates grant exactly ``REQUIRED_ACTIONS`` (tests/test_cloudformation.py
holds them to it), and every API call the job really makes, as recorded in
``$BACKUP_REPORT_CALL_LOG``, must map into it: a grant the code never uses, or a call
that no grant allows, fails the tests.

Principals:

* ``management``: the read-only role in the Organizations management (or AWS Backup
  delegated administrator) account, assumed by the job (cloudformation/template-management.yml);
* ``job``: the Glue job's own role in the reporting account (cloudformation/template-reporting.yml).
* ``config``: a role of ``--CONFIG_ROLE_ARN`` other than the management role, in the account of
  the AWS Config aggregator (``CONFIG_ACTIONS`` only; no template of this project creates it).
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, Mapping, Optional, Set, Tuple

#: Calls made with the assumed management role: organisation-wide job listings and AWS
#: Backup's daily counts of them (``summaries``: exactly the job types' own), account names,
#: enabled regions. None of them supports resource-level permissions.
MANAGEMENT_ACTIONS: FrozenSet[str] = frozenset({
    "backup:ListBackupJobs",
    "backup:ListCopyJobs",
    "backup:ListRestoreJobs",
    "backup:ListScanJobs",
    "backup:ListBackupJobSummaries",
    "backup:ListCopyJobSummaries",
    "backup:ListRestoreJobSummaries",
    "backup:ListScanJobSummaries",
    "organizations:ListAccounts",
    "ec2:DescribeRegions",
})

#: The AWS Config inventory (``--CONFIG_AGGREGATOR``): the advanced query over the one
#: organisation aggregator, by the role of ``--CONFIG_ROLE_ARN`` (principal ``config`` in the call
#: log) or, by default, the management role. The management template grants it on the
#: aggregator's ARN when the aggregator is in that account (its ConfigAggregatorArn parameter);
#: docs/deployment.md shows the same grant for a role in another account.
CONFIG_ACTIONS: FrozenSet[str] = frozenset({"config:SelectAggregateResourceConfig"})

#: Calls the job's code makes with its own role (S3 reports, Glue catalog, STS, announcements).
JOB_API_ACTIONS: FrozenSet[str] = frozenset({
    "sts:AssumeRole",
    # s3:ListBucket covers ListObjectsV2 and HeadBucket; s3:PutObject covers multipart uploads,
    # which awswrangler uses for objects over its block size; an upload that fails is aborted.
    "s3:ListBucket",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:GetPartitions",
    "glue:BatchCreatePartition",
    "glue:BatchDeletePartition",
    # What earlier runs wrote (the report prefix only): the alerts ledger (notify.py), report_runs
    # (settle.py), the slices' manifests (reconcile.py), a slice's own objects (carry.py).
    # Attention announcements: the events on the one bus of --EVENT_BUS_NAME (when not none),
    # the digest on the one topic of --ALERT_TOPIC_ARN.
    "s3:GetObject",
    "events:PutEvents",
    "sns:Publish",
})

#: Granted for a failure path only: awswrangler aborts a multipart upload that failed.
FAILURE_PATH_ACTIONS: FrozenSet[str] = frozenset({"s3:AbortMultipartUpload"})

#: What Glue itself does with the job's role: read the entry script and the wheel, write the
#: run's CloudWatch Logs (``JOB_LOG_GROUPS``, or ``encrypted_job_log_groups`` when the job's
#: security configuration encrypts CloudWatch Logs).
GLUE_RUNTIME_ACTIONS: FrozenSet[str] = frozenset({
    "s3:GetObject",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
})

#: Granted only when the reporting stack is given a customer managed key (KmsKeyArn): the key
#: for SSE-KMS objects in the report and artifacts locations, and logs:AssociateKmsKey on the
#: encrypted log groups (``encrypted_job_log_groups``), which Glue creates with that key.
KMS_ACTIONS: FrozenSet[str] = frozenset({
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "logs:AssociateKmsKey",
})

#: Where Glue writes a Python shell run's stdout and stderr without CloudWatch Logs encryption.
#: Other Python shell jobs of the account share them.
JOB_LOG_GROUPS: Tuple[str, str] = ("/aws-glue/python-jobs/output", "/aws-glue/python-jobs/error")


def encrypted_job_log_groups(role_name: str, security_configuration: str) -> Tuple[str, str]:
    """The output and error log groups of a run whose security configuration encrypts CloudWatch Logs.

    Glue then names the groups after the job's role and the security configuration
    (``/aws-glue/python-jobs-<role name>-<security configuration>/output``), like
    ``/aws-glue/jobs-<role name>-<security configuration>/`` for Spark jobs (the Glue API's
    JobRun.LogGroupName), and they belong to this job alone.
    """
    prefix = f"/aws-glue/python-jobs-{role_name}-{security_configuration}"
    return (f"{prefix}/output", f"{prefix}/error")


REQUIRED_ACTIONS: Dict[str, FrozenSet[str]] = {
    "management": MANAGEMENT_ACTIONS | CONFIG_ACTIONS,
    "job": JOB_API_ACTIONS | GLUE_RUNTIME_ACTIONS | KMS_ACTIONS,
}

#: ``service:Operation`` as botocore names a call (``endpoint_prefix:OperationName``) -> the IAM
#: action that authorises it, where the two differ. Any other operation needs the action of
#: the same name.
OPERATION_TO_ACTION: Mapping[str, str] = {
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:ListObjects": "s3:ListBucket",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
    "s3:DeleteObjects": "s3:DeleteObject",
    "s3:CreateMultipartUpload": "s3:PutObject",
    "s3:UploadPart": "s3:PutObject",
    "s3:CompleteMultipartUpload": "s3:PutObject",
    "s3:ListObjectVersions": "s3:ListBucketVersions",
    "glue:BatchCreatePartition": "glue:BatchCreatePartition",
    "glue:BatchDeletePartition": "glue:BatchDeletePartition",
}

#: Operations that no IAM policy can allow or deny.
NO_PERMISSION_NEEDED: FrozenSet[str] = frozenset({"sts:GetCallerIdentity"})


def action_for(operation: str) -> Optional[str]:
    """The IAM action that authorises ``operation`` (``service:Operation``); None when none is needed."""
    if operation in NO_PERMISSION_NEEDED:
        return None
    return OPERATION_TO_ACTION.get(operation, operation)


def actions_from_call_log(lines: Iterable[str]) -> Dict[str, Set[str]]:
    """Principal -> IAM actions used, from ``$BACKUP_REPORT_CALL_LOG`` lines (``<principal> <service>:<Op>``)."""
    used: Dict[str, Set[str]] = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        principal, _, operation = line.partition(" ")
        action = action_for(operation.strip())
        if action:
            used.setdefault(principal, set()).add(action)
    return used
