"""A slice's manifest: the objects it wrote, their rows per account and state, and AWS Backup's counts then.

Written with every slice (``slices.run_slice``), after its new objects are registered and before
the older ones are deleted; a small JSON object outside the tables (``layout.manifest_path``).
``reconcile`` reads it to know what the report holds without reading the rows again, and checks
it against a listing of the slice's objects, so that an object removed by hand (or left by a run
killed before its deletions) is noticed.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple

import boto3

from .aws import AWS_ERRORS, botocore_config, error_code, named_error
from .errors import BucketError
from .layout import day_path, is_region_object, manifest_path
from .schema import Table

#: Jobs counted per (account id, state).
Counts = Dict[Tuple[str, str], int]
VERSION = 1


def _nested(counts: Mapping[Tuple[str, str], int]) -> Dict[str, Dict[str, int]]:
    out: Dict[str, Dict[str, int]] = {}
    for (account, state), n in sorted(counts.items()):
        out.setdefault(account, {})[state] = int(n)
    return out


def _flat(nested: Optional[Mapping[str, Mapping[str, int]]]) -> Optional[Counts]:
    if nested is None:
        return None
    return {(account, state): int(n) for account, states in nested.items() for state, n in states.items()}


@dataclass
class Manifest:
    """What one write of a slice left in S3, and AWS Backup's counts it was written against."""

    job_type: str
    region: str
    day: dt.date
    run_id: str
    reason: str
    #: The slice's objects, as paths under its day folder (``status=X/<name>.csv``).
    objects: List[str] = field(default_factory=list)
    counts: Counts = field(default_factory=dict)
    #: AWS Backup's counts of the slice known to the run that wrote it; None when not known.
    aws_backup: Optional[Counts] = None

    def to_json(self) -> str:
        return json.dumps({
            "version": VERSION, "job_type": self.job_type, "region": self.region, "report_date": self.day.isoformat(),
            "run_id": self.run_id, "reason": self.reason, "objects": sorted(self.objects),
            "counts": _nested(self.counts),
            "aws_backup": None if self.aws_backup is None else _nested(self.aws_backup),
        }, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        return cls(data["job_type"], data["region"], dt.date.fromisoformat(data["report_date"]), data["run_id"],
                   data.get("reason", ""), list(data.get("objects") or []), _flat(data.get("counts")) or {},
                   _flat(data.get("aws_backup")))


def relative(bucket: str, prefix: str, table: Table, day: dt.date, path: str) -> str:
    """``path`` (an ``s3://`` object of the day) as the manifest names it."""
    return path[len(day_path(bucket, prefix, table, day)):]


def _split(path: str) -> Tuple[str, str]:
    bucket, _, key = path[len("s3://"):].partition("/")
    return bucket, key


def write_manifest(session: boto3.Session, bucket: str, prefix: str, table: Table, manifest: Manifest) -> None:
    """Write (replace) the slice's manifest; raises BucketError."""
    path = manifest_path(bucket, prefix, table, manifest.day, manifest.region)
    _, key = _split(path)
    try:
        session.client("s3", config=botocore_config()).put_object(
            Bucket=bucket, Key=key, Body=manifest.to_json().encode("utf-8"), ContentType="application/json")
    except AWS_ERRORS as error:
        raise named_error(BucketError, f"Cannot write {path}", error) from error


def read_manifest(session: boto3.Session, bucket: str, prefix: str, table: Table, day: dt.date,
                  region: str) -> Optional[Manifest]:
    """The slice's manifest; None when it has none (never written, or written before manifests existed)."""
    path = manifest_path(bucket, prefix, table, day, region)
    _, key = _split(path)
    try:
        body = session.client("s3", config=botocore_config()).get_object(Bucket=bucket, Key=key)["Body"].read()
    except AWS_ERRORS as error:
        if error_code(error) in ("NoSuchKey", "404"):
            return None
        raise named_error(BucketError, f"Cannot read {path}", error) from error
    try:
        return Manifest.from_json(body.decode("utf-8"))
    except (ValueError, KeyError, TypeError):  # unreadable: as if there were none (the slice is rewritten)
        return None


@dataclass
class Held:
    """What the report holds of a slice, per its manifest and a listing of its objects."""

    #: Rows per (account, state); a state whose objects do not match the manifest is left out.
    counts: Counts
    #: The listing shows exactly the manifest's objects.
    intact: bool
    #: States whose counts are unknown (an object of theirs missing, or one the manifest does not name).
    unknown_states: Set[str] = field(default_factory=set)


def held(manifest: Manifest, listed: Iterable[str]) -> Held:
    """Check ``manifest`` against ``listed`` (the slice's objects now, as ``relative`` paths)."""
    listed = set(listed)
    named = set(manifest.objects)
    changed = (named - listed) | (listed - named)
    unknown = {path.split("/", 1)[0][len("status="):] for path in changed}
    counts = {key: n for key, n in manifest.counts.items() if key[1] not in unknown}
    return Held(counts, not changed, unknown)


def region_objects(paths: Iterable[str], bucket: str, prefix: str, table: Table, day: dt.date,
                   region: str) -> List[str]:
    """The objects of ``region``'s slice among ``paths`` (a listing of the day), as ``relative`` paths."""
    return [relative(bucket, prefix, table, day, p) for p in paths if is_region_object(p, region)]
