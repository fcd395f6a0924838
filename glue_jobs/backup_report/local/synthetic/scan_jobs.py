"""Malware scan jobs, shaped as ``ListScanJobs`` returns them: GuardDuty scans of the day's recovery points.

A scan follows a completed backup of a type GuardDuty scans (EBS, EC2, S3) of the same region
and day, a few minutes after it, and scans its recovery point: in full, or incrementally
against an earlier recovery point of the resource. The coverage scans (and the scans of a day
with no such backup) scan a recovery point of their own. In the story, one resource is
infected: every daily scan of it finds threats (``infected``), so each night has one to announce.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .backup_jobs import BackupChunk
from .base import Chunk, Draft
from .coverage import COVERAGE_BACKUP
from .messages import SCAN_FAIL_MESSAGES, SCAN_ISSUE_MESSAGES
from .org import Env, Resource, guid, hex_digits, make_resource, recovery_point_arn, uuid_lower
from .spec import FINAL_STATES, OrgSpec
from .story import pool_range, pool_resource, pool_size

#: The resource types AWS Backup's malware scanning supports (ListScanJobs' ResourceType enum).
SCANNABLE = ("EBS", "EC2", "S3")
MALWARE_SCANNER = "GUARDDUTY"
#: The story's first scan of each day in its first region: the infected resource's backup.
INFECTED_SLOT = 0


def scanner_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/service-role/AWSBackupMalwareScanningRole"


def infected(spec: OrgSpec) -> Optional[Tuple[int, Resource]]:
    """The story's infected resource: the first scannable one of its first region's pool, outside
    the incident's account (pool slot, resource); None when the pool has none."""
    region = spec.regions[0]
    outside = spec.incident[0] if spec.incident else None
    for p in range(pool_size(spec)):
        res = pool_resource(spec, region, p)
        if res.type in ("EC2", "EBS") and res.account != outside:
            return p, res
    return None


