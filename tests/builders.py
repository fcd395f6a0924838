"""What the tests build and read back: API-shaped jobs, a report target, what the job wrote,
a stand-in STS that enforces trust, the scripts as modules, a queried history, and attention
items with the settings of a run that announces them.

Fixtures are in ``conftest.py``; everything here is plain functions and classes.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import importlib.util
import io
import json
import os
import random
import re
import socket
import sys
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Callable, Dict, List, Mapping, Optional, Set, Tuple
from urllib.parse import parse_qs

import boto3

from backup_report.arguments import Settings
from backup_report.attention import Item
from backup_report.local import synthetic
from backup_report.local.announcements import DigestCapture, EventCapture
from backup_report.local.stack import (
    ENTRY_SCRIPT,
    MANAGEMENT_ACCOUNT_ID,
    REGION,
    ROLE_ARN,
)
from backup_report.schema import TABLES_BY_NAME
from backup_report.shape import one_line

ROOT = Path(__file__).resolve().parents[1]
#: moto's default account: the management account of the local organisation.
MANAGEMENT_ACCOUNT = MANAGEMENT_ACCOUNT_ID
UTC = dt.timezone.utc

__all__ = ["ROOT", "ENTRY_SCRIPT", "MANAGEMENT_ACCOUNT", "REGION", "ROLE_ARN", "UTC", "Report", "new_report", "load_script",
           "epoch", "api_job", "sdk_jobs", "objects", "read_rows", "s3_partitions", "catalog_partitions", "TrustingSts",
           "build_history", "reported_slices", "row_of", "TODAY", "REGIONS", "DENIED_REGION", "OLD_FIRST",
           "RECENT_FIRST", "FAILURE_STATES", "FINAL_BACKUP", "day", "AGGREGATOR", "LASTING_DIFFERENCE"]


# --------------------------------------------------------------------------- a report target

@dataclass
class Report:
    """One test's own bucket and database in the shared moto server."""

    bucket: str
    database: str
    env: Dict[str, str]
    prefix: str = "backup-reports"
    extra_args: List[str] = field(default_factory=list)

    @property
    def session(self) -> boto3.Session:
        return boto3.Session()

    def args(self, **overrides: Optional[str]) -> List[str]:
        """The job's arguments for this target; ``NAME=None`` leaves an argument out."""
        values: Dict[str, Optional[str]] = {"REPORT_BUCKET": self.bucket, "MANAGEMENT_ROLE_ARN": ROLE_ARN,
                                            "GLUE_DATABASE": self.database}
        values.update(overrides)
        out: List[str] = []
        for key, value in values.items():
            if value is not None:
                out += [f"--{key}", value]
        return out


def new_report(env: Mapping[str, str], name: str = "reports") -> Report:
    """A fresh bucket and Glue database (the SDK must already point at moto)."""
    token = uuid.uuid4().hex[:10]
    bucket, database = f"{name}-{token}", f"{name.replace('-', '_')}_{token}"
    session = boto3.Session()
    session.client("s3").create_bucket(Bucket=bucket)
    session.client("glue").create_database(DatabaseInput={"Name": database})
    return Report(bucket=bucket, database=database, env=dict(env))


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (the scripts are not a package), loaded once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # a script importing another one gets this same module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


# --------------------------------------------------------------------------- jobs as the API returns them

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


def sdk_jobs(*states: str, prefix: str = "j", account: str = "111122223333") -> List[Dict]:
    """Backup jobs as boto3 returns them (datetimes), created on 2026-11-26 01:00+i min, one per state."""
    return [{"BackupJobId": f"{prefix}{i}", "AccountId": account, "State": state,
             "CreationDate": dt.datetime(2026, 11, 26, 1, i, tzinfo=UTC), "IsParent": i % 2 == 0}
            for i, state in enumerate(states)]


# --------------------------------------------------------------------------- reading back what the job wrote

_PARTS = re.compile(r"(\w+)=([^/]+)/")


def objects(session: boto3.Session, bucket: str, prefix: str = "") -> Dict[str, bytes]:
    """Every object under ``prefix``: key -> body."""
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
    """The partition values of the folders that hold objects of ``table``."""
    return {tuple(v for _, v in _PARTS.findall(key)) for key in objects(session, bucket, f"{prefix}/{table}/")}


