"""The organisation's AWS Config inventory (the aggregator's items) and the jobs of resources whose backups stopped.

The organisation's resources as an AWS Config aggregator reports them (the items of
``SelectAggregateResourceConfig``): every resource the generated backup jobs name, plus per
account and region one or two resources no job ever protected ("never"), per account one whose
daily backups stopped ``STOPPED_DAYS`` days before the last day ("stopped", its jobs in
``Inventory.jobs``), per account and region an Aurora cluster member instance (AWS Backup
protects its cluster, never the instance) and a security group (a type AWS Backup does not
protect). A pure function of the spec (and jobs).
"""
from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Dict, List, Optional, Tuple

from .jobs import generate
from .org import ENVS, Resource, env_of, guid, hex_digits, make_resource, random_size, recovery_point_arn
from .spec import OrgSpec

#: How AWS Config records each AWS Backup type the generator uses: (Config type, engine).
#: VirtualMachine (VMware, through Backup gateway) has no AWS Config type.
CONFIG_FORM = {
    "EC2": ("AWS::EC2::Instance", None), "EBS": ("AWS::EC2::Volume", None),
    "RDS": ("AWS::RDS::DBInstance", "postgres"), "Aurora": ("AWS::RDS::DBCluster", "aurora-postgresql"),
    "DocumentDB": ("AWS::RDS::DBCluster", "docdb"), "Neptune": ("AWS::RDS::DBCluster", "neptune"),
    "DynamoDB": ("AWS::DynamoDB::Table", None), "EFS": ("AWS::EFS::FileSystem", None),
    "S3": ("AWS::S3::Bucket", None), "FSx": ("AWS::FSx::FileSystem", None),
    "Redshift": ("AWS::Redshift::Cluster", None), "CloudFormation": ("AWS::CloudFormation::Stack", None),
}
#: Days before the spec's last day that the "stopped" resources' last backup was taken.
STOPPED_DAYS = 8
#: Types of the resources no job ever protected, one pair per account and region (rotating).
_NEVER_TYPES = ("RDS", "S3", "DynamoDB", "EFS", "Aurora", "EBS", "EC2", "DocumentDB")
NEVER_MARKER = "unprotected"
STOPPED_MARKER = "backups-stopped"


@dataclass
class Inventory:
    """Config items of the aggregator, the extra backup jobs of the "stopped" resources (by
    ``(job type, region)``), and the ARNs of the resources that are unprotected by construction."""

    items: List[Dict[str, Any]]
    jobs: Dict[Tuple[str, str], List[Dict[str, Any]]]
    never: List[str]
    stopped: List[str]
    not_protectable: List[str]  # cluster members and other types: never in the inventory
    types: Dict[str, str]  # AWS Backup's type of every other item, by ARN


def _config_item(res: Resource, region: str, r: random.Random, first_seen: date) -> Dict[str, Any]:
    """One resource as AWS Config's advanced query returns it (ids, ARN, tags, engine)."""
    config_type, engine = CONFIG_FORM[res.type]
    tail = res.arn.rsplit("/", 1)[-1] if "/" in res.arn else res.arn.rsplit(":", 1)[-1]
    resource_id = {"RDS": f"db-{hex_digits(r, 26).upper()}", "Aurora": f"cluster-{hex_digits(r, 26).upper()}",
                   "DocumentDB": f"cluster-{hex_digits(r, 26).upper()}",
                   "Neptune": f"cluster-{hex_digits(r, 26).upper()}",
                   "DynamoDB": res.name, "S3": res.name, "Redshift": res.name,
                   "CloudFormation": res.arn}.get(res.type, tail)
    env = next((e for e in ENVS if f"-{e}-" in f"-{res.name}-" or f"_{e}_" in res.name), "shared")
    item: Dict[str, Any] = {
        "accountId": res.account, "awsRegion": region, "resourceType": config_type, "resourceId": resource_id,
        "arn": res.arn, "availabilityZone": f"{region}a" if res.type in ("EC2", "EBS", "RDS") else "Multiple",
        "resourceCreationTime": f"{first_seen.isoformat()}T08:00:00.000Z",
        "configurationItemCaptureTime": f"{first_seen.isoformat()}T08:05:00.000Z",
        "configurationItemStatus": "OK",
        "tags": [{"key": "Name", "value": res.name}, {"key": "env", "value": env}],
    }
    if res.type not in ("EC2", "EBS", "EFS", "FSx"):  # these have no name of their own in Config
        item["resourceName"] = res.name
    if engine:
        item["configuration"] = {"engine": engine}
    return item


