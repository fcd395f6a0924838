"""Restore jobs, shaped as ``ListRestoreJobs`` returns them: ad-hoc restores and restore tests
(``CreatedBy.RestoreTestingPlanArn``, validation and deletion of the restored resource)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .base import Chunk, Draft
from .messages import RESTORE_FAIL_MESSAGES
from .org import Env, Resource, guid, new_resource_arn, recovery_point_arn
from .spec import FINAL_STATES
from .story import pool_resource


class RestoreChunk(Chunk):
    """The restore jobs of one region and day."""

    job_type = "restore"

    def _job(self, i: int) -> Dict[str, Any]:
        d = self._draft(i)
        res, env = self._resource(d)
        created_ms = self._created_ms(d)
        job, rp_created_ms, size = self._head(d, res, env, created_ms)
        self._outcome(d, job, res, env, rp_created_ms, size)
        self._testing(d, job, env)
        return job

    def _resource(self, d: Draft) -> Tuple[Resource, Env]:
        """What is restored: a pool resource (the account follows it), a stack, a child's member, or any."""
        env = self._env(d.account)
        if "pool" in d.props:
            res = pool_resource(self.spec, self.region, d.props["pool"])
            d.account = res.account
            return res, self._env(res.account)
        if "parent" in d.props:
            return env.stacks[d.i % len(env.stacks)], env
        if d.parent is not None:
            return env.resources[d.i % len(env.resources)], env
        return env.resources[d.r.randrange(len(env.resources))], env

    def _head(self, d: Draft, res: Resource, env: Env, created_ms: int) -> Tuple[Dict[str, Any], int, int]:
        """The recovery point restored, its vault, the creation and completion; the recovery point's
        creation (ms) and its size."""
        r = d.r
        rp_created_ms = created_ms - (1 + r.randrange(30)) * 86_400_000 + r.randrange(86_400_000)
        vault = env.vaults[r.randrange(2)][1]
        size = self._size(d.props, r)
        job: Dict[str, Any] = {"AccountId": d.account, "RestoreJobId": d.job_id,
                               "RecoveryPointArn": recovery_point_arn(r, res, self.region, d.account, guid(r)),
                               "SourceResourceArn": res.arn, "BackupVaultArn": vault,
                               "CreationDate": created_ms / 1000.0}
        if d.state in FINAL_STATES["restore"]:
            job["CompletionDate"] = (created_ms + 120_000 + int(r.expovariate(1 / 2_400_000.0))) / 1000.0
        return job, rp_created_ms, size

    def _outcome(self, d: Draft, job: Dict[str, Any], res: Resource, env: Env, rp_created_ms: int, size: int
                 ) -> None:
        """Status, message, progress, size, the restored resource, the parent."""
        r, state = d.r, d.state
        job["Status"] = state
        message: Optional[str] = d.props.get("msg")
        if state == "FAILED" and message is None:
            message = RESTORE_FAIL_MESSAGES[r.randrange(len(RESTORE_FAIL_MESSAGES))]
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
            job["CreatedResourceArn"] = new_resource_arn(r, res, self.region, d.account)
        job["ResourceType"] = res.type
        job["RecoveryPointCreationDate"] = rp_created_ms / 1000.0
        job["IsParent"] = "parent" in d.props
        if d.parent is not None:
            job["ParentJobId"] = d.parent["RestoreJobId"]

    def _testing(self, d: Draft, job: Dict[str, Any], env: Env) -> None:
        """A restore test's plan, validation and deletion of the restored resource."""
        props = d.props
        if "testing" not in props:
            return
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
