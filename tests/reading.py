"""Reading back what the job wrote: S3 objects, catalog partitions, ledger rows."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Dict, List, Set, Tuple

import boto3

from backup_report.schema import TABLES_BY_NAME

_PARTS = re.compile(r"(\w+)=([^/]+)/")


def objects(session: boto3.Session, bucket: str, prefix: str = "") -> Dict[str, bytes]:
    s3 = session.client("s3")
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            out[obj["Key"]] = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    return out


def read_rows(session: boto3.Session, bucket: str, table: str, prefix: str = "backup-reports") -> List[Dict]:
    """Every row of ``table`` with its partition values, parsed with the writer's dialect."""
    rows = []
    for key, body in objects(session, bucket, f"{prefix}/{table}/").items():
        partition = dict(_PARTS.findall(key))
        reader = csv.reader(io.StringIO(body.decode("utf-8")), delimiter=",", quoting=csv.QUOTE_NONE,
                            escapechar="\\")
        header = next(reader)
        assert tuple(header) == TABLES_BY_NAME[table].column_names, key
        for values in reader:
            row = dict(zip(header, values))
            row.update(partition)
            row["_key"] = key
            rows.append(row)
    return rows


def s3_partitions(session: boto3.Session, bucket: str, table: str, prefix: str = "backup-reports") -> Set[Tuple]:
    return {tuple(v for _, v in _PARTS.findall(key)) for key in objects(session, bucket, f"{prefix}/{table}/")}


def catalog_partitions(session: boto3.Session, database: str, table: str) -> Set[Tuple]:
    glue = session.client("glue")
    found = set()
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
        found.update(tuple(p["Values"]) for p in page["Partitions"])
    return found


UTC = dt.timezone.utc


def epoch(text: str) -> float:
    """``2026-11-26T00:00:00.500`` (UTC) as the epoch seconds AWS Backup's JSON carries."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def api_job(job_type: str, job_id: str, account: str, created: str, status: str, **fields) -> Dict:
    """One list item as the AWS Backup API returns it (JSON, epoch-second timestamps)."""
    id_field = {"backup": "BackupJobId", "copy": "CopyJobId", "restore": "RestoreJobId"}[job_type]
    status_field = "Status" if job_type == "restore" else "State"
    item = {id_field: job_id, "AccountId": account, "CreationDate": epoch(created), status_field: status,
            "ResourceType": "EC2", "ResourceArn": f"arn:aws:ec2:us-east-1:{account}:instance/i-{job_id}"}
    if job_type == "restore":
        item["SourceResourceArn"] = item.pop("ResourceArn")
    item.update(fields)
    return item
