"""What to generate (``OrgSpec``), and the names the API gives the four job types."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple, Union

from .org import default_accounts

JOB_TYPES = ("backup", "copy", "restore", "scan")
ID_FIELD = {"backup": "BackupJobId", "copy": "CopyJobId", "restore": "RestoreJobId", "scan": "ScanJobId"}
STATUS_FIELD = {"backup": "State", "copy": "State", "restore": "Status", "scan": "State"}
RESULT_KEY = {"backup": "BackupJobs", "copy": "CopyJobs", "restore": "RestoreJobs", "scan": "ScanJobs"}
OPERATION = {"backup": "ListBackupJobs", "copy": "ListCopyJobs", "restore": "ListRestoreJobs",
             "scan": "ListScanJobs"}
STATES = {
    "backup": ("CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"),
    "copy": ("CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"),
    "restore": ("PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"),
    "scan": ("CREATED", "RUNNING", "COMPLETED", "COMPLETED_WITH_ISSUES", "FAILED", "CANCELED"),
}
FINAL_STATES = {
    "backup": frozenset({"ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"}),
    "copy": frozenset({"COMPLETED", "FAILED", "PARTIAL"}),
    "restore": frozenset({"COMPLETED", "ABORTED", "FAILED"}),
    "scan": frozenset({"COMPLETED", "COMPLETED_WITH_ISSUES", "FAILED", "CANCELED"}),
}
DEFAULT_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
DEFAULT_FIRST_DAY = date(2026, 11, 20)


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
    scan_jobs_per_day: int = 20  # per region: malware scans of the day's recovery points

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
        for name in ("days", "backup_jobs_per_day", "copy_jobs_per_day", "restore_jobs_per_day", "scan_jobs_per_day"):
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
                "restore": self.restore_jobs_per_day, "scan": self.scan_jobs_per_day}[job_type]

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
                "now": None if self.now is None else self.now.isoformat(), "scan_jobs_per_day": self.scan_jobs_per_day}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "OrgSpec":
        known = {"accounts", "regions", "first_day", "days", "backup_jobs_per_day", "copy_jobs_per_day",
                 "restore_jobs_per_day", "seed", "story", "incident", "now", "scan_jobs_per_day"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown OrgSpec fields: {sorted(unknown)}")
        return cls(**{k: data[k] for k in known if k in data})

    @classmethod
    def from_json(cls, text: Union[str, bytes, Dict[str, Any]]) -> "OrgSpec":
        return cls.from_dict(text if isinstance(text, dict) else json.loads(text))
