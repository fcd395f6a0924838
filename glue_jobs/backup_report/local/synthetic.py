"""A deterministic synthetic organisation's AWS Backup jobs, in exactly the API's shape.

Every job is a dict shaped like one item of ``ListBackupJobs.BackupJobs``,
``ListCopyJobs.CopyJobs`` or ``ListRestoreJobs.RestoreJobs`` as the service sends it on
the wire: the same member names and nesting as botocore's output shapes, timestamps as
epoch seconds (``float``, millisecond fractions), absent members left out.

Determinism: a job is a pure function of ``(spec.seed, job type, region, day, index)``
(the random generator is re-seeded per job), so the same :class:`OrgSpec` always gives
byte-identical jobs, one day or one region can be produced without the others, and the
streaming API (:func:`iter_chunks`, :func:`iter_jobs`) never holds more than one
(job type, region, day) at a time.

Coverage: the first jobs of every (job type, region, day) are fixed "coverage" jobs, the
rest are random. With 50 or more jobs a day every chunk therefore holds (see
``COVERAGE_BACKUP`` / ``COVERAGE_COPY`` / ``COVERAGE_RESTORE``): every state/status the
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
destinations. Each account and region also has two resources that only ever fail
(``FAILING_RESOURCE_MARKER`` in their name): no job of them ever succeeds, on any day.

MessageCategory values used: ``SUCCESS`` for clean completions, otherwise one of
``ACCESS_DENIED``, ``INVALID_PARAMETERS``, ``RESOURCE_NOT_FOUND``, ``INTERNAL_ERROR``,
``ABORTED``, ``EXPIRED``.
"""
from __future__ import annotations

import base64
import calendar
import copy
import hashlib
import json
import random
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

JOB_TYPES = ("backup", "copy", "restore")
ID_FIELD = {"backup": "BackupJobId", "copy": "CopyJobId", "restore": "RestoreJobId"}
STATUS_FIELD = {"backup": "State", "copy": "State", "restore": "Status"}
RESULT_KEY = {"backup": "BackupJobs", "copy": "CopyJobs", "restore": "RestoreJobs"}
OPERATION = {"backup": "ListBackupJobs", "copy": "ListCopyJobs", "restore": "ListRestoreJobs"}
STATES = {
    "backup": ("CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"),
    "copy": ("CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"),
    "restore": ("PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"),
}
FINAL_STATES = {
    "backup": frozenset({"ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"}),
    "copy": frozenset({"COMPLETED", "FAILED", "PARTIAL"}),
    "restore": frozenset({"COMPLETED", "ABORTED", "FAILED"}),
}
DEFAULT_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
#: moto's default account, the management account of the local organisation.
DEFAULT_MANAGEMENT_ACCOUNT_ID = "123456789012"
DEFAULT_FIRST_DAY = date(2026, 11, 20)
GIB = 1 << 30
FAILING_RESOURCE_MARKER = "always-failing"

# Status messages that exercise CSV writers and Athena's text reader.
MSG_COMMA_QUOTES = 'Backup failed for volume "data, logs": snapshot limit exceeded, retry later'
MSG_BACKSLASH = r'Cannot open C:\Backups\nightly\data.bak: the path holds \n literally, "quoted" too'
MSG_TAB_LF = "Snapshot creation failed.\tReason: throttled by the source service\nRetry scheduled"
MSG_CRLF = 'Access denied to KMS key "alias/backup", check the key policy.\r\nRequest was rejected'
MSG_WS_RUN = "Windows VSS backup attempt failed,   \n\t   a crash-consistent backup was taken instead"
MSG_NON_ASCII = "Sauvegarde échouée — 数据库 «prod» indisponible"
SPECIAL_MESSAGES = (MSG_COMMA_QUOTES, MSG_BACKSLASH, MSG_TAB_LF, MSG_CRLF, MSG_WS_RUN, MSG_NON_ASCII)

_FAIL_MESSAGES = (
    ("IAM Role arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole does not have "
     "sufficient permissions to execute the backup", "ACCESS_DENIED"),
    ("Backup job failed because there was a running job for the same resource.", "INVALID_PARAMETERS"),
    ("Resource {name} not found, it may have been deleted.", "RESOURCE_NOT_FOUND"),
    ("An internal error occurred. Please retry.", "INTERNAL_ERROR"),
    ("The KMS key arn:aws:kms:{region}:{account}:key/... is disabled, pending deletion, or not accessible.",
     "ACCESS_DENIED"),
)
_ISSUE_MESSAGES = (
    ("Windows VSS Backup Job Error encountered, trying for regular backup", "INVALID_PARAMETERS"),
    ("Some files could not be backed up: 3 objects were skipped because of their storage class.",
     "INVALID_PARAMETERS"),
)
_COPY_FAIL_MESSAGES = (
    ("Copy job failed. Destination vault {dest} does not allow copies from account {account}.", "ACCESS_DENIED"),
    ("Copy job failed because the destination region is not opted in.", "INVALID_PARAMETERS"),
    ("Copy job failed: the source recovery point has expired.", "RESOURCE_NOT_FOUND"),
)
_RESTORE_FAIL_MESSAGES = (
    "Restore failed: the subnet group default does not exist.",
    "Restore failed because the target resource name already exists.",
    "An internal error occurred during the restore.",
)

# (resource type, weight) of the protected resources; CloudFormation stacks are the
# composite (parent) jobs.
_RESOURCE_TYPES = (
    ("EBS", 25), ("EC2", 20), ("RDS", 12), ("DynamoDB", 10), ("Aurora", 8), ("EFS", 8), ("S3", 8),
    ("FSx", 4), ("DocumentDB", 2), ("Neptune", 1), ("Redshift", 1), ("VirtualMachine", 1),
)
_NAMES = ("orders", "payments", "web", "catalog", "billing", "search", "auth", "reports", "ledger", "media",
          "inventory", "analytics", "crm", "gateway", "archive", "shipping")
_ENVS = ("prod", "staging", "dev", "shared")

_Resource = namedtuple("_Resource", "type arn name account region")


def _hash_int(*parts: Any) -> int:
    text = "|".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _guid(r: random.Random) -> str:
    h = "%032X" % r.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _uuid_lower(r: random.Random) -> str:
    return _guid(r).lower()


def _hex(r: random.Random, digits: int = 17) -> str:
    return "%0*x" % (digits, r.getrandbits(4 * digits))


# --------------------------------------------------------------------------- accounts


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
        account_id = str(100000000000 + _hash_int("backup-report-account", i) % 900000000000)
        if account_id not in seen:
            base = _ACCOUNT_NAMES[(len(out) - 1) % len(_ACCOUNT_NAMES)]
            lap = (len(out) - 1) // len(_ACCOUNT_NAMES)
            out.append((account_id, base if lap == 0 else f"{base}-{lap + 1:02d}"))
            seen.add(account_id)
        i += 1
    return out


# --------------------------------------------------------------------------- spec