def _daily_backup(spec: OrgSpec, res: Resource, region: str, day: date) -> Dict[str, Any]:
    """A completed daily backup job of ``res`` on ``day`` (05:00 UTC, the org-daily plan)."""
    r = random.Random(f"{spec.seed}|daily|{res.arn}|{day.isoformat()}")
    env = env_of(spec.seed, res.account, region)
    created = calendar.timegm(day.timetuple()) + 5 * 3600 + r.randrange(600)
    job_id = guid(r)
    vault_name, vault_arn, vault_type, _lock = env.vaults[1]
    size = random_size(r)
    return {"AccountId": res.account, "BackupJobId": job_id, "BackupVaultName": vault_name,
            "BackupVaultArn": vault_arn, "VaultType": vault_type,
            "RecoveryPointArn": recovery_point_arn(r, res, region, res.account, job_id),
            "ResourceArn": res.arn, "CreationDate": float(created), "CompletionDate": float(created + 900),
            "State": "COMPLETED", "PercentDone": "100.0", "BackupSizeInBytes": size, "BytesTransferred": size,
            "IamRoleArn": env.role, "CreatedBy": dict(env.plans[0]), "ResourceType": res.type,
            "ResourceName": res.name, "IsParent": False, "MessageCategory": "SUCCESS",
            "StartBy": float(created + 8 * 3600), "InitiationDate": float(created + 30)}


def inventory(spec: OrgSpec, jobs: Optional[Dict[Tuple[str, str], List[Dict[str, Any]]]] = None) -> Inventory:
    """The aggregator's items for ``spec`` (see above); ``jobs`` as :func:`generate` returns them
    (default: the spec's backup jobs)."""
    if jobs is None:
        jobs = generate(spec, ("backup",))
    first_seen = spec.first_day - timedelta(days=90)
    items: Dict[str, Dict[str, Any]] = {}
    types: Dict[str, str] = {}
    for (job_type, region), listed in sorted(jobs.items()):
        for job in listed if job_type == "backup" else ():
            res = Resource(job["ResourceType"], job["ResourceArn"], job.get("ResourceName") or "",
                            job["AccountId"], region)
            if res.type in CONFIG_FORM and res.arn not in items:
                items[res.arn] = _config_item(res, region, random.Random(f"{spec.seed}|ci|{res.arn}"), first_seen)
                types[res.arn] = res.type
    never: List[str] = []
    stopped: List[str] = []
    other: List[str] = []
    extra_jobs: Dict[Tuple[str, str], List[Dict[str, Any]]] = {}
    last_backup = spec.day_list[-1] - timedelta(days=STOPPED_DAYS) if spec.days else spec.first_day
    for n, (account, _name) in enumerate(spec.accounts):
        for m, region in enumerate(spec.regions):
            r = random.Random(f"{spec.seed}|inventory|{account}|{region}")
            for k in range(1 + ((n + m) % 3 == 0)):  # one, in every third account x region two
                rtype = _NEVER_TYPES[(2 * (n + m) + k) % len(_NEVER_TYPES)]
                name = f"{NEVER_MARKER}-{rtype.lower()}-{k}-{account[-4:]}"
                res = make_resource(r, rtype, account, region, name.replace("-", "_") if rtype == "DynamoDB" else name)
                items[res.arn] = _config_item(res, region, r, first_seen)
                never.append(res.arn)
                types[res.arn] = rtype
            if m == n % len(spec.regions):  # one per account
                res = make_resource(r, "EFS" if n % 2 else "EBS", account, region, f"{STOPPED_MARKER}-{account[-4:]}")
                items[res.arn] = _config_item(res, region, r, first_seen)
                stopped.append(res.arn)
                types[res.arn] = res.type
                extra_jobs.setdefault(("backup", region), []).extend(
                    _daily_backup(spec, res, region, d) for d in spec.day_list if d <= last_backup)
            member = f"arn:aws:rds:{region}:{account}:db:aurora-member-{account[-4:]}-1"
            items[member] = {"accountId": account, "awsRegion": region, "resourceType": "AWS::RDS::DBInstance",
                             "resourceId": f"db-{hex_digits(r, 26).upper()}", "resourceName": member.rsplit(":", 1)[-1],
                             "arn": member, "configuration": {"engine": "aurora-postgresql"}, "tags": []}
            group = f"sg-{hex_digits(r)}"
            items[group] = {"accountId": account, "awsRegion": region, "resourceType": "AWS::EC2::SecurityGroup",
                            "resourceId": group, "arn": f"arn:aws:ec2:{region}:{account}:security-group/{group}",
                            "tags": []}
            other += [member, items[group]["arn"]]
    return Inventory(items=[items[k] for k in sorted(items)], jobs=extra_jobs, never=never, stopped=stopped,
                     not_protectable=other, types=types)
