"""Fixtures: moto's server as the embedded AWS, the AWS Backup emulator, and the job as a subprocess."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import boto3
import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
ENTRY_SCRIPT = ROOT / "glue_jobs" / "backup_report_job.py"
sys.path.insert(0, str(ROOT / "glue_jobs"))

from backup_report.local.backup_emulator import BackupEmulator  # noqa: E402

#: The account the job's role lives in, and (moto's default account) the management account.
MANAGEMENT_ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/BackupReportRead"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url():
    """moto's server in its own process: S3, Glue, STS, Organizations, EC2 over real HTTP."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("moto server did not start")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def emulator():
    """The AWS Backup emulator (ListBackupJobs / ListCopyJobs / ListRestoreJobs)."""
    emu = BackupEmulator(port=0, management_account_id=MANAGEMENT_ACCOUNT)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def aws_env(moto_url, emulator) -> Dict[str, str]:
    """The environment every process (tests and the job) uses to reach the local AWS."""
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ENDPOINT_URL_BACKUP": emulator.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(autouse=True)
def _local_aws_only(monkeypatch, request):
    """No test may reach real AWS: credentials and endpoints are always the local ones."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: fail, never leak


@pytest.fixture
def local_aws(aws_env, monkeypatch):
    for key, value in aws_env.items():
        monkeypatch.setenv(key, value)
    return aws_env


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

    def args(self, **overrides: str) -> List[str]:
        values = {"REPORT_BUCKET": self.bucket, "MANAGEMENT_ROLE_ARN": ROLE_ARN,
                  "GLUE_DATABASE": self.database}
        values.update(overrides)
        out: List[str] = []
        for key, value in values.items():
            if value is not None:
                out += [f"--{key}", value]
        return out


@pytest.fixture
def report(local_aws, emulator) -> Report:
    """A fresh bucket and Glue database, an emptied emulator with no faults."""
    emulator.reset()
    token = uuid.uuid4().hex[:10]
    bucket, database = f"reports-{token}", f"backup_report_{token}"
    session = boto3.Session()
    session.client("s3").create_bucket(Bucket=bucket)
    session.client("glue").create_database(DatabaseInput={"Name": database})
    return Report(bucket=bucket, database=database, env=dict(local_aws))


def run_job(args: List[str], env: Dict[str, str], now: str = "", timeout: int = 600,
            extra_env: Dict[str, str] = None) -> subprocess.CompletedProcess:
    """Run the real Glue entry script as a subprocess, the way Glue runs it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    full_env.update(env)
    full_env.pop("PYTHONPATH", None)
    if now:
        full_env["BACKUP_REPORT_NOW"] = now
    full_env.update(extra_env or {})
    return subprocess.run([sys.executable, str(ENTRY_SCRIPT), *args], env=full_env, cwd=str(ROOT),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(name="run_job")
def run_job_fixture():
    return run_job
