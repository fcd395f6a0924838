"""Backup jobs, shaped as ``ListBackupJobs`` returns them: the resource, vault and plan, the outcome, the details."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .base import Chunk, Draft
from .messages import FAIL_MESSAGES, ISSUE_MESSAGES
from .org import Env, Resource, lifecycle, make_resource, recovery_point_arn, uuid_lower
from .spec import FINAL_STATES
from .story import pool_resource

Plan = Optional[Dict[str, Any]]


class BackupChunk(Chunk):
    """The backup jobs of one region and day."""

    job_type = "backup"

    def _job(self, i: int) -> Dict[str, Any]:
        d = self._draft(i)
        res, env = self._resource(d)
        created_ms = self._created_ms(d)
        job, plan = self._placement(d, res, env, created_ms)
        final, message, category = self._outcome(d, job, res, env, plan, created_ms)
        self._details(d, job, res, env, created_ms, final, message, category)
        return job

    def _resource(self, d: Draft) -> Tuple[Resource, Env]:
        """What is backed up: a pool resource (the account follows it), an always-failing one, a
        stack (a parent), one of a coverage type, or any of the account's."""
        env = self._env(d.account)
        props, r = d.props, d.r
        if "pool" in props:
            res = pool_resource(self.spec, self.region, props["pool"])
            d.account, env = res.account, self._env(res.account)
            return res, env
        if "failing" in props:
            return env.failing[props["failing"]], env
        if "parent" in props:
            return env.stacks[d.i % len(env.stacks)], env
        if "rtype" in props:
            return next((x for x in env.resources if x.type == props["rtype"]), None) or \
                make_resource(r, props["rtype"], d.account, self.region, f"{props['rtype'].lower()}-coverage"), env
        return env.resources[r.randrange(len(env.resources))], env

    def _placement(self, d: Draft, res: Resource, env: Env, created_ms: int) -> Tuple[Dict[str, Any], Plan]:
        """The vault (a child's is its parent's), the plan, the recovery point; the job's first members."""
        r, parent, state = d.r, d.parent, d.state
        vault_name, vault_arn, vault_type, lock = env.vaults[0 if r.random() < 0.3 else
                                                             (2 if r.random() < 0.05 else 1)]
        if parent is not None:
            vault_name, vault_arn = parent["BackupVaultName"], parent["BackupVaultArn"]
            vault_type, lock = parent["VaultType"], parent.get("VaultLockState")
        plan = env.plans[r.randrange(len(env.plans))] if r.random() < 0.97 or parent else None
        if parent is not None:
            plan = parent.get("CreatedBy")
        job: Dict[str, Any] = {"AccountId": d.account, "BackupJobId": d.job_id, "BackupVaultName": vault_name,
                               "BackupVaultArn": vault_arn, "VaultType": vault_type}
        if lock:
            job["VaultLockState"] = lock
        has_rp = state in ("COMPLETED", "RUNNING", "PARTIAL", "ABORTING")
        if has_rp and res.type != "CloudFormation":
            job["RecoveryPointArn"] = recovery_point_arn(r, res, self.region, d.account, d.job_id)
        elif has_rp:
            job["RecoveryPointArn"] = f"arn:aws:backup:{self.region}:{d.account}:recovery-point:{uuid_lower(r)}"
        if state in ("COMPLETED", "PARTIAL"):
            job["RecoveryPointLifecycle"] = lifecycle(r)
        job["EncryptionKeyArn"] = env.kms_key
        job["IsEncrypted"] = True
        job["ResourceArn"] = res.arn
        job["CreationDate"] = created_ms / 1000.0
        return job, plan

    def _outcome(self, d: Draft, job: Dict[str, Any], res: Resource, env: Env, plan: Plan, created_ms: int
                 ) -> Tuple[bool, Optional[str], Optional[str]]:
        """Completion, state, message, size and progress; returns (final, message, category)."""
        r, props, state = d.r, d.props, d.state
        duration_ms = 30_000 + int(r.expovariate(1 / 1_800_000.0))
        final = state in FINAL_STATES["backup"]
        if final:
            if state == "EXPIRED":
                duration_ms = 8 * 3_600_000
            job["CompletionDate"] = (created_ms + duration_ms) / 1000.0
        job["State"] = state
        message, category = self._message(d, res)
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
        return final, message, category

    def _message(self, d: Draft, res: Resource) -> Tuple[Optional[str], Optional[str]]:
        """The status message and MessageCategory: the properties', an issue's, a failure's, or SUCCESS."""
        state, r = d.state, d.r
        message, category = d.props.get("msg"), d.props.get("cat")
        if state == "COMPLETED" and d.props.get("issue"):
            message, category = ISSUE_MESSAGES[r.randrange(len(ISSUE_MESSAGES))]
        if state == "FAILED" and message is None:
            template, category = FAIL_MESSAGES[r.randrange(len(FAIL_MESSAGES))]
            message = template.format(account=d.account, region=self.region, name=res.name)
        if state == "COMPLETED" and category is None:
            category = "SUCCESS"
        return message, category

    def _details(self, d: Draft, job: Dict[str, Any], res: Resource, env: Env, created_ms: int, final: bool,
                 message: Optional[str], category: Optional[str]) -> None:
        """Windows VSS options, the parent, the start, the category; a child protects a stack's member."""
        r, props, parent = d.r, d.props, d.parent
        if res.type == "EC2":
            vss = props.get("vss") or r.random() < 0.2
            job["BackupOptions"] = {"WindowsVSS": "enabled" if vss else "disabled"}
            if vss:
                job["BackupType"] = "WindowsVSS"
        if parent is not None:
            job["ParentJobId"] = parent["BackupJobId"]
        job["IsParent"] = "parent" in props
        job["ResourceName"] = res.name
        if d.state != "CREATED":
            job["InitiationDate"] = (created_ms + 1_000 + r.randrange(120_000)) / 1000.0
        if category is not None and (final or message is not None):
            job["MessageCategory"] = category
        if parent is not None:  # children protect the stack's members
            member = env.resources[d.i % len(env.resources)]
            job["ResourceArn"], job["ResourceType"], job["ResourceName"] = member.arn, member.type, member.name
            if "RecoveryPointArn" in job:
                job["RecoveryPointArn"] = recovery_point_arn(r, member, self.region, d.account, d.job_id)
