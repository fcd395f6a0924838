"""Settling: every job still open (created, pending, running, aborting) moved to a final state, as time would."""
from __future__ import annotations

import copy
import random
from typing import Any, Dict, List, Union

from .org import lifecycle, random_size, uuid_lower
from .spec import FINAL_STATES, ID_FIELD, STATUS_FIELD

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


def job_type_of(job: Dict[str, Any]) -> str:
    """``backup``, ``copy`` or ``restore``, from the job's id field."""
    for job_type, id_field in ID_FIELD.items():
        if id_field in job:
            return job_type
    raise ValueError("not an AWS Backup job: no BackupJobId, CopyJobId, RestoreJobId or ScanJobId")


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
    new = _final_state(job_type, state, r.random())
    out[status_field] = new
    completion_ms = int(round(created * 1000)) + 60_000 + int(r.expovariate(1 / 1_800_000.0))
    if new == "EXPIRED":
        completion_ms = int(round(created * 1000)) + 8 * 3_600_000
    out["CompletionDate"] = completion_ms / 1000.0
    out.pop("ExpectedCompletionDate", None)
    if job_type == "scan":
        _scanned(out, new)
    elif new == "COMPLETED":
        _completed(out, job_type, r)
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


def _scanned(out: Dict[str, Any], new: str) -> None:
    """A settled scan: it found no threat, or it failed."""
    out.setdefault("ScanId", uuid_lower(random.Random(out["ScanJobId"])).replace("-", ""))
    if new == "COMPLETED":
        out["ScanResult"] = {"ScanResultStatus": "NO_THREATS_FOUND"}
        out.pop("StatusMessage", None)
    else:
        out["StatusMessage"] = "The scan failed after it was retried: an internal error occurred."


def _final_state(job_type: str, state: str, x: float) -> str:
    if job_type == "backup":
        if state == "ABORTING":
            return "ABORTED"
        if state in ("CREATED", "PENDING") and x < 0.2:
            return "EXPIRED"
    return "COMPLETED" if x < 0.85 else "FAILED"


def _completed(out: Dict[str, Any], job_type: str, r: random.Random) -> None:
    """A settled job's completion: its size, progress and recovery point; SUCCESS."""
    size = int(out.get("BackupSizeInBytes") or 0) or random_size(r)
    out["BackupSizeInBytes"] = size
    out.pop("StatusMessage", None)
    if job_type == "backup":
        out["PercentDone"] = "100.0"
        out["BytesTransferred"] = size
        out.setdefault("RecoveryPointLifecycle", lifecycle(r))
        if "RecoveryPointArn" not in out:
            out["RecoveryPointArn"] = (f"arn:aws:backup:{_arn_region(out)}:{out['AccountId']}:"
                                       f"recovery-point:{uuid_lower(r)}")
        out["MessageCategory"] = "SUCCESS"
    elif job_type == "copy":
        out["MessageCategory"] = "SUCCESS"
    else:
        out["PercentDone"] = "100.00%"
        if out.get("ValidationStatus") in (None, "VALIDATING") and "CreatedBy" in out:
            out["ValidationStatus"] = "SUCCESSFUL"
        if out.get("DeletionStatus") in (None, "DELETING") and "CreatedBy" in out:
            out["DeletionStatus"] = "SUCCESSFUL"


def _arn_region(job: Dict[str, Any]) -> str:
    arn = str(job.get("BackupVaultArn") or job.get("SourceBackupVaultArn") or "")
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else "us-east-1"
