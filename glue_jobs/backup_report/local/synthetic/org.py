"""The synthetic organisation: its accounts, and each account's resources, plans, vaults and keys per region.

Everything here is a pure function of the seed, the account and the region, with ARNs shaped
as each service shapes them (recovery points, restored resources).
"""
from __future__ import annotations

import base64
import hashlib
import random
from collections import namedtuple
from functools import lru_cache
from typing import Any, Dict, List, Tuple

#: moto's default account, the management account of the local organisation.
DEFAULT_MANAGEMENT_ACCOUNT_ID = "123456789012"
FAILING_RESOURCE_MARKER = "always-failing"

# (resource type, weight) of the protected resources; CloudFormation stacks are the
# composite (parent) jobs.
_RESOURCE_TYPES = (
    ("EBS", 25), ("EC2", 20), ("RDS", 12), ("DynamoDB", 10), ("Aurora", 8), ("EFS", 8), ("S3", 8),
    ("FSx", 4), ("DocumentDB", 2), ("Neptune", 1), ("Redshift", 1), ("VirtualMachine", 1),
)
_NAMES = ("orders", "payments", "web", "catalog", "billing", "search", "auth", "reports", "ledger", "media",
          "inventory", "analytics", "crm", "gateway", "archive", "shipping")
ENVS = ("prod", "staging", "dev", "shared")

Resource = namedtuple("Resource", "type arn name account region")


def hash_int(*parts: Any) -> int:
    text = "|".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def guid(r: random.Random) -> str:
    h = "%032X" % r.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid_lower(r: random.Random) -> str:
    return guid(r).lower()


def hex_digits(r: random.Random, digits: int = 17) -> str:
    return "%0*x" % (digits, r.getrandbits(4 * digits))



def account_id(name: str) -> str:
    """The 12-digit id of the local organisation's member account ``name``: a pure function of
    the name (moto's own ids are random), so the demo, ``local up`` and the docs show the same ids."""
    return str(100000000000 + hash_int("backup-report-member", name) % 900000000000)


_ACCOUNT_NAMES = ("log-archive", "security-audit", "shared-services", "workload-prod", "workload-staging",
                  "workload-dev", "data-platform", "payments-prod", "payments-dev", "sandbox")


def default_accounts(n: int = 5, management_account_id: str = DEFAULT_MANAGEMENT_ACCOUNT_ID
                     ) -> List[Tuple[str, str]]:
    """``n`` deterministic (12-digit account id, name) pairs, the management account first.

    For when no (moto) Organizations is involved; with one, create the accounts there and
    pass their real ids to :class:`OrgSpec` instead.
    """
    out: List[Tuple[str, str]] = []
    seen = set()
    if n >= 1:
        out.append((management_account_id, "management"))
        seen.add(management_account_id)
    i = 1
    while len(out) < n:
        account_id = str(100000000000 + hash_int("backup-report-account", i) % 900000000000)
        if account_id not in seen:
            base = _ACCOUNT_NAMES[(len(out) - 1) % len(_ACCOUNT_NAMES)]
            lap = (len(out) - 1) // len(_ACCOUNT_NAMES)
            out.append((account_id, base if lap == 0 else f"{base}-{lap + 1:02d}"))
            seen.add(account_id)
        i += 1
    return out


Env = namedtuple("Env", "resources failing stacks plans vaults kms_key role restore_plans")


def make_resource(r: random.Random, rtype: str, account: str, region: str, name: str) -> Resource:
    if rtype == "EC2":
        arn = f"arn:aws:ec2:{region}:{account}:instance/i-{hex_digits(r)}"
    elif rtype == "EBS":
        arn = f"arn:aws:ec2:{region}:{account}:volume/vol-{hex_digits(r)}"
    elif rtype == "RDS":
        arn = f"arn:aws:rds:{region}:{account}:db:{name}"
    elif rtype in ("Aurora", "DocumentDB", "Neptune"):
        arn = f"arn:aws:rds:{region}:{account}:cluster:{name}"
    elif rtype == "DynamoDB":
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    elif rtype == "EFS":
        arn = f"arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-{hex_digits(r, 8)}"
    elif rtype == "S3":
        name = f"{name}-{account}-{region}"
        arn = f"arn:aws:s3:::{name}"
    elif rtype == "FSx":
        arn = f"arn:aws:fsx:{region}:{account}:file-system/fs-{hex_digits(r)}"
    elif rtype == "Redshift":
        arn = f"arn:aws:redshift:{region}:{account}:cluster:{name}"
    elif rtype == "VirtualMachine":
        arn = f"arn:aws:backup-gateway:{region}:{account}:vm/vm-{hex_digits(r)}"
    elif rtype == "CloudFormation":
        arn = f"arn:aws:cloudformation:{region}:{account}:stack/{name}/{uuid_lower(r)}"
    else:  # pragma: no cover - every type above is listed
        raise ValueError(rtype)
    return Resource(rtype, arn, name, account, region)


