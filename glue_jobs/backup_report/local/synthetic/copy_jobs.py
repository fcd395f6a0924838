"""Copy jobs, shaped as ``ListCopyJobs`` returns them: mostly copies of the day's completed backups,
to another region, another account, or both."""
from __future__ import annotations

from typing import Any, Dict, NamedTuple, Optional, Tuple

from .backup_jobs import BackupChunk
from .base import Chunk, Draft
from .coverage import COVERAGE_BACKUP
from .messages import COPY_FAIL_MESSAGES
from .org import Env, guid, hex_digits, lifecycle, recovery_point_arn, uuid_lower
from .spec import FINAL_STATES
from .story import pool_range


class _Origin(NamedTuple):
    """What a copy copies: the resource, the source vault and recovery point, the plan, the backup job."""

    arn: str
    type: str
    name: str
    vault: str
    recovery_point: str
    plan: Optional[Dict[str, Any]]
    backup_job: str
    size: int


class CopyChunk(Chunk):
    """The copy jobs of one region and day."""

    job_type = "copy"
    _backups: Optional[BackupChunk] = None

    def _job(self, i: int) -> Dict[str, Any]:
        d = self._draft(i)
        source, created_ms = self._source(d)
        env = self._env(d.account)
        destination = self._destination(d)
        if source is None:
            created_ms = self._created_ms(d)
        origin = self._origin(d, env, source)
        job = self._head(d, env, origin, destination, created_ms)
        self._outcome(d, job, env, origin)
        return job

    def _source(self, d: Draft) -> Tuple[Optional[Dict[str, Any]], int]:
        """A random copy's source backup (its account becomes the copy's) and the copy's creation (ms)."""
        if d.parent is None and d.i >= len(self.cover):
            found = self._source_backup(d)
            if found is not None:
                d.account = found[0]["AccountId"]
                return found
        return None, 0

    def _source_backup(self, d: Draft) -> Optional[Tuple[Dict[str, Any], int]]:
        """A completed backup job of the same region and day to copy, and the copy's creation (ms)."""
        n = self.spec.backup_jobs_per_day
        low = len(COVERAGE_BACKUP)
        if self.spec.story:  # the pool's daily backups
            pool = pool_range(self.spec, "backup")
            low, n = pool.start, pool.stop
        if n <= low:
            return None
        if self._backups is None:
            self._backups = BackupChunk(self.spec, self.region, self.day)
        start = low + d.r.randrange(n - low)
        for k in range(6):
            j = low + (start - low + k) % (n - low)
            b = self._backups.build(j)
            if b["State"] == "COMPLETED":
                created_ms = int(round(b["CompletionDate"] * 1000)) + 60_000 + d.r.randrange(600_000)
                if created_ms < self.day_ms + 86_400_000:
                    return b, created_ms
        return None

    def _destination(self, d: Draft) -> Tuple[str, str, str]:
        """(region, account, vault name) of the destination vault."""
        dest_kind = d.props.get("dest") or (d.parent and "both") or "region"
        dest_region = self.other_regions[d.i % len(self.other_regions)] if dest_kind in ("region", "both") \
            else self.region
        dest_account = self._central_account(d.account) if dest_kind in ("account", "both") else d.account
        dest_vault = "dr-vault" if dest_account == d.account else "central-backup-vault"
        return dest_region, dest_account, dest_vault

    def _central_account(self, account: str) -> str:
        others = [a for a in self.accounts if a != account]
        return others[-1] if others else "210987654321"

    def _origin(self, d: Draft, env: Env, source: Optional[Dict[str, Any]]) -> _Origin:
        """The source backup's resource and recovery point, or (coverage, children) ones of their own."""
        if source is not None:
            return _Origin(source["ResourceArn"], source["ResourceType"], source["ResourceName"],
                           source["BackupVaultArn"], source["RecoveryPointArn"], source.get("CreatedBy"),
                           source["BackupJobId"], source["BackupSizeInBytes"])
        r = d.r
        if "parent" in d.props:
            res = env.stacks[d.i % len(env.stacks)]
        elif d.parent is not None:
            res = env.resources[d.i % len(env.resources)]
        else:
            res = env.resources[r.randrange(len(env.resources))]
        src_rp = recovery_point_arn(r, res, self.region, d.account, guid(r))
        plan = env.plans[r.randrange(len(env.plans))]
        by_job = guid(r)
        size = self._size(d.props, r)
        if d.parent is not None:
            plan = d.parent.get("CreatedBy")
        return _Origin(res.arn, res.type, res.name, env.vaults[1][1], src_rp, plan, by_job, size)

    def _head(self, d: Draft, env: Env, origin: _Origin, destination: Tuple[str, str, str], created_ms: int
              ) -> Dict[str, Any]:
        """The copy's source, destination and creation: its first members."""
        r, state = d.r, d.state
        dest_region, dest_account, dest_vault = destination
        job: Dict[str, Any] = {"AccountId": d.account, "CopyJobId": d.job_id, "SourceBackupVaultArn": origin.vault,
                               "SourceRecoveryPointArn": origin.recovery_point,
                               "DestinationBackupVaultArn":
                                   f"arn:aws:backup:{dest_region}:{dest_account}:backup-vault:{dest_vault}",
                               "DestinationVaultType": "BACKUP_VAULT"}
        if state in ("COMPLETED", "PARTIAL"):
            if origin.type == "EBS":
                job["DestinationRecoveryPointArn"] = f"arn:aws:ec2:{dest_region}::snapshot/snap-{hex_digits(r)}"
            elif origin.type == "EC2":
                job["DestinationRecoveryPointArn"] = f"arn:aws:ec2:{dest_region}::image/ami-{hex_digits(r)}"
            else:
                job["DestinationRecoveryPointArn"] = \
                    f"arn:aws:backup:{dest_region}:{dest_account}:recovery-point:{uuid_lower(r)}"
        job["DestinationEncryptionKeyArn"] = f"arn:aws:kms:{dest_region}:{dest_account}:key/{uuid_lower(r)}"
        job["DestinationRecoveryPointLifecycle"] = lifecycle(r)
        job["ResourceArn"] = origin.arn
        job["CreationDate"] = created_ms / 1000.0
        if state in FINAL_STATES["copy"]:
            job["CompletionDate"] = (created_ms + 60_000 + int(r.expovariate(1 / 1_200_000.0))) / 1000.0
        return job

    def _outcome(self, d: Draft, job: Dict[str, Any], env: Env, origin: _Origin) -> None:
        """State, message, size, plan, the parent and children, the category."""
        state, props, parent = d.state, d.props, d.parent
        job["State"] = state
        message, category = props.get("msg"), props.get("cat")
        if state == "FAILED" and message is None:
            template, category = COPY_FAIL_MESSAGES[d.r.randrange(len(COPY_FAIL_MESSAGES))]
            message = template.format(dest=job["DestinationBackupVaultArn"], account=d.account)
        if state == "COMPLETED" and category is None:
            category = "SUCCESS"
        if message is not None:
            job["StatusMessage"] = message
        job["BackupSizeInBytes"] = origin.size if state != "CREATED" else 0
        job["IamRoleArn"] = env.role
        if origin.plan is not None:
            job["CreatedBy"] = dict(origin.plan)
        job["CreatedByBackupJobId"] = origin.backup_job
        job["ResourceType"] = origin.type
        if parent is not None:
            job["ParentJobId"] = parent["CopyJobId"]
            job["CompositeMemberIdentifier"] = f"{origin.name.replace('-', '').replace('_', '').title()}Resource"
        job["IsParent"] = "parent" in props
        if "parent" in props:
            children = [self.cover[k]["state"] for k in range(d.i + 1, d.i + 1 + props["parent"])]
            job["NumberOfChildJobs"] = len(children)
            counts: Dict[str, int] = {}
            for s in children:
                counts[s] = counts.get(s, 0) + 1
            job["ChildJobsInState"] = counts
        job["ResourceName"] = origin.name
        if category is not None and (state in FINAL_STATES["copy"] or message is not None):
            job["MessageCategory"] = category