@dataclass
class OrgSpec:
    """What to generate: accounts, regions, days, jobs per day and region, seed.

    ``story`` (the demo's organisation) trades the per-chunk coverage for a believable month:
    see :func:`story_props`. ``incident`` (story only): ``(account id, first day, days)`` whose
    backups all fail. ``now`` (any mode): the simulated clock; no job is created after it, and
    a job that would finish after it is still ``RUNNING``.
    """

    accounts: List[Tuple[str, str]] = field(default_factory=lambda: default_accounts(5))
    regions: List[str] = field(default_factory=lambda: list(DEFAULT_REGIONS))
    first_day: date = DEFAULT_FIRST_DAY
    days: int = 1
    backup_jobs_per_day: int = 100  # per region
    copy_jobs_per_day: int = 50  # per region
    restore_jobs_per_day: int = 50  # per region
    seed: int = 0
    story: bool = False
    incident: Optional[Tuple[str, date, int]] = None
    now: Optional[datetime] = None

    def __post_init__(self) -> None:
        self.accounts = [(str(a), str(n)) for a, n in self.accounts]
        self.regions = [str(r) for r in self.regions]
        if isinstance(self.first_day, datetime):
            self.first_day = self.first_day.date()
        elif isinstance(self.first_day, str):
            self.first_day = date.fromisoformat(self.first_day)
        if not self.accounts:
            raise ValueError("OrgSpec needs at least one account")
        if not self.regions:
            raise ValueError("OrgSpec needs at least one region")
        for name in ("days", "backup_jobs_per_day", "copy_jobs_per_day", "restore_jobs_per_day"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"OrgSpec.{name} must be >= 0")
            setattr(self, name, int(getattr(self, name)))
        self.seed = int(self.seed)
        self.story = bool(self.story)
        if self.incident is not None:
            account, first, days = self.incident
            self.incident = (str(account), date.fromisoformat(first) if isinstance(first, str) else first, int(days))
        if isinstance(self.now, str):
            self.now = datetime.fromisoformat(self.now.replace("Z", "+00:00"))
        if self.now is not None and self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=timezone.utc)

    @property
    def account_ids(self) -> List[str]:
        return [a for a, _ in self.accounts]

    @property
    def day_list(self) -> List[date]:
        return [self.first_day + timedelta(days=d) for d in range(self.days)]

    def jobs_per_day(self, job_type: str) -> int:
        return {"backup": self.backup_jobs_per_day, "copy": self.copy_jobs_per_day,
                "restore": self.restore_jobs_per_day}[job_type]

    def total_jobs(self, job_type: Optional[str] = None) -> int:
        types = JOB_TYPES if job_type is None else (job_type,)
        return sum(self.jobs_per_day(t) for t in types) * self.days * len(self.regions)

    def to_dict(self) -> Dict[str, Any]:
        return {"accounts": [list(a) for a in self.accounts], "regions": list(self.regions),
                "first_day": self.first_day.isoformat(), "days": self.days,
                "backup_jobs_per_day": self.backup_jobs_per_day, "copy_jobs_per_day": self.copy_jobs_per_day,
                "restore_jobs_per_day": self.restore_jobs_per_day, "seed": self.seed, "story": self.story,
                "incident": None if self.incident is None else [self.incident[0], self.incident[1].isoformat(),
                                                                 self.incident[2]],
                "now": None if self.now is None else self.now.isoformat()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "OrgSpec":
        known = {"accounts", "regions", "first_day", "days", "backup_jobs_per_day", "copy_jobs_per_day",
                 "restore_jobs_per_day", "seed", "story", "incident", "now"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown OrgSpec fields: {sorted(unknown)}")
        return cls(**{k: data[k] for k in known if k in data})

    @classmethod
    def from_json(cls, text: Union[str, bytes, Dict[str, Any]]) -> "OrgSpec":
        return cls.from_dict(text if isinstance(text, dict) else json.loads(text))


# --------------------------------------------------------------------------- environment of an account x region


_Env = namedtuple("_Env", "resources failing stacks plans vaults kms_key role restore_plans")


def _resource(r: random.Random, rtype: str, account: str, region: str, name: str) -> _Resource:
    if rtype == "EC2":
        arn = f"arn:aws:ec2:{region}:{account}:instance/i-{_hex(r)}"
    elif rtype == "EBS":
        arn = f"arn:aws:ec2:{region}:{account}:volume/vol-{_hex(r)}"
    elif rtype == "RDS":
        arn = f"arn:aws:rds:{region}:{account}:db:{name}"
    elif rtype in ("Aurora", "DocumentDB", "Neptune"):
        arn = f"arn:aws:rds:{region}:{account}:cluster:{name}"
    elif rtype == "DynamoDB":
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
    elif rtype == "EFS":
        arn = f"arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-{_hex(r, 8)}"
    elif rtype == "S3":
        name = f"{name}-{account}-{region}"
        arn = f"arn:aws:s3:::{name}"
    elif rtype == "FSx":
        arn = f"arn:aws:fsx:{region}:{account}:file-system/fs-{_hex(r)}"
    elif rtype == "Redshift":
        arn = f"arn:aws:redshift:{region}:{account}:cluster:{name}"
    elif rtype == "VirtualMachine":
        arn = f"arn:aws:backup-gateway:{region}:{account}:vm/vm-{_hex(r)}"
    elif rtype == "CloudFormation":
        arn = f"arn:aws:cloudformation:{region}:{account}:stack/{name}/{_uuid_lower(r)}"
    else:  # pragma: no cover - every type above is listed
        raise ValueError(rtype)
    return _Resource(rtype, arn, name, account, region)


@lru_cache(maxsize=8192)
def _env(seed: int, account: str, region: str) -> _Env:
    """The resources, plans, vaults, keys of one account in one region (deterministic)."""
    r = random.Random(f"{seed}|env|{account}|{region}")
    types = [t for t, _ in _RESOURCE_TYPES]
    weights = [w for _, w in _RESOURCE_TYPES]
    resources = []
    for k in range(30):
        rtype = r.choices(types, weights)[0]
        name = f"{r.choice(_NAMES)}-{r.choice(_ENVS)}-{k:02d}"
        if rtype in ("DynamoDB",):
            name = name.replace("-", "_")
        resources.append(_resource(r, rtype, account, region, name))
    failing = [_resource(r, "EBS", account, region, f"{FAILING_RESOURCE_MARKER}-volume"),
               _resource(r, "RDS", account, region, f"{FAILING_RESOURCE_MARKER}-db")]
    failing = [f._replace(name=f"{FAILING_RESOURCE_MARKER}-{f.type.lower()}-{account}") for f in failing]
    stacks = [_resource(r, "CloudFormation", account, region, f"{n}-app-stack") for n in ("orders", "payments")]
    plans = []
    for plan_name, rule_name, cron in (("org-daily-backups", "DailyBackups", "cron(0 5 ? * * *)"),
                                       ("org-weekly-backups", "WeeklyBackups", "cron(0 3 ? * SUN *)"),
                                       ("prod-hourly", "HourlyBackups", "cron(0 * ? * * *)")):
        plan_id = _uuid_lower(r)
        plans.append({
            "BackupPlanId": plan_id,
            "BackupPlanArn": f"arn:aws:backup:{region}:{account}:backup-plan:{plan_id}",
            "BackupPlanName": plan_name,
            "BackupPlanVersion": base64.b64encode(_uuid_lower(r).encode()).decode().rstrip("="),
            "BackupRuleId": _uuid_lower(r),
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
    kms_key = f"arn:aws:kms:{region}:{account}:key/{_uuid_lower(r)}"
    role = f"arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"
    restore_plans = [f"arn:aws:backup:{region}:{account}:restore-testing-plan:{n}-{_uuid_lower(r)}"
                     for n in ("weekly_restore_test", "monthly_dr_drill")]
    return _Env(resources, failing, stacks, plans, vaults, kms_key, role, restore_plans)


def _recovery_point_arn(r: random.Random, res: _Resource, region: str, account: str, job_id: str) -> str:
    t = res.type
    if t == "EC2":
        return f"arn:aws:ec2:{region}::image/ami-{_hex(r)}"
    if t == "EBS":
        return f"arn:aws:ec2:{region}::snapshot/snap-{_hex(r)}"
    if t == "RDS":
        return f"arn:aws:rds:{region}:{account}:snapshot:awsbackup:job-{job_id.lower()}"
    if t in ("Aurora", "DocumentDB", "Neptune"):
        return f"arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:job-{job_id.lower()}"
    if t == "DynamoDB":
        return f"arn:aws:dynamodb:{region}:{account}:table/{res.name}/backup/{r.getrandbits(40):013d}-{_hex(r, 8)}"
    if t == "FSx":
        return f"arn:aws:fsx:{region}:{account}:backup/backup-{_hex(r)}"
    if t == "Redshift":
        return f"arn:aws:redshift:{region}:{account}:snapshot:{res.name}/awsbackup:job-{job_id.lower()}"
    return f"arn:aws:backup:{region}:{account}:recovery-point:{_uuid_lower(r)}"


def _new_resource_arn(r: random.Random, res: _Resource, region: str, account: str) -> str:
    """ARN of the resource a restore creates."""
    t = res.type
    if t == "EC2":
        return f"arn:aws:ec2:{region}:{account}:instance/i-{_hex(r)}"
    if t == "EBS":
        return f"arn:aws:ec2:{region}:{account}:volume/vol-{_hex(r)}"
    if t == "RDS":
        return f"arn:aws:rds:{region}:{account}:db:restored-{_hex(r, 8)}"
    if t in ("Aurora", "DocumentDB", "Neptune"):
        return f"arn:aws:rds:{region}:{account}:cluster:restored-{_hex(r, 8)}"
    if t == "DynamoDB":
        return f"arn:aws:dynamodb:{region}:{account}:table/{res.name}_restored_{_hex(r, 6)}"
    if t == "EFS":
        return f"arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-{_hex(r, 8)}"
    if t == "S3":
        return f"arn:aws:s3:::{res.name}-restored-{_hex(r, 6)}"
    if t == "FSx":
        return f"arn:aws:fsx:{region}:{account}:file-system/fs-{_hex(r)}"
    if t == "Redshift":
        return f"arn:aws:redshift:{region}:{account}:cluster:restored-{_hex(r, 8)}"
    if t == "VirtualMachine":
        return f"arn:aws:ec2:{region}:{account}:instance/i-{_hex(r)}"
    return f"arn:aws:cloudformation:{region}:{account}:stack/restored-{_hex(r, 8)}/{_uuid_lower(r)}"


def _random_size(r: random.Random) -> int:
    return int(2 ** r.uniform(22.0, 37.0))


def _lifecycle(r: random.Random) -> Dict[str, Any]:
    x = r.random()
    if x < 0.5:
        return {"DeleteAfterDays": 35, "OptInToArchiveForSupportedResources": False}
    if x < 0.8:
        return {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 365,
                "OptInToArchiveForSupportedResources": False}
    return {"MoveToColdStorageAfterDays": 90, "DeleteAfterDays": 2555,
            "OptInToArchiveForSupportedResources": True}


# --------------------------------------------------------------------------- coverage jobs

#: The first jobs of every (backup, region, day): one dict of properties per index.
COVERAGE_BACKUP: Tuple[Dict[str, Any], ...] = (
    {"state": "COMPLETED", "at": "start", "rtype": "EBS", "size": "big"},
    {"state": "FAILED", "at": "end", "failing": 0, "msg": MSG_COMMA_QUOTES, "cat": "ACCESS_DENIED"},
    {"state": "RUNNING"},
    {"state": "CREATED"},
    {"state": "PENDING"},
    {"state": "ABORTING"},
    {"state": "ABORTED", "msg": MSG_TAB_LF, "cat": "ABORTED"},
    {"state": "EXPIRED", "msg": MSG_CRLF, "cat": "EXPIRED"},
    {"state": "PARTIAL", "parent": 3, "msg": "1 of 3 child jobs failed", "cat": "INVALID_PARAMETERS"},
    {"state": "COMPLETED", "child_of": 8},
    {"state": "FAILED", "child_of": 8, "msg": MSG_NON_ASCII, "cat": "INTERNAL_ERROR"},
    {"state": "COMPLETED", "child_of": 8},
    {"state": "COMPLETED", "rtype": "EC2", "vss": True, "msg": MSG_WS_RUN, "cat": "INVALID_PARAMETERS"},
    {"state": "FAILED", "msg": MSG_BACKSLASH, "cat": "INVALID_PARAMETERS"},
    {"state": "FAILED", "failing": 1, "msg": MSG_NON_ASCII, "cat": "RESOURCE_NOT_FOUND"},
    {"state": "COMPLETED", "rtype": "Aurora", "size": "huge"},
    {"state": "COMPLETED", "parent": 2},
    {"state": "COMPLETED", "child_of": 16},
    {"state": "COMPLETED", "child_of": 16},
)

#: The first jobs of every (copy, region, day). dest: region | account | both.
COVERAGE_COPY: Tuple[Dict[str, Any], ...] = (
    {"state": "COMPLETED", "at": "start", "dest": "region", "size": "big"},
    {"state": "FAILED", "at": "end", "dest": "account", "msg": MSG_COMMA_QUOTES, "cat": "ACCESS_DENIED"},
    {"state": "CREATED", "dest": "region"},
    {"state": "RUNNING", "dest": "account"},
    {"state": "PARTIAL", "dest": "both", "parent": 3, "msg": "1 of 3 child jobs failed",
     "cat": "INVALID_PARAMETERS"},
    {"state": "COMPLETED", "child_of": 4},
    {"state": "FAILED", "child_of": 4, "msg": MSG_NON_ASCII, "cat": "INTERNAL_ERROR"},
    {"state": "COMPLETED", "child_of": 4},
    {"state": "COMPLETED", "dest": "both", "msg": MSG_WS_RUN, "cat": "INVALID_PARAMETERS"},
    {"state": "FAILED", "dest": "region", "msg": MSG_BACKSLASH, "cat": "INVALID_PARAMETERS"},
    {"state": "FAILED", "dest": "account", "msg": MSG_TAB_LF, "cat": "ACCESS_DENIED"},
    {"state": "FAILED", "dest": "region", "msg": MSG_CRLF, "cat": "ACCESS_DENIED"},
    {"state": "COMPLETED", "dest": "account", "size": "huge"},
)

#: The first jobs of every (restore, region, day).
COVERAGE_RESTORE: Tuple[Dict[str, Any], ...] = (
    {"state": "COMPLETED", "at": "start", "testing": 0, "validation": "SUCCESSFUL", "deletion": "SUCCESSFUL"},
    {"state": "FAILED", "at": "end", "msg": MSG_COMMA_QUOTES},
    {"state": "PENDING"},
    {"state": "RUNNING", "testing": 0},
    {"state": "ABORTED", "msg": MSG_TAB_LF},
    {"state": "COMPLETED", "testing": 0, "validation": "FAILED", "vmsg": MSG_BACKSLASH, "deletion": "FAILED",
     "dmsg": MSG_CRLF},
    {"state": "COMPLETED", "testing": 1, "validation": "TIMED_OUT",
     "vmsg": "Validation did not finish within the 2 hour window", "deletion": "DELETING"},
    {"state": "COMPLETED", "testing": 1, "validation": "VALIDATING"},
    {"state": "COMPLETED", "size": "big"},
    {"state": "FAILED", "msg": MSG_NON_ASCII},
    {"state": "FAILED", "msg": MSG_WS_RUN},
    {"state": "COMPLETED", "parent": 2},
    {"state": "COMPLETED", "child_of": 11},
    {"state": "COMPLETED", "child_of": 11},
)

COVERAGE = {"backup": COVERAGE_BACKUP, "copy": COVERAGE_COPY, "restore": COVERAGE_RESTORE}


# --------------------------------------------------------------------------- the story (the demo's month)
#
# A believable organisation rather than a test bench: each resource of a pool (a few per
# account and region) is backed up once a day in its plan's window and a few percent of those
# backups fail; one account's backups all fail for two days (``OrgSpec.incident``, a KMS key
# disabled); copies follow the day's completed backups; restore tests mostly pass; the two
# resources per account and region that only ever fail (coverage) stay, so that the resources
# without a recent success are a handful, each with a reason.

#: Chance of each outcome of a pool backup that is not part of the incident.
STORY_BACKUP_OUTCOMES = (("FAILED", 0.015), ("EXPIRED", 0.004), ("ABORTED", 0.003), ("ISSUE", 0.02))
INCIDENT_MESSAGE = _FAIL_MESSAGES[4]  # a KMS key disabled: every backup of the account fails


def _pool_range(spec: OrgSpec, job_type: str) -> range:
    """The job indices of a story chunk after its coverage jobs: ``jobs_per_day`` in all."""
    low = len(COVERAGE[job_type])
    always = sum(1 for props in COVERAGE[job_type] if "failing" in props)
    return range(low, low + max(spec.jobs_per_day(job_type) - always, 0))


def pool_resource(spec: OrgSpec, region: str, p: int) -> _Resource:
    """Resource ``p`` of the region's pool: accounts in turn, each account's resources in order."""
    accounts = spec.account_ids
    account = accounts[p % len(accounts)]
    resources = _env(spec.seed, account, region).resources
    return resources[(p // len(accounts)) % len(resources)]


def pool_size(spec: OrgSpec) -> int:
    """How many distinct resources a region's pool backs up every day."""
    n = len(_pool_range(spec, "backup"))
    return min(n, len(spec.accounts) * 30)


def in_incident(spec: OrgSpec, account: str, day: date) -> bool:
    """Whether ``account``'s backups all fail on ``day`` (the story's incident)."""
    if not spec.story or spec.incident is None:
        return False
    who, first, days = spec.incident
    return account == who and first <= day < first + timedelta(days=days)


def story_props(spec: OrgSpec, job_type: str, region: str, day: date, p: int, r: random.Random
                ) -> Dict[str, Any]:
    """The properties of slot ``p`` of a story chunk."""
    x = r.random()
    if job_type == "backup":
        p = p % max(pool_size(spec), 1)  # more slots than resources: the pool again (hourly plans)
        res = pool_resource(spec, region, p)
        props: Dict[str, Any] = {"pool": p, "at": "window", "offset": (p * 53_000) % 3_600_000 + r.randrange(600_000)}
        if in_incident(spec, res.account, day):
            return dict(props, state="FAILED", msg=INCIDENT_MESSAGE[0].format(account=res.account, region=region),
                        cat=INCIDENT_MESSAGE[1])
        for outcome, chance in STORY_BACKUP_OUTCOMES:
            if x < chance:
                if outcome == "ISSUE":
                    return dict(props, state="COMPLETED", issue=True)
                if outcome == "FAILED" and r.random() < 0.3:  # now and then a message that stresses CSV
                    return dict(props, state="FAILED", msg=SPECIAL_MESSAGES[r.randrange(len(SPECIAL_MESSAGES))],
                                cat="INTERNAL_ERROR")
                return dict(props, state=outcome) if outcome == "FAILED" else dict(
                    props, state=outcome, msg=("The backup job did not start within the start window."
                                               if outcome == "EXPIRED" else "Backup job was stopped by the user."),
                    cat=outcome)
            x -= chance
        return dict(props, state="COMPLETED")
    if job_type == "copy":
        dest = ("region", "region", "account", "both")[r.randrange(4)]
        return {"state": "FAILED" if x < 0.02 else "COMPLETED", "dest": dest}
    res_p = r.randrange(max(pool_size(spec), 1))
    if x < 0.7:  # a restore test: it mostly passes
        state = "FAILED" if r.random() < 0.03 else "COMPLETED"
        props = {"state": state, "pool": res_p, "testing": r.randrange(2)}
        if state == "COMPLETED":
            v = r.random()
            props["validation"] = "SUCCESSFUL" if v < 0.95 else ("FAILED" if v < 0.98 else "TIMED_OUT")
            props["deletion"] = "SUCCESSFUL"
        return props
    y = r.random()  # an ad-hoc restore
    return {"state": "COMPLETED" if y < 0.95 else ("FAILED" if y < 0.99 else "ABORTED"), "pool": res_p}


def _as_of(job: Dict[str, Any], now: float, job_type: str) -> Dict[str, Any]:
    """``job`` as listed at ``now``: still RUNNING when it completes later."""
    completion = job.get("CompletionDate")
    if completion is None or completion <= now:
        return job
    out = {k: v for k, v in job.items() if k not in (
        "CompletionDate", "MessageCategory", "StatusMessage", "ValidationStatus", "ValidationStatusMessage",
        "DeletionStatus", "DeletionStatusMessage", "CreatedResourceArn", "RecoveryPointLifecycle")}
    out[STATUS_FIELD[job_type]] = "RUNNING"
    if "PercentDone" in out:
        out["PercentDone"] = "50.00%" if job_type == "restore" else "50.0"
    return out


# --------------------------------------------------------------------------- chunk builders


class _Chunk:
    """Builds the jobs of one (job type, region, day); job ``i`` is a pure function of i."""

    def __init__(self, spec: OrgSpec, job_type: str, region: str, day: date):
        if job_type not in JOB_TYPES:
            raise ValueError(f"job_type must be one of {JOB_TYPES}, not {job_type!r}")
        self.spec = spec
        self.job_type = job_type
        self.region = region
        self.day = day
        self.count = spec.jobs_per_day(job_type)
        self.day_ms = calendar.timegm(day.timetuple()) * 1000
        self.base = _hash_int(spec.seed, job_type, region, day.isoformat()) << 32
        self.rng = random.Random()
        self.accounts = spec.account_ids
        others = [x for x in spec.regions if x != region]
        self.other_regions = others or ["us-west-2" if region != "us-west-2" else "us-east-2"]
        self.cover = COVERAGE[job_type]
        self._backup_chunk: Optional[_Chunk] = None
        self._cache: Dict[int, Dict[str, Any]] = {}
        # Story: no coverage but the resources that only ever fail; then one job per slot of
        # the pool (a backup per pool resource, a copy or a restore of one).
        self.indices = list(range(self.count)) if not spec.story else \
            [k for k, props in enumerate(self.cover) if "failing" in props] + \
            list(_pool_range(spec, job_type))

    # -- shared helpers
    def _rng(self, i: int) -> random.Random:
        self.rng.seed(self.base | i)
        return self.rng

    def _account(self, i: int, r: random.Random) -> str:
        if i < len(self.cover) or len(self.accounts) == 1:
            return self.accounts[i % len(self.accounts)]
        return self.accounts[r.randrange(len(self.accounts))]

    def _created_ms(self, props: Dict[str, Any], r: random.Random) -> int:
        at = props.get("at")
        if at == "window":  # a backup plan's daily window, from 05:00 UTC
            return self.day_ms + 5 * 3_600_000 + props["offset"]
        if at == "start":
            return self.day_ms + 500
        if at == "end":
            return self.day_ms + 86_399_500
        return self.day_ms + r.randrange(86_400_000)

    def _size(self, props: Dict[str, Any], r: random.Random) -> int:
        size = props.get("size")
        if size == "big":
            return 4 * GIB + 1 + r.randrange(8 * GIB)
        if size == "huge":
            return 2 * 1024 * GIB + r.randrange(1024 * GIB)
        return _random_size(r)

    def _central_account(self, account: str) -> str:
        others = [a for a in self.accounts if a != account]
        return others[-1] if others else "210987654321"

    def build(self, i: int) -> Dict[str, Any]:
        cached = self._cache.get(i)
        if cached is not None:
            return cached
        job = getattr(self, "_" + self.job_type)(i)
        if i < len(self.cover):  # parents are read by their children: keep the few coverage jobs
            self._cache[i] = dict(job)
        return job

    def jobs(self) -> Iterator[Dict[str, Any]]:
        now = None if self.spec.now is None else self.spec.now.timestamp()
        for i in self.indices:
            job = self.build(i)
            if now is None:
                yield job
            elif job["CreationDate"] <= now:  # nothing created after the clock
                yield _as_of(job, now, self.job_type)

    def _props(self, i: int, r: random.Random) -> Dict[str, Any]:
        if i < len(self.cover):
            return self.cover[i]
        if self.spec.story:
            return story_props(self.spec, self.job_type, self.region, self.day, i - len(self.cover), r)
        return self._random_props(r)

    def _random_props(self, r: random.Random) -> Dict[str, Any]:
        x = r.random()
        if self.job_type == "backup":
            if x < 0.80:
                return {"state": "COMPLETED"} if r.random() > 0.04 else {"state": "COMPLETED", "issue": True}
            if x < 0.89:
                return {"state": "FAILED"}
            if x < 0.92:
                return {"state": "EXPIRED", "msg": "The backup job did not start within the start window.",
                        "cat": "EXPIRED"}
            if x < 0.94:
                return {"state": "ABORTED", "msg": "Backup job was stopped by the user.", "cat": "ABORTED"}
            if x < 0.97:
                return {"state": "RUNNING"}
            return {"state": ("CREATED", "PENDING", "ABORTING")[r.randrange(3)]}
        if self.job_type == "copy":
            dest = ("region", "region", "account", "both")[r.randrange(4)]
            if x < 0.85:
                return {"state": "COMPLETED", "dest": dest}
            if x < 0.95:
                return {"state": "FAILED", "dest": dest}
            return {"state": ("CREATED", "RUNNING")[r.randrange(2)], "dest": dest}
        testing = r.random() < 0.4
        props: Dict[str, Any] = {}
        if x < 0.85:
            props["state"] = "COMPLETED"
        elif x < 0.93:
            props["state"] = "FAILED"
        elif x < 0.95:
            props["state"] = "ABORTED"
        else:
            props["state"] = ("PENDING", "RUNNING")[r.randrange(2)]
        if testing:
            props["testing"] = r.randrange(2)
            if props["state"] == "COMPLETED":
                props["validation"] = "SUCCESSFUL" if r.random() < 0.9 else "FAILED"
                props["deletion"] = "SUCCESSFUL"
        return props

    # -- backup
    def _backup(self, i: int) -> Dict[str, Any]:
        r = self._rng(i)
        job_id = _guid(r)
        props = self._props(i, r)
        parent: Optional[Dict[str, Any]] = None
        if "child_of" in props:
            parent = self.build(props["child_of"])
            r = self._rng(i)  # building the parent re-seeded the generator
            _guid(r)
            account = parent["AccountId"]
        else:
            account = self._account(i, r)
        region = self.region
        env = _env(self.spec.seed, account, region)
        state = props["state"]

        if "pool" in props:
            res = pool_resource(self.spec, region, props["pool"])
            account, env = res.account, _env(self.spec.seed, res.account, region)
        if "failing" in props:
            res = env.failing[props["failing"]]
        elif "pool" in props:
            pass
        elif "parent" in props:
            res = env.stacks[i % len(env.stacks)]
        elif "rtype" in props:
            res = next((x for x in env.resources if x.type == props["rtype"]), None) or \
                _resource(r, props["rtype"], account, region, f"{props['rtype'].lower()}-coverage")
        else:
            res = env.resources[r.randrange(len(env.resources))]
        if parent is not None:
            created_ms = int(round(parent["CreationDate"] * 1000)) + 1000 + r.randrange(60_000)
        else:
            created_ms = self._created_ms(props, r)
        vault_name, vault_arn, vault_type, lock = env.vaults[0 if r.random() < 0.3 else
                                                             (2 if r.random() < 0.05 else 1)]
        if parent is not None:
            vault_name, vault_arn = parent["BackupVaultName"], parent["BackupVaultArn"]
            vault_type, lock = parent["VaultType"], parent.get("VaultLockState")
        plan = env.plans[r.randrange(len(env.plans))] if r.random() < 0.97 or parent else None
        if parent is not None:
            plan = parent.get("CreatedBy")

        job: Dict[str, Any] = {"AccountId": account, "BackupJobId": job_id, "BackupVaultName": vault_name,
                               "BackupVaultArn": vault_arn, "VaultType": vault_type}
        if lock:
            job["VaultLockState"] = lock
        has_rp = state in ("COMPLETED", "RUNNING", "PARTIAL", "ABORTING")
        if has_rp and res.type != "CloudFormation":
            job["RecoveryPointArn"] = _recovery_point_arn(r, res, region, account, job_id)
        elif has_rp:
            job["RecoveryPointArn"] = f"arn:aws:backup:{region}:{account}:recovery-point:{_uuid_lower(r)}"
        if state in ("COMPLETED", "PARTIAL"):
            job["RecoveryPointLifecycle"] = _lifecycle(r)
        job["EncryptionKeyArn"] = env.kms_key
        job["IsEncrypted"] = True
        job["ResourceArn"] = res.arn
        job["CreationDate"] = created_ms / 1000.0
        duration_ms = 30_000 + int(r.expovariate(1 / 1_800_000.0))
        final = state in FINAL_STATES["backup"]
        if final:
            if state == "EXPIRED":
                duration_ms = 8 * 3_600_000
            job["CompletionDate"] = (created_ms + duration_ms) / 1000.0
        job["State"] = state
        message, category = props.get("msg"), props.get("cat")
        if state == "COMPLETED" and props.get("issue"):
            message, category = _ISSUE_MESSAGES[r.randrange(len(_ISSUE_MESSAGES))]
        if state == "FAILED" and message is None:
            template, category = _FAIL_MESSAGES[r.randrange(len(_FAIL_MESSAGES))]
            message = template.format(account=account, region=region, name=res.name)
        if state == "COMPLETED" and category is None:
            category = "SUCCESS"
        if message is not None:
            job["StatusMessage"] = message
        size = self._size(props, r)
        if state in ("COMPLETED", "PARTIAL"):
            percent, transferred = "100.0", size
        elif state in ("RUNNING", "ABORTING"):
            p = r.randrange(1, 99)
            percent, transferred = f"{p}.0", size * p // 100
        else:
            percent, transferred = "0.0", 0
            size = 0
        job["PercentDone"] = percent
        job["BackupSizeInBytes"] = size
        job["IamRoleArn"] = env.role
        if plan is not None:
            job["CreatedBy"] = dict(plan)
        if state in ("RUNNING", "PENDING", "CREATED", "ABORTING"):
            job["ExpectedCompletionDate"] = (created_ms + duration_ms + 600_000) / 1000.0
        job["StartBy"] = (created_ms + 8 * 3_600_000) / 1000.0
        job["ResourceType"] = res.type
        job["BytesTransferred"] = transferred
        if res.type == "EC2":
            vss = props.get("vss") or r.random() < 0.2
            job["BackupOptions"] = {"WindowsVSS": "enabled" if vss else "disabled"}
            if vss:
                job["BackupType"] = "WindowsVSS"
        if parent is not None:
            job["ParentJobId"] = parent["BackupJobId"]
        job["IsParent"] = "parent" in props
        job["ResourceName"] = res.name
        if state != "CREATED":
            job["InitiationDate"] = (created_ms + 1_000 + r.randrange(120_000)) / 1000.0
        if category is not None and (final or message is not None):
            job["MessageCategory"] = category
        if parent is not None:  # children protect the stack's members
            member = env.resources[i % len(env.resources)]
            job["ResourceArn"], job["ResourceType"], job["ResourceName"] = member.arn, member.type, member.name
            if "RecoveryPointArn" in job:
                job["RecoveryPointArn"] = _recovery_point_arn(r, member, region, account, job_id)
        return job

    # -- copy
    def _source_backup(self, i: int, r: random.Random) -> Optional[Tuple[Dict[str, Any], int]]:
        """A completed backup job of the same region and day to copy, and the copy's creation (ms)."""
        n = self.spec.backup_jobs_per_day
        low = len(COVERAGE_BACKUP)
        if self.spec.story:  # the pool's daily backups
            pool = _pool_range(self.spec, "backup")
            low, n = pool.start, pool.stop
        if n <= low:
            return None
        if self._backup_chunk is None:
            self._backup_chunk = _Chunk(self.spec, "backup", self.region, self.day)
        start = low + r.randrange(n - low)
        for k in range(6):
            j = low + (start - low + k) % (n - low)
            b = self._backup_chunk.build(j)
            if b["State"] == "COMPLETED":
                created_ms = int(round(b["CompletionDate"] * 1000)) + 60_000 + r.randrange(600_000)
                if created_ms < self.day_ms + 86_400_000:
                    return b, created_ms
        return None

    def _copy(self, i: int) -> Dict[str, Any]:
        r = self._rng(i)
        job_id = _guid(r)
        props = self._props(i, r)
        parent: Optional[Dict[str, Any]] = None
        source: Optional[Dict[str, Any]] = None
        created_ms = 0
        if "child_of" in props:
            parent = self.build(props["child_of"])
            r = self._rng(i)
            _guid(r)
            account = parent["AccountId"]
        else:
            account = self._account(i, r)
            if i >= len(self.cover):
                found = self._source_backup(i, r)
                if found is not None:
                    source, created_ms = found
                    account = source["AccountId"]
        region = self.region
        env = _env(self.spec.seed, account, region)
        state = props["state"]
        dest_kind = props.get("dest") or (parent and "both") or "region"
        dest_region = self.other_regions[i % len(self.other_regions)] if dest_kind in ("region", "both") \
            else region
        dest_account = self._central_account(account) if dest_kind in ("account", "both") else account
        dest_vault = "dr-vault" if dest_account == account else "central-backup-vault"
        if parent is not None:
            created_ms = int(round(parent["CreationDate"] * 1000)) + 1000 + r.randrange(60_000)
        elif source is None:
            created_ms = self._created_ms(props, r)

        if source is not None:
            res_arn, res_type, res_name = source["ResourceArn"], source["ResourceType"], source["ResourceName"]
            src_vault, src_rp = source["BackupVaultArn"], source["RecoveryPointArn"]
            plan, by_job = source.get("CreatedBy"), source["BackupJobId"]
            size = source["BackupSizeInBytes"]
        else:
            if "parent" in props:
                res = env.stacks[i % len(env.stacks)]
            elif parent is not None:
                res = env.resources[i % len(env.resources)]
            else:
                res = env.resources[r.randrange(len(env.resources))]
            res_arn, res_type, res_name = res.arn, res.type, res.name
            src_vault = env.vaults[1][1]
            src_rp = _recovery_point_arn(r, res, region, account, _guid(r))
            plan = env.plans[r.randrange(len(env.plans))]
            by_job = _guid(r)
            size = self._size(props, r)
        if parent is not None:
            plan = parent.get("CreatedBy")

        job: Dict[str, Any] = {"AccountId": account, "CopyJobId": job_id, "SourceBackupVaultArn": src_vault,
                               "SourceRecoveryPointArn": src_rp,
                               "DestinationBackupVaultArn":
                                   f"arn:aws:backup:{dest_region}:{dest_account}:backup-vault:{dest_vault}",
                               "DestinationVaultType": "BACKUP_VAULT"}
        if state in ("COMPLETED", "PARTIAL"):
            if res_type == "EBS":
                job["DestinationRecoveryPointArn"] = f"arn:aws:ec2:{dest_region}::snapshot/snap-{_hex(r)}"
            elif res_type == "EC2":
                job["DestinationRecoveryPointArn"] = f"arn:aws:ec2:{dest_region}::image/ami-{_hex(r)}"
            else:
                job["DestinationRecoveryPointArn"] = \
                    f"arn:aws:backup:{dest_region}:{dest_account}:recovery-point:{_uuid_lower(r)}"
        job["DestinationEncryptionKeyArn"] = f"arn:aws:kms:{dest_region}:{dest_account}:key/{_uuid_lower(r)}"
        job["DestinationRecoveryPointLifecycle"] = _lifecycle(r)
        job["ResourceArn"] = res_arn
        job["CreationDate"] = created_ms / 1000.0
        if state in FINAL_STATES["copy"]:
            job["CompletionDate"] = (created_ms + 60_000 + int(r.expovariate(1 / 1_200_000.0))) / 1000.0
        job["State"] = state
        message, category = props.get("msg"), props.get("cat")
        if state == "FAILED" and message is None:
            template, category = _COPY_FAIL_MESSAGES[r.randrange(len(_COPY_FAIL_MESSAGES))]
            message = template.format(dest=job["DestinationBackupVaultArn"], account=account)
        if state == "COMPLETED" and category is None:
            category = "SUCCESS"
        if message is not None:
            job["StatusMessage"] = message
        job["BackupSizeInBytes"] = size if state != "CREATED" else 0
        job["IamRoleArn"] = env.role
        if plan is not None:
            job["CreatedBy"] = dict(plan)
        job["CreatedByBackupJobId"] = by_job
        job["ResourceType"] = res_type
        if parent is not None:
            job["ParentJobId"] = parent["CopyJobId"]
            job["CompositeMemberIdentifier"] = f"{res_name.replace('-', '').replace('_', '').title()}Resource"
        job["IsParent"] = "parent" in props
        if "parent" in props:
            children = [self.cover[k]["state"] for k in range(i + 1, i + 1 + props["parent"])]
            job["NumberOfChildJobs"] = len(children)
            counts: Dict[str, int] = {}
            for s in children:
                counts[s] = counts.get(s, 0) + 1
            job["ChildJobsInState"] = counts
        job["ResourceName"] = res_name
        if category is not None and (state in FINAL_STATES["copy"] or message is not None):
            job["MessageCategory"] = category
        return job

    # -- restore
    def _restore(self, i: int) -> Dict[str, Any]:
        r = self._rng(i)
        job_id = _guid(r)
        props = self._props(i, r)
        parent: Optional[Dict[str, Any]] = None
        if "child_of" in props:
            parent = self.build(props["child_of"])
            r = self._rng(i)
            _guid(r)
            account = parent["AccountId"]
        else:
            account = self._account(i, r)
        region = self.region
        env = _env(self.spec.seed, account, region)
        state = props["state"]
        if "pool" in props:
            res = pool_resource(self.spec, region, props["pool"])
            account, env = res.account, _env(self.spec.seed, res.account, region)
        elif "parent" in props:
            res = env.stacks[i % len(env.stacks)]
        elif parent is not None:
            res = env.resources[i % len(env.resources)]
        else:
            res = env.resources[r.randrange(len(env.resources))]
        created_ms = (int(round(parent["CreationDate"] * 1000)) + 1000 + r.randrange(60_000)) \
            if parent is not None else self._created_ms(props, r)
        rp_created_ms = created_ms - (1 + r.randrange(30)) * 86_400_000 + r.randrange(86_400_000)
        vault = env.vaults[r.randrange(2)][1]
        size = self._size(props, r)

        job: Dict[str, Any] = {"AccountId": account, "RestoreJobId": job_id,
                               "RecoveryPointArn": _recovery_point_arn(r, res, region, account, _guid(r)),
                               "SourceResourceArn": res.arn, "BackupVaultArn": vault,
                               "CreationDate": created_ms / 1000.0}
        final = state in FINAL_STATES["restore"]
        if final:
            job["CompletionDate"] = (created_ms + 120_000 + int(r.expovariate(1 / 2_400_000.0))) / 1000.0
        job["Status"] = state
        message = props.get("msg")
        if state == "FAILED" and message is None:
            message = _RESTORE_FAIL_MESSAGES[r.randrange(len(_RESTORE_FAIL_MESSAGES))]
        if state == "ABORTED" and message is None:
            message = "Restore job was stopped by the user."
        if message is not None:
            job["StatusMessage"] = message
        if state == "COMPLETED":
            job["PercentDone"] = "100.00%"
        elif state == "RUNNING":
            job["PercentDone"] = f"{r.randrange(1, 99)}.00%"
        else:
            job["PercentDone"] = "0.00%"
        job["BackupSizeInBytes"] = size
        job["IamRoleArn"] = env.role
        job["ExpectedCompletionTimeMinutes"] = 5 + r.randrange(180)
        if state == "COMPLETED":
            job["CreatedResourceArn"] = _new_resource_arn(r, res, region, account)
        job["ResourceType"] = res.type
        job["RecoveryPointCreationDate"] = rp_created_ms / 1000.0
        job["IsParent"] = "parent" in props
        if parent is not None:
            job["ParentJobId"] = parent["RestoreJobId"]
        if "testing" in props:
            job["CreatedBy"] = {"RestoreTestingPlanArn": env.restore_plans[props["testing"] % 2]}
            validation = props.get("validation")
            if validation:
                job["ValidationStatus"] = validation
                if props.get("vmsg"):
                    job["ValidationStatusMessage"] = props["vmsg"]
                elif validation == "FAILED":
                    job["ValidationStatusMessage"] = "Validation script exited with status 1"
            deletion = props.get("deletion")
            if deletion:
                job["DeletionStatus"] = deletion
                if props.get("dmsg"):
                    job["DeletionStatusMessage"] = props["dmsg"]
        return job


# --------------------------------------------------------------------------- public API


def iter_jobs(spec: OrgSpec, job_type: str, region: str, day: date) -> Iterator[Dict[str, Any]]:
    """The jobs of one job type, region and UTC day (created that day, coverage jobs first)."""
    return _Chunk(spec, job_type, region, day).jobs()


def iter_chunks(spec: OrgSpec, job_types: Sequence[str] = JOB_TYPES
                ) -> Iterator[Tuple[str, str, date, List[Dict[str, Any]]]]:
    """``(job_type, region, day, jobs)`` for every job type x region x day, one at a time."""
    for job_type in job_types:
        for region in spec.regions:
            for day in spec.day_list:
                yield job_type, region, day, list(iter_jobs(spec, job_type, region, day))


def generate(spec: OrgSpec, job_types: Sequence[str] = JOB_TYPES) -> Dict[Tuple[str, str], List[Dict[str, Any]]]:
    """Every job, by ``(job_type, region)`` (a key for every type x region, lists possibly empty)."""
    out: Dict[Tuple[str, str], List[Dict[str, Any]]] = {(t, r): [] for t in job_types for r in spec.regions}
    for job_type, region, _day, jobs in iter_chunks(spec, job_types):
        out[(job_type, region)].extend(jobs)
    return out


def job_type_of(job: Dict[str, Any]) -> str:
    """``backup``, ``copy`` or ``restore``, from the job's id field."""
    for job_type, id_field in ID_FIELD.items():
        if id_field in job:
            return job_type
    raise ValueError("not an AWS Backup job: no BackupJobId, CopyJobId or RestoreJobId")


def is_final(job: Dict[str, Any]) -> bool:
    job_type = job_type_of(job)
    return job[STATUS_FIELD[job_type]] in FINAL_STATES[job_type]


def _settle_one(job: Dict[str, Any], seed: int) -> Dict[str, Any]:
    job_type = job_type_of(job)
    status_field = STATUS_FIELD[job_type]
    state = job[status_field]
    if state in FINAL_STATES[job_type]:
        return copy.deepcopy(job)
    r = random.Random(f"{seed}|settle|{job_type}|{job[ID_FIELD[job_type]]}")
    out = copy.deepcopy(job)
    created = float(job["CreationDate"])
    x = r.random()
    if job_type == "backup":
        if state == "ABORTING":
            new = "ABORTED"
        elif state in ("CREATED", "PENDING") and x < 0.2:
            new = "EXPIRED"
        else:
            new = "COMPLETED" if x < 0.85 else "FAILED"
    elif job_type == "copy":
        new = "COMPLETED" if x < 0.85 else "FAILED"
    else:
        new = "COMPLETED" if x < 0.85 else "FAILED"
    out[status_field] = new
    completion_ms = int(round(created * 1000)) + 60_000 + int(r.expovariate(1 / 1_800_000.0))
    if new == "EXPIRED":
        completion_ms = int(round(created * 1000)) + 8 * 3_600_000
    out["CompletionDate"] = completion_ms / 1000.0
    out.pop("ExpectedCompletionDate", None)
    if new == "COMPLETED":
        size = int(out.get("BackupSizeInBytes") or 0) or _random_size(r)
        out["BackupSizeInBytes"] = size
        out.pop("StatusMessage", None)
        if job_type == "backup":
            out["PercentDone"] = "100.0"
            out["BytesTransferred"] = size
            out.setdefault("RecoveryPointLifecycle", _lifecycle(r))
            if "RecoveryPointArn" not in out:
                out["RecoveryPointArn"] = (f"arn:aws:backup:{_arn_region(out)}:{out['AccountId']}:"
                                           f"recovery-point:{_uuid_lower(r)}")
            out["MessageCategory"] = "SUCCESS"
        elif job_type == "copy":
            out["MessageCategory"] = "SUCCESS"
        else:
            out["PercentDone"] = "100.00%"
            if out.get("ValidationStatus") in (None, "VALIDATING") and "CreatedBy" in out:
                out["ValidationStatus"] = "SUCCESSFUL"
            if out.get("DeletionStatus") in (None, "DELETING") and "CreatedBy" in out:
                out["DeletionStatus"] = "SUCCESSFUL"
    elif new == "FAILED":
        out["StatusMessage"] = "The job failed after it was retried: an internal error occurred."
        if job_type != "restore":
            out["MessageCategory"] = "INTERNAL_ERROR"
    elif new == "EXPIRED":
        out["StatusMessage"] = "The backup job did not start within the start window."
        out["MessageCategory"] = "EXPIRED"
    else:  # ABORTED
        out["StatusMessage"] = "Backup job was stopped by the user."
        out["MessageCategory"] = "ABORTED"
    return out


def _arn_region(job: Dict[str, Any]) -> str:
    arn = str(job.get("BackupVaultArn") or job.get("SourceBackupVaultArn") or "")
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else "us-east-1"


JobsT = Union[List[Dict[str, Any]], Dict[Any, List[Dict[str, Any]]]]


def settle(jobs: JobsT, seed: int = 0) -> JobsT:
    """A copy of ``jobs`` where every job in a non-final state moved to a final one.

    ``jobs`` is a list of job dicts, or a :func:`generate`-style dict of lists. Jobs already
    final are copied unchanged; the outcome of each is a deterministic function of
    ``seed`` and its id: backups CREATED/PENDING become COMPLETED, FAILED or EXPIRED,
    RUNNING become COMPLETED or FAILED, ABORTING become ABORTED; copies and restores become
    COMPLETED or FAILED (restore tests' VALIDATING/DELETING become SUCCESSFUL).
    """
    if isinstance(jobs, dict):
        return {key: [_settle_one(j, seed) for j in value] for key, value in jobs.items()}
    return [_settle_one(j, seed) for j in jobs]


def to_datetime(epoch_seconds: float) -> datetime:
    """An API timestamp (epoch seconds) as botocore returns it (aware, UTC)."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc)


# --------------------------------------------------------------------------- AWS Config inventory
#
# The organisation's resources as an AWS Config aggregator reports them (the items of
# ``SelectAggregateResourceConfig``): every resource the generated backup jobs name, plus per
# account and region one or two resources no job ever protected ("never"), per account one whose
# daily backups stopped ``STOPPED_DAYS`` days before the last day ("stopped", its jobs in
# ``Inventory.jobs``), per account and region an Aurora cluster member instance (AWS Backup protects its cluster, never the instance) and a
# security group (a type AWS Backup does not protect). A pure function of the spec (and jobs).

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


def _config_item(res: _Resource, region: str, r: random.Random, first_seen: date) -> Dict[str, Any]:
    """One resource as AWS Config's advanced query returns it (ids, ARN, tags, engine)."""
    config_type, engine = CONFIG_FORM[res.type]
    tail = res.arn.rsplit("/", 1)[-1] if "/" in res.arn else res.arn.rsplit(":", 1)[-1]
    resource_id = {"RDS": f"db-{_hex(r, 26).upper()}", "Aurora": f"cluster-{_hex(r, 26).upper()}",
                   "DocumentDB": f"cluster-{_hex(r, 26).upper()}", "Neptune": f"cluster-{_hex(r, 26).upper()}",
                   "DynamoDB": res.name, "S3": res.name, "Redshift": res.name,
                   "CloudFormation": res.arn}.get(res.type, tail)
    env = next((e for e in _ENVS if f"-{e}-" in f"-{res.name}-" or f"_{e}_" in res.name), "shared")
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


def _daily_backup(spec: OrgSpec, res: _Resource, region: str, day: date) -> Dict[str, Any]:
    """A completed daily backup job of ``res`` on ``day`` (05:00 UTC, the org-daily plan)."""
    r = random.Random(f"{spec.seed}|daily|{res.arn}|{day.isoformat()}")
    env = _env(spec.seed, res.account, region)
    created = calendar.timegm(day.timetuple()) + 5 * 3600 + r.randrange(600)
    job_id = _guid(r)
    vault_name, vault_arn, vault_type, _lock = env.vaults[1]
    size = _random_size(r)
    return {"AccountId": res.account, "BackupJobId": job_id, "BackupVaultName": vault_name,
            "BackupVaultArn": vault_arn, "VaultType": vault_type,
            "RecoveryPointArn": _recovery_point_arn(r, res, region, res.account, job_id),
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
            res = _Resource(job["ResourceType"], job["ResourceArn"], job.get("ResourceName") or "",
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
                res = _resource(r, rtype, account, region, name.replace("-", "_") if rtype == "DynamoDB" else name)
                items[res.arn] = _config_item(res, region, r, first_seen)
                never.append(res.arn)
                types[res.arn] = rtype
            if m == n % len(spec.regions):  # one per account
                res = _resource(r, "EFS" if n % 2 else "EBS", account, region, f"{STOPPED_MARKER}-{account[-4:]}")
                items[res.arn] = _config_item(res, region, r, first_seen)
                stopped.append(res.arn)
                types[res.arn] = res.type
                extra_jobs.setdefault(("backup", region), []).extend(
                    _daily_backup(spec, res, region, d) for d in spec.day_list if d <= last_backup)
            member = f"arn:aws:rds:{region}:{account}:db:aurora-member-{account[-4:]}-1"
            items[member] = {"accountId": account, "awsRegion": region, "resourceType": "AWS::RDS::DBInstance",
                             "resourceId": f"db-{_hex(r, 26).upper()}", "resourceName": member.rsplit(":", 1)[-1],
                             "arn": member, "configuration": {"engine": "aurora-postgresql"}, "tags": []}
            group = f"sg-{_hex(r)}"
            items[group] = {"accountId": account, "awsRegion": region, "resourceType": "AWS::EC2::SecurityGroup",
                            "resourceId": group, "arn": f"arn:aws:ec2:{region}:{account}:security-group/{group}",
                            "tags": []}
            other += [member, items[group]["arn"]]
    return Inventory(items=[items[k] for k in sorted(items)], jobs=extra_jobs, never=never, stopped=stopped,
                     not_protectable=other, types=types)