class ScanChunk(Chunk):
    """The scan jobs of one region and day."""

    job_type = "scan"
    _backups: Optional[BackupChunk] = None

    def _job(self, i: int) -> Dict[str, Any]:
        d = self._draft(i)
        backup = self._scanned_backup(d)
        if backup is not None:
            d.account = backup["AccountId"]
            created_ms = int(round(backup["CompletionDate"] * 1000)) + 120_000 + d.r.randrange(600_000)
            res = Resource(backup["ResourceType"], backup["ResourceArn"], backup["ResourceName"], d.account,
                           self.region)
            vault, rp, plan = backup["BackupVaultArn"], backup["RecoveryPointArn"], backup.get("CreatedBy")
        else:
            created_ms = self._created_ms(d)
            res, vault, rp, plan = self._own_recovery_point(d)
        env = self._env(d.account)
        job = self._head(d, env, res, vault, rp, plan, created_ms)
        self._outcome(d, job, created_ms)
        return job

    def _created_ms(self, d: Draft) -> int:
        if d.props.get("at") == "late":  # finishes after midnight
            return self.day_ms + 84_600_000 + d.r.randrange(60_000)
        return super()._created_ms(d)

    # -- what is scanned
    def _backups_of_day(self) -> BackupChunk:
        if self._backups is None:
            self._backups = BackupChunk(self.spec, self.region, self.day)
        return self._backups

    def _scanned_backup(self, d: Draft) -> Optional[Dict[str, Any]]:
        """The completed backup of a scannable resource this scan follows (random and story scans)."""
        if d.i < len(self.cover):
            return None
        if self.spec.story:
            low, n = pool_range(self.spec, "backup").start, pool_range(self.spec, "backup").stop
        else:
            low, n = len(COVERAGE_BACKUP), self.spec.backup_jobs_per_day
        if n <= low:
            return None
        sick = infected(self.spec) if self.spec.story and self.region == self.spec.regions[0] else None
        if sick is not None and d.i - len(self.cover) == INFECTED_SLOT:
            backup = self._backups_of_day().build(low + sick[0])
            if backup["State"] == "COMPLETED":
                d.props = dict(d.props, state="COMPLETED", result="THREATS_FOUND")
                return backup
        start = low + d.r.randrange(n - low)
        for k in range(12):
            backup = self._backups_of_day().build(low + (start - low + k) % (n - low))
            if backup["State"] == "COMPLETED" and backup["ResourceType"] in SCANNABLE and (
                    sick is None or backup["ResourceArn"] != sick[1].arn):
                created = backup["CompletionDate"] * 1000 + 720_000
                if created < self.day_ms + 86_400_000:  # the scan is of the same day
                    return backup
        return None

    def _own_recovery_point(self, d: Draft) -> Tuple[Resource, str, str, Optional[Dict[str, Any]]]:
        """A resource of the coverage's type (else any scannable one), a vault, a recovery point, a plan."""
        env, r = self._env(d.account), d.r
        rtype = d.props.get("rtype") or SCANNABLE[r.randrange(len(SCANNABLE))]
        res = next((x for x in env.resources if x.type == rtype), None) or \
            make_resource(r, rtype, d.account, self.region, f"{rtype.lower()}-scanned")
        vault = env.vaults[1][1]
        rp = recovery_point_arn(r, res, self.region, d.account, d.job_id)
        if res.type == "S3":
            rp = f"arn:aws:backup:{self.region}:{d.account}:recovery-point:{uuid_lower(r)}"
        return res, vault, rp, env.plans[r.randrange(len(env.plans))]

    # -- the job
    def _head(self, d: Draft, env: Env, res: Resource, vault: str, rp: str, plan: Optional[Dict[str, Any]],
              created_ms: int) -> Dict[str, Any]:
        r = d.r
        mode = d.props.get("mode") or ("INCREMENTAL_SCAN" if r.random() < 0.7 else "FULL_SCAN")
        job: Dict[str, Any] = {"AccountId": d.account, "ScanJobId": d.job_id, "BackupVaultArn": vault,
                               "BackupVaultName": vault.rsplit(":", 1)[-1], "CreationDate": created_ms / 1000.0,
                               "IamRoleArn": env.role, "MalwareScanner": MALWARE_SCANNER, "RecoveryPointArn": rp,
                               "ResourceArn": res.arn, "ResourceName": res.name, "ResourceType": res.type,
                               "ScanMode": mode, "ScannerRoleArn": scanner_role(d.account)}
        if plan is not None:
            job["CreatedBy"] = {k: plan[k] for k in ("BackupPlanArn", "BackupPlanId", "BackupPlanVersion",
                                                     "BackupRuleId") if k in plan}
        if mode == "INCREMENTAL_SCAN":
            base = recovery_point_arn(r, res, self.region, d.account, guid(r)) if res.type != "S3" else \
                f"arn:aws:backup:{self.region}:{d.account}:recovery-point:{uuid_lower(r)}"
            job["ScanBaseRecoveryPointArn"] = base
        return job

    def _outcome(self, d: Draft, job: Dict[str, Any], created_ms: int) -> None:
        """State, the scanner's id, completion, result and message."""
        r, state, props = d.r, d.state, d.props
        job["State"] = state
        if state != "CREATED":
            job["ScanId"] = hex_digits(r, 32)
        if state in FINAL_STATES["scan"]:
            job["CompletionDate"] = (created_ms + 300_000 + int(r.expovariate(1 / 1_500_000.0))) / 1000.0
            if props.get("at") == "late":
                job["CompletionDate"] = (self.day_ms + 86_400_000 + 600_000 + r.randrange(600_000)) / 1000.0
        if state in ("COMPLETED", "COMPLETED_WITH_ISSUES"):
            job["ScanResult"] = {"ScanResultStatus": props.get("result") or "NO_THREATS_FOUND"}
        message = props.get("msg")
        if state == "FAILED" and message is None:
            message = SCAN_FAIL_MESSAGES[r.randrange(len(SCAN_FAIL_MESSAGES))]
        if state == "COMPLETED_WITH_ISSUES" and message is None:
            message = SCAN_ISSUE_MESSAGES[r.randrange(len(SCAN_ISSUE_MESSAGES))]
        if state == "CANCELED" and message is None:
            message = "The scan job was canceled by the user."
        if job.get("ScanResult", {}).get("ScanResultStatus") == "THREATS_FOUND" and message is None:
            message = "Malware was found: see the GuardDuty finding of this scan."
        if message is not None:
            job["StatusMessage"] = message
