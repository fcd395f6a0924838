"""The generated jobs, streamed: one (job type, region, day) at a time, or all of them."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Dict, Iterator, List, Sequence, Tuple, Type

from .backup_jobs import BackupChunk
from .base import Chunk
from .copy_jobs import CopyChunk
from .restore_jobs import RestoreChunk
from .scan_jobs import ScanChunk
from .spec import JOB_TYPES, OrgSpec

_CHUNKS: Dict[str, Type[Chunk]] = {"backup": BackupChunk, "copy": CopyChunk, "restore": RestoreChunk,
                                   "scan": ScanChunk}


def iter_jobs(spec: OrgSpec, job_type: str, region: str, day: date) -> Iterator[Dict[str, Any]]:
    """The jobs of one job type, region and UTC day (created that day, coverage jobs first)."""
    chunk = _CHUNKS.get(job_type)
    if chunk is None:
        raise ValueError(f"job_type must be one of {JOB_TYPES}, not {job_type!r}")
    return chunk(spec, region, day).jobs()


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


def to_datetime(epoch_seconds: float) -> datetime:
    """An API timestamp (epoch seconds) as botocore returns it (aware, UTC)."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc)