def catalog_partitions(session: boto3.Session, database: str, table: str) -> Set[Tuple]:
    """The partition values the Glue catalog has for ``table``."""
    glue = session.client("glue")
    found = set()
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
        found.update(tuple(p["Values"]) for p in page["Partitions"])
    return found


# --------------------------------------------------------------------------- an STS that enforces trust

_STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class TrustingSts:
    """A stand-in for STS ``AssumeRole`` that enforces a trust policy (moto's STS trusts anyone).

    It speaks STS's query protocol, so botocore cannot tell it from STS: a role that is
    not trusted, or an ExternalId that does not match the role's ``sts:ExternalId``
    condition, is refused with ``AccessDenied`` the way STS refuses it. ``trust`` maps a
    role ARN to the ExternalId it requires (None: no condition).
    """

    def __init__(self, trust: Dict[str, Optional[str]]):
        self.trust = trust
        self.requests: List[Dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        sts = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                sts.requests.append(form)
                role = form.get("RoleArn", "")
                if form.get("Action") != "AssumeRole":
                    return self._send(400, _sts_error("InvalidAction", "only AssumeRole is served"))
                if role not in sts.trust or sts.trust[role] != form.get("ExternalId"):
                    message = ("User: arn:aws:sts::123456789012:assumed-role/backup-report-job/x is not "
                               f"authorized to perform: sts:AssumeRole on resource: {role}")
                    return self._send(403, _sts_error("AccessDenied", message))
                expires = (dt.datetime.now(UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                key = "ASIA" + uuid.uuid4().hex[:16].upper()
                session_name = form.get("RoleSessionName")
                self._send(200, f"""<AssumeRoleResponse xmlns="{_STS_NS}"><AssumeRoleResult>
<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{uuid.uuid4().hex}</SecretAccessKey>
<SessionToken>{uuid.uuid4().hex}</SessionToken><Expiration>{expires}</Expiration></Credentials>
<AssumedRoleUser><Arn>{role}/{session_name}</Arn><AssumedRoleId>AROAEXAMPLE:{session_name}</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></AssumeRoleResponse>""")

            def _send(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _sts_error(code: str, message: str) -> str:
    return (f'<ErrorResponse xmlns="{_STS_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")


# --------------------------------------------------------------------------- what the announcements reach
# EventCapture (a bus whose rule feeds an SQS queue) and DigestCapture (an SNS topic with an SQS
# subscription) come from backup_report.local.announcements, which the demo uses too.

class DenyingEndpoint:
    """An endpoint that refuses every call with ``AccessDenied``/``AuthorizationError`` as EventBridge
    (JSON protocol) and SNS (query protocol) refuse a caller without the permission. Point a job at
    it with ``AWS_ENDPOINT_URL_EVENTBRIDGE`` / ``AWS_ENDPOINT_URL_SNS``; ``calls`` counts requests."""

    def __init__(self):
        self.calls = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endpoint.calls += 1
                if self.headers.get("X-Amz-Target", "").startswith("AWSEvents."):
                    body = json.dumps({"__type": "AccessDeniedException", "message": (
                        "User: arn:aws:sts::123456789012:assumed-role/backup-report-job/x is not authorized "
                        "to perform: events:PutEvents on resource: arn:aws:events:us-east-1:123456789012:"
                        "event-bus/default")})
                    content_type = "application/x-amz-json-1.1"
                else:
                    body = (f'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender'
                            "</Type><Code>AuthorizationError</Code><Message>User is not authorized to perform: "
                            f"SNS:Publish</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
                    content_type = "text/xml"
                data = body.encode()
                self.send_response(403)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


__all__ += ["EventCapture", "DigestCapture", "DenyingEndpoint"]


# --------------------------------------------------------------------------- a queried history
#
# A synthetic organisation (the generator) served by the emulator, reported by the real Glue
# entry script in three runs: two old days; ten recent days with ListCopyJobs denied in
# eu-west-1; a repair run of the last three days (which also settles and reconciles the days
# before, except the denied copies: their counts are denied too), after AWS Backup stopped
# listing one backup job. The saved-query tests compute each
# expected answer from the generated jobs themselves, by the SPEC's rules.

TODAY = dt.date(2026, 11, 26)
REGIONS = ("us-east-1", "eu-west-1")
DENIED_REGION = "eu-west-1"
RECENT_FIRST = TODAY - dt.timedelta(days=9)  # ten recent days
OLD_FIRST = TODAY - dt.timedelta(days=45)  # two old days, outside every 30-day window
FAILURE_STATES = {"FAILED", "ABORTED", "EXPIRED", "PARTIAL"}
FINAL_BACKUP = {"COMPLETED"} | FAILURE_STATES
MEMBER_NAMES = ("queries-prod", "queries-dev", "queries-audit")
#: The day of the backup job (us-east-1) that AWS Backup no longer lists by the history's last run.
LASTING_DIFFERENCE = TODAY - dt.timedelta(days=5)
#: The AWS Config aggregator of the history's organisation (its inventory: synthetic.inventory).
AGGREGATOR = "org-aggregator"


def day(n: int) -> dt.date:
    """``n`` days before TODAY."""
    return TODAY - dt.timedelta(days=n)


def _utc(epoch_seconds):
    return None if epoch_seconds is None else synthetic.to_datetime(epoch_seconds)


def _naive_ms(epoch_seconds):
    """An API timestamp as Athena reads the job's CSV: UTC, millisecond precision."""
    if epoch_seconds is None:
        return None
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=round(epoch_seconds * 1000))


def row_of(job_type: str, region: str, job: Dict, names: Mapping[str, str]) -> Dict:
    """One generated job as the report must hold it (SPEC §3, §4)."""
    status = job["Status" if job_type == "restore" else "State"]
    created, completed = _utc(job["CreationDate"]), _utc(job.get("CompletionDate"))
    return {
        "job_type": job_type, "region": region, "status": status,
        "id": job[synthetic.ID_FIELD[job_type]], "report_date": created.date(),
        "account_id": job["AccountId"], "account_name": names.get(job["AccountId"], ""),
        "resource_type": job.get("ResourceType"),
        "resource_arn": job.get("SourceResourceArn" if job_type == "restore" else "ResourceArn"),
        "resource_name": job.get("ResourceName"),
        "message_category": job.get("MessageCategory"), "status_message": one_line(job.get("StatusMessage")),
        "creation": _naive_ms(job["CreationDate"]),
        "duration": int((completed - created).total_seconds()) if completed else None,
        "size": job.get("BackupSizeInBytes"), "is_parent": bool(job.get("IsParent")),
        "destination": job.get("DestinationBackupVaultArn"),
        "testing_plan": (job.get("CreatedBy") or {}).get("RestoreTestingPlanArn"),
        "validation": job.get("ValidationStatus"),
        "scan_result": (job.get("ScanResult") or {}).get("ScanResultStatus"),
        "recovery_point": job.get("RecoveryPointArn"),
        "vault_name": job.get("BackupVaultName"),
    }


def reported_slices() -> Dict[Tuple[str, str, dt.date], bool]:
    """(job type, region, day) -> was it fetched by the last run that covered it?"""
    covered = {}
    for d in (OLD_FIRST, OLD_FIRST + dt.timedelta(days=1)):
        for t in synthetic.JOB_TYPES:
            for r in REGIONS:
                covered[(t, r, d)] = True
    for n in range(10):
        d = day(n)
        for t in synthetic.JOB_TYPES:
            for r in REGIONS:
                denied = t == "copy" and r == DENIED_REGION
                covered[(t, r, d)] = not denied or n <= 2  # the repair run rewrote the last three days
    return covered


def build_history(emulator, aws_env: Mapping[str, str], run_job: Callable) -> Dict:
    """Report the history (see above) into a new bucket and database; the SDK must point at moto.

    Returns ``{"database", "rows" (what the report must hold), "names" (account names), "inventory"
    (the aggregator's items, ``synthetic.Inventory``), "bucket", "gone" (job type, region and id of
    the job AWS Backup no longer lists)}``. Every run snapshots the inventory.
    """
    session = boto3.Session()
    org = session.client("organizations")
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
        org.create_organization(FeatureSet="ALL")
    existing = {a["Name"] for p in org.get_paginator("list_accounts").paginate() for a in p["Accounts"]}
    for name in MEMBER_NAMES:
        if name not in existing:
            org.create_account(Email=f"{name}@example.com", AccountName=name)
    names = {a["Id"]: a["Name"] for p in org.get_paginator("list_accounts").paginate() for a in p["Accounts"]}
    members = [(i, n) for i, n in names.items() if n in MEMBER_NAMES]
    accounts = [(MANAGEMENT_ACCOUNT, names[MANAGEMENT_ACCOUNT])] + sorted(members) + [("999988887777", "")]

    token = os.urandom(4).hex()
    bucket, database = f"queries-{token}", f"queries_{token}"
    session.client("s3").create_bucket(Bucket=bucket)
    session.client("glue").create_database(DatabaseInput={"Name": database})

    volume = dict(backup_jobs_per_day=25, copy_jobs_per_day=14, restore_jobs_per_day=14, seed=3)
    specs = [synthetic.OrgSpec(accounts=accounts, regions=list(REGIONS), first_day=RECENT_FIRST, days=10, **volume),
             synthetic.OrgSpec(accounts=accounts, regions=list(REGIONS), first_day=OLD_FIRST, days=2, **volume)]
    emulator.reset()
    generated = []
    for spec in specs:
        emulator.generate(spec)
        for job_type, region, _d, jobs in synthetic.iter_chunks(spec):
            generated += [(job_type, region, job) for job in jobs]
    # The AWS Config inventory: the resources of the recent jobs, plus never and no longer protected ones.
    inventory = synthetic.inventory(specs[0])
    emulator.load_config(AGGREGATOR, inventory.items)
    for (job_type, region), jobs in inventory.jobs.items():
        emulator.load_jobs(job_type, region, jobs)
        generated += [(job_type, region, job) for job in jobs]

    def job(*extra, now, expect_ok=True):
        args = ["--REPORT_BUCKET", bucket, "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", database,
                "--REGIONS", ",".join(REGIONS), "--CONFIG_AGGREGATOR", AGGREGATOR, *extra]
        result = run_job(args, dict(aws_env), now=now)
        assert (result.returncode == 0) == expect_ok, result.stderr[-3000:]
        return result

    job("--LOOKBACK_DAYS", "2", "--JOB_RUN_ID", "run-old", now=f"{OLD_FIRST + dt.timedelta(days=1)}T23:59:00")
    emulator.set_faults(denied=[[DENIED_REGION, "ListCopyJobs"]])
    try:
        denied = job("--LOOKBACK_DAYS", "10", "--JOB_RUN_ID", "run-denied", now=f"{TODAY}T23:59:00",
                     expect_ok=False)
    finally:
        emulator.set_faults()
    assert "AccessDenied" in denied.stderr
    # AWS Backup no longer lists (nor counts) one job: the report keeps it, a lasting difference.
    gone = next(j for t, r, j in generated if (t, r) == ("backup", "us-east-1") and j["State"] == "COMPLETED"
                and _utc(j["CreationDate"]).date() == LASTING_DIFFERENCE)
    emulator.remove_jobs("backup", "us-east-1", [gone["BackupJobId"]])
    # The copy counts of the denied region are denied too: reconciling would heal the failed days.
    emulator.set_faults(denied=[[DENIED_REGION, "ListCopyJobSummaries"]])
    try:
        job("--LOOKBACK_DAYS", "3", "--JOB_RUN_ID", "run-repair", now=f"{TODAY}T23:59:30")
    finally:
        emulator.set_faults()

    covered = reported_slices()
    rows = [row_of(t, r, j, names) for t, r, j in generated]
    rows = [x for x in rows if covered.get((x["job_type"], x["region"], x["report_date"]))]
    assert {x["status"] for x in rows if x["job_type"] == "backup"} == set(synthetic.STATES["backup"])
    return {"database": database, "rows": rows, "names": names, "inventory": inventory, "bucket": bucket,
            "gone": ("backup", "us-east-1", gone["BackupJobId"])}


def free_port_pair() -> int:
    """A port such that it and the next one are free, for ``backup-report local up --port``
    (moto on it, the emulator on the next). Taken below the kernel's ephemeral range, where
    no client connection (another test's, moto's) can take the second one meanwhile."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            ephemeral = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral = 32768
    for _ in range(200):
        port = random.randrange(20000, max(20002, ephemeral - 2))
        try:
            for candidate in (port, port + 1):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", candidate))
            return port
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports below the ephemeral range")


# --------------------------------------------------------------------------- attention items


def item(n: int, message: str = "failed", **fields) -> Item:
    """A failed backup job ``b-<n>`` of payments-prod, eu-west-1, report day 2026-11-26; ``fields`` override."""
    values = dict(job_type="backup", job_id=f"b-{n:05d}", status="FAILED", validation_status=None,
                  account_id="111122223333", account_name="payments-prod", region="eu-west-1", resource_type="EBS",
                  resource_arn=f"arn:aws:ec2:eu-west-1:111122223333:volume/vol-{n:05d}", resource_name=f"orders-{n}",
                  message_category="ACCESS_DENIED", status_message=message,
                  creation_date=dt.datetime(2026, 11, 26, 1, 2, 3, 456789, tzinfo=UTC),
                  completion_date=dt.datetime(2026, 11, 26, 2, tzinfo=UTC), report_date=dt.date(2026, 11, 26))
    values.update(fields)
    return Item(**values)


def varied_items(n: int, seed: int = 3) -> List[Item]:
    """Items of several days, accounts (named or not), regions and job types, in no order."""
    r = random.Random(seed)
    out = []
    for k in range(n):
        job_type = r.choice(["backup", "copy", "restore"])
        created = dt.datetime(2026, 11, 24, tzinfo=UTC) + dt.timedelta(seconds=r.randrange(3 * 86400))
        out.append(item(k, job_type=job_type, job_id=f"{job_type[0]}-{r.randrange(10 ** 6):06d}",
                        account_id=r.choice(["111122223333", "444455556666", "777788889999"]),
                        account_name=r.choice([None, "payments-prod", "data-platform-prod"]),
                        region=r.choice(["eu-west-1", "us-east-1"]), creation_date=created,
                        completion_date=r.choice([None, created + dt.timedelta(minutes=r.randrange(600))]),
                        report_date=created.date()))
    return out


def settings(**overrides) -> Settings:
    """A run of report day 2026-11-26 (three days) with both channels on; ``overrides`` replace."""
    values = dict(bucket="acme-backup-reports", role_arn="arn:aws:iam::123456789012:role/BackupReportRead",
                  database="backup_report", external_id=None, prefix="backup-reports", regions=None,
                  report_date=dt.date(2026, 11, 26), lookback_days=3, run_id="jr_0123abcd",
                  run_started_at=dt.datetime(2026, 11, 26, 23, 59, tzinfo=UTC),
                  event_bus="default", alert_topic_arn="arn:aws:sns:eu-west-1:123456789012:backup-report-alerts")
    values.update(overrides)
    return Settings(**values)


#: One item of each kind the digest names: a failed backup, a backup completed with issues, a
#: failed copy, a restore test that failed validation, an expired backup of an unnamed account.
SAMPLE_ITEMS = [
    item(1, "IAM Role arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole does not have "
            "sufficient permissions to execute the backup", resource_name="orders-db-data"),
    item(2, "Windows VSS Backup Job Error encountered, trying for regular backup", status="COMPLETED",
         message_category="INVALID_PARAMETERS", resource_type="EC2", resource_name="web-prod-1",
         resource_arn="arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
         completion_date=dt.datetime(2026, 11, 26, 4, 30, tzinfo=UTC)),
    item(3, "Copy job failed because the destination region is not opted in.", job_type="copy", job_id="c-9",
         account_id="444455556666", account_name="data-platform-prod", region="us-east-1", resource_type="S3",
         resource_name="lake-raw", resource_arn="arn:aws:s3:::lake-raw", message_category="INVALID_PARAMETERS"),
    item(4, "Validation script exited with status 1", job_type="restore", job_id="r-7", status="COMPLETED",
         validation_status="FAILED", account_id="444455556666", account_name="data-platform-prod",
         region="us-east-1", resource_type="RDS", resource_name=None, message_category=None,
         resource_arn="arn:aws:rds:us-east-1:444455556666:db:ledger"),
    item(5, "", account_id="777788889999", account_name=None, region="ap-southeast-2", status="EXPIRED",
         message_category="EXPIRED", resource_name=None, resource_arn="arn:aws:dynamodb:ap-southeast-2:"
         "777788889999:table/sessions", resource_type="DynamoDB", completion_date=None),
]
