"""Where the report lives in S3: table, day and partition folders, object names, listings.

```
s3://<bucket>/<prefix>/<table>/report_date=YYYY-MM-DD/status=<STATUS>/<region>_<run token>_<part>.csv
s3://<bucket>/<prefix>/report_runs/report_date=YYYY-MM-DD/<run id>.csv
s3://<bucket>/<prefix>/alerts/report_date=YYYY-MM-DD/<run id>.csv
s3://<bucket>/<prefix>/reconciliation/report_date=YYYY-MM-DD/<job type>_<region>_<run token>.csv
s3://<bucket>/<prefix>/manifests/<table>/report_date=YYYY-MM-DD/<region>.json
```

A job table's object name starts with its region, so that one region's slice of a day
can be found (and replaced) without touching the other regions' objects. A slice's manifest
(``manifest``) lies outside every table's location, so no table or partition reads it.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable, List, Set

import awswrangler as wr
import boto3

from .aws import AWS_ERRORS, named_error
from .errors import BucketError
from .schema import RECONCILIATION, REPORT_RUNS, Table


def table_path(bucket: str, prefix: str, table: Table) -> str:
    """``s3://bucket/prefix/table/``: the table's location in the catalog."""
    return f"s3://{bucket}/{prefix}/{table.name}/"


def day_path(bucket: str, prefix: str, table: Table, day: dt.date) -> str:
    """``.../table/report_date=YYYY-MM-DD/``: every object of one report day."""
    return f"{table_path(bucket, prefix, table)}report_date={day.isoformat()}/"


def partition_path(bucket: str, prefix: str, table: Table, day: dt.date, status: str) -> str:
    """``.../report_date=YYYY-MM-DD/status=STATUS/``: one partition of a job table."""
    return f"{day_path(bucket, prefix, table, day)}status={status}/"


def run_token(run_id: str) -> str:
    """The run id as it appears in a slice object's name (``_`` separates the name's fields)."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", run_id)


def slice_object_name(region: str, token: str, part: int) -> str:
    """``<region>_<run token>_<part>.csv``: one object of one region's slice (``part``: its number
    among the slice's objects of this run), in its partition folder."""
    return f"{region}_{token}_{part:05d}.csv"


def is_region_object(path: str, region: str) -> bool:
    """Whether ``path`` is an object of ``region`` in a status partition (any run, any part)."""
    return re.search(rf"/status=[^/]+/{re.escape(region)}_[^/]*\.csv$", path) is not None


def report_runs_object_path(bucket: str, prefix: str, day: dt.date, run_id: str) -> str:
    """``.../report_runs/report_date=YYYY-MM-DD/<run id>.csv``: one run's rows of one day."""
    return run_object_path(bucket, prefix, REPORT_RUNS, day, run_id)


def run_object_path(bucket: str, prefix: str, table: Table, day: dt.date, run_id: str) -> str:
    """``.../<table>/report_date=YYYY-MM-DD/<run id>.csv``: one run's rows of one day of an
    append-only table (``report_runs``, ``alerts``)."""
    safe_run_id = re.sub(r"[^A-Za-z0-9_.-]", "-", run_id)
    return f"{day_path(bucket, prefix, table, day)}{safe_run_id}.csv"


def reconciliation_object_path(bucket: str, prefix: str, day: dt.date, job_type: str, region: str,
                               run_id: str) -> str:
    """``.../reconciliation/report_date=YYYY-MM-DD/<job type>_<region>_<run token>.csv``: one run's
    comparison of one day, job type and region (a rerun replaces it: ``is_lane_object``)."""
    return f"{day_path(bucket, prefix, RECONCILIATION, day)}{job_type}_{region}_{run_token(run_id)}.csv"


def is_lane_object(path: str, job_type: str, region: str) -> bool:
    """Whether ``path`` is a ``reconciliation`` object of ``job_type`` in ``region`` (any run)."""
    return re.search(rf"/{re.escape(job_type)}_{re.escape(region)}_[^/_]*\.csv$", path) is not None


def manifest_path(bucket: str, prefix: str, table: Table, day: dt.date, region: str) -> str:
    """``.../manifests/<table>/report_date=YYYY-MM-DD/<region>.json``: one slice's manifest."""
    return f"s3://{bucket}/{prefix}/manifests/{table.name}/report_date={day.isoformat()}/{region}.json"


def list_objects(session: boto3.Session, path: str) -> List[str]:
    """Every object under ``path`` (an ``s3://`` prefix)."""
    try:
        return wr.s3.list_objects(path, boto3_session=session)
    except AWS_ERRORS as error:
        raise named_error(BucketError, f"Cannot list {path}", error) from error


def partitions_present(paths: Iterable[str]) -> Set[str]:
    """The partition folders (``s3://.../status=X/``) that hold at least one object."""
    return {p.rsplit("/", 1)[0] + "/" for p in paths}


def partition_values(location: str, table: Table) -> List[str]:
    """``[report_date, status]`` (or ``[report_date]``) of a partition folder path."""
    parts = [p for p in location.rstrip("/").split("/") if "=" in p]
    keys = dict(p.split("=", 1) for p in parts)
    return [keys[c.name] for c in table.partitions]