@lru_cache(maxsize=8192)
def env_of(seed: int, account: str, region: str) -> Env:
    """The resources, plans, vaults, keys of one account in one region (deterministic)."""
    r = random.Random(f"{seed}|env|{account}|{region}")
    types = [t for t, _ in _RESOURCE_TYPES]
    weights = [w for _, w in _RESOURCE_TYPES]
    resources = []
    for k in range(30):
        rtype = r.choices(types, weights)[0]
        name = f"{r.choice(_NAMES)}-{r.choice(ENVS)}-{k:02d}"
        if rtype in ("DynamoDB",):
            name = name.replace("-", "_")
        resources.append(make_resource(r, rtype, account, region, name))
    failing = [make_resource(r, "EBS", account, region, f"{FAILING_RESOURCE_MARKER}-volume"),
               make_resource(r, "RDS", account, region, f"{FAILING_RESOURCE_MARKER}-db")]
    failing = [f._replace(name=f"{FAILING_RESOURCE_MARKER}-{f.type.lower()}-{account}") for f in failing]
    stacks = [make_resource(r, "CloudFormation", account, region, f"{n}-app-stack") for n in ("orders", "payments")]
    plans = []
    for plan_name, rule_name, cron in (("org-daily-backups", "DailyBackups", "cron(0 5 ? * * *)"),
                                       ("org-weekly-backups", "WeeklyBackups", "cron(0 3 ? * SUN *)"),
                                       ("prod-hourly", "HourlyBackups", "cron(0 * ? * * *)")):
        plan_id = uuid_lower(r)
        plans.append({
            "BackupPlanId": plan_id,
            "BackupPlanArn": f"arn:aws:backup:{region}:{account}:backup-plan:{plan_id}",
            "BackupPlanName": plan_name,
            "BackupPlanVersion": base64.b64encode(uuid_lower(r).encode()).decode().rstrip("="),
            "BackupRuleId": uuid_lower(r),
            "BackupRuleName": rule_name,
            "BackupRuleCron": cron,
            "BackupRuleTimezone": "Etc/UTC" if plan_name != "prod-hourly" else "Europe/Paris",
        })
    vaults = [
        ("Default", f"arn:aws:backup:{region}:{account}:backup-vault:Default", "BACKUP_VAULT", None),
        ("org-backup-vault", f"arn:aws:backup:{region}:{account}:backup-vault:org-backup-vault", "BACKUP_VAULT",
         None),
        ("airgapped-vault", f"arn:aws:backup:{region}:{account}:backup-vault:airgapped-vault",
         "LOGICALLY_AIR_GAPPED_BACKUP_VAULT", "LOCKED"),
    ]
    kms_key = f"arn:aws:kms:{region}:{account}:key/{uuid_lower(r)}"
    role = f"arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"
    restore_plans = [f"arn:aws:backup:{region}:{account}:restore-testing-plan:{n}-{uuid_lower(r)}"
                     for n in ("weekly_restore_test", "monthly_dr_drill")]
    return Env(resources, failing, stacks, plans, vaults, kms_key, role, restore_plans)


def recovery_point_arn(r: random.Random, res: Resource, region: str, account: str, job_id: str) -> str:
    t = res.type
    if t == "EC2":
        return f"arn:aws:ec2:{region}::image/ami-{hex_digits(r)}"
    if t == "EBS":
        return f"arn:aws:ec2:{region}::snapshot/snap-{hex_digits(r)}"
    if t == "RDS":
        return f"arn:aws:rds:{region}:{account}:snapshot:awsbackup:job-{job_id.lower()}"
    if t in ("Aurora", "DocumentDB", "Neptune"):
        return f"arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:job-{job_id.lower()}"
    if t == "DynamoDB":
        return (f"arn:aws:dynamodb:{region}:{account}:table/{res.name}/backup/"
                f"{r.getrandbits(40):013d}-{hex_digits(r, 8)}")
    if t == "FSx":
        return f"arn:aws:fsx:{region}:{account}:backup/backup-{hex_digits(r)}"
    if t == "Redshift":
        return f"arn:aws:redshift:{region}:{account}:snapshot:{res.name}/awsbackup:job-{job_id.lower()}"
    return f"arn:aws:backup:{region}:{account}:recovery-point:{uuid_lower(r)}"


def new_resource_arn(r: random.Random, res: Resource, region: str, account: str) -> str:
    """ARN of the resource a restore creates."""
    t = res.type
    if t == "EC2":
        return f"arn:aws:ec2:{region}:{account}:instance/i-{hex_digits(r)}"
    if t == "EBS":
        return f"arn:aws:ec2:{region}:{account}:volume/vol-{hex_digits(r)}"
    if t == "RDS":
        return f"arn:aws:rds:{region}:{account}:db:restored-{hex_digits(r, 8)}"
    if t in ("Aurora", "DocumentDB", "Neptune"):
        return f"arn:aws:rds:{region}:{account}:cluster:restored-{hex_digits(r, 8)}"
    if t == "DynamoDB":
        return f"arn:aws:dynamodb:{region}:{account}:table/{res.name}_restored_{hex_digits(r, 6)}"
    if t == "EFS":
        return f"arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-{hex_digits(r, 8)}"
    if t == "S3":
        return f"arn:aws:s3:::{res.name}-restored-{hex_digits(r, 6)}"
    if t == "FSx":
        return f"arn:aws:fsx:{region}:{account}:file-system/fs-{hex_digits(r)}"
    if t == "Redshift":
        return f"arn:aws:redshift:{region}:{account}:cluster:restored-{hex_digits(r, 8)}"
    if t == "VirtualMachine":
        return f"arn:aws:ec2:{region}:{account}:instance/i-{hex_digits(r)}"
    return f"arn:aws:cloudformation:{region}:{account}:stack/restored-{hex_digits(r, 8)}/{uuid_lower(r)}"


def random_size(r: random.Random) -> int:
    return int(2 ** r.uniform(22.0, 37.0))


def lifecycle(r: random.Random) -> Dict[str, Any]:
    x = r.random()
    if x < 0.5:
        return {"DeleteAfterDays": 35, "OptInToArchiveForSupportedResources": False}
    if x < 0.8:
        return {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 365,
                "OptInToArchiveForSupportedResources": False}
    return {"MoveToColdStorageAfterDays": 90, "DeleteAfterDays": 2555,
            "OptInToArchiveForSupportedResources": True}

