"""A local AWS for the demo, the benchmark and the tests: moto's server plus the AWS Backup emulator.

Both run as their own processes, like real endpoints; the job reaches them through the
standard SDK settings (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_BACKUP``,
``AWS_ENDPOINT_URL_CONFIG_SERVICE`` for AWS Config's aggregator query) and cannot
tell them from AWS. Nothing here ever talks to a real AWS endpoint.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import boto3

from ..doctor_checks import BACKUP_PRINCIPAL
from ..resources import entry_script
from .emulator import EmulatorClient

#: moto's default account: the management account of the local organisation.
MANAGEMENT_ACCOUNT_ID = "123456789012"
#: The role the job assumes in the management account (moto's STS lets it).
ROLE_ARN = f"arn:aws:iam::{MANAGEMENT_ACCOUNT_ID}:role/BackupReportRead"
REGION = "us-east-1"
#: The Glue entry script: the checkout's, or the copy an installed distribution carries.
ENTRY_SCRIPT = entry_script()
#: The folder that holds the ``backup_report`` package (``glue_jobs/`` or site-packages).
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
#: Dummy credentials: the local services accept any, and real AWS rejects these.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

#: What every AWS SDK call of the local tools sees before the local servers are up: dummy
#: credentials and an endpoint where nothing listens, so nothing can reach real AWS.
SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def force_local_env() -> None:
    """Drop every AWS_* setting of this process (profiles, real keys, endpoints): local only."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(SAFE_ENV)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} while starting")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer on {url} within {seconds:.0f}s")


def job_environment(aws_env: Mapping[str, str], now: str = "",
                    extra_env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment of a job process: this one's, with every AWS_* setting from ``aws_env``.

    ``now`` (ISO 8601, UTC) pins the job's clock (``BACKUP_REPORT_NOW``); ``PYTHONPATH`` is
    dropped so the entry script finds the package next to itself, as on Glue.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("PYTHONPATH", None)
    env.update(aws_env)
    if now:
        env["BACKUP_REPORT_NOW"] = now
    env.update(extra_env or {})
    return env


def run_entry_script(args: Sequence[str], aws_env: Mapping[str, str], now: str = "",
                     extra_env: Optional[Mapping[str, str]] = None, capture: bool = True,
                     timeout: Optional[float] = None) -> subprocess.CompletedProcess:
    """Run the real Glue entry script with ``args`` in its own process, as Glue would."""
    return subprocess.run([sys.executable, str(ENTRY_SCRIPT), *args], env=job_environment(aws_env, now, extra_env),
                          text=True, capture_output=capture, timeout=timeout)


class LocalAws:
    """moto's server and the AWS Backup emulator as processes; use as a context manager.

    ``start()`` starts both and points this process's SDK at them; ``start_moto()`` and
    ``start_emulator()`` start one each, and leave this process's environment alone.
    """

    def __init__(self, region: str = REGION, quiet: bool = True, moto_port: int = 0, backup_port: int = 0):
        self.region = region
        self.quiet = quiet
        self.moto_port, self.backup_port = moto_port, backup_port  # 0: any free port
        self._procs: List[subprocess.Popen] = []
        #: the process id of each service started ("moto", "emulator"): to read what they cost
        self.pids: Dict[str, int] = {}
        self.moto_url = ""
        self.backup_url = ""
        self.emulator: Optional[EmulatorClient] = None

    def __enter__(self) -> "LocalAws":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def env(self) -> Dict[str, str]:
        """Environment that points every SDK call at the local services, with dummy credentials."""
        env = dict(CREDENTIALS, AWS_DEFAULT_REGION=self.region, AWS_REGION=self.region,
                   AWS_EC2_METADATA_DISABLED="true")
        if self.moto_url:
            env["AWS_ENDPOINT_URL"] = self.moto_url
        if self.backup_url:
            env["AWS_ENDPOINT_URL_BACKUP"] = self.backup_url
            # AWS Config's SelectAggregateResourceConfig is served by the emulator's process too.
            env["AWS_ENDPOINT_URL_CONFIG_SERVICE"] = self.backup_url
        return env

    def start(self) -> None:
        """Start moto's server and the emulator; point this process's SDK at them."""
        self.start_moto()
        self.start_emulator()
        self.apply_env()

    def start_moto(self) -> str:
        """moto's server (S3, Glue, STS, Organizations, EC2, Athena); returns its URL."""
        if not self.moto_url:
            out = subprocess.DEVNULL if self.quiet else None
            port = self.moto_port or free_port()
            # moto's server, its organisation's management account named "management" (moto_server.py)
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE_ROOT)] + sys.path))
            moto = subprocess.Popen([sys.executable, "-m", "backup_report.local.moto_server", "-H", "127.0.0.1",
                                     "-p", str(port)], stdout=out, stderr=out, env=env)
            self._procs.append(moto)
            self.pids["moto"] = moto.pid
            _wait_until_up(f"http://127.0.0.1:{port}/moto-api/", moto, "moto server")
            self.moto_url = f"http://127.0.0.1:{port}"
        return self.moto_url

    def start_emulator(self) -> EmulatorClient:
        """The AWS Backup emulator; returns the client of its admin API."""
        if self.emulator is None:
            out = subprocess.DEVNULL if self.quiet else None
            folder = Path(tempfile.mkdtemp(prefix="backup-emulator-"))
            port_file = folder / "port"
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PACKAGE_ROOT)] + sys.path))
            emulator = subprocess.Popen(
                [sys.executable, "-m", "backup_report.local.emulator", "--port", str(self.backup_port),
                 "--management-account-id", MANAGEMENT_ACCOUNT_ID, "--port-file", str(port_file)],
                stdout=out, stderr=out, env=env)
            self._procs.append(emulator)
            self.pids["emulator"] = emulator.pid
            try:
                deadline = time.monotonic() + 30
                while not (port_file.exists() and port_file.read_text().strip()):
                    if emulator.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the AWS Backup emulator did not start")
                    time.sleep(0.05)
                self.backup_url = f"http://127.0.0.1:{int(port_file.read_text().strip())}"
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            self.emulator = EmulatorClient(self.backup_url)
        return self.emulator

    def apply_env(self) -> None:
        """Point this process's SDK at the local services too (and never at real AWS)."""
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            del os.environ[name]
        os.environ.update(self.env)

    def alive(self) -> bool:
        """Whether every process started here still runs."""
        return bool(self._procs) and all(proc.poll() is None for proc in self._procs)

    def stop(self) -> None:
        """Stop every process started here (the URLs are forgotten)."""
        for proc in reversed(self._procs):
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._procs.clear()
        self.pids.clear()
        self.moto_url = self.backup_url = ""
        self.emulator = None

    def session(self) -> boto3.Session:
        return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                             region_name=self.region)

    def create_organization(self, names: Sequence[str]) -> List[Tuple[str, str]]:
        """An organisation prepared as docs/deployment.md prepares one: its management account is
        moto's default, with AWS Backup's trusted access enabled (cross-account monitoring is the
        emulator's default), plus member accounts (each with the id of its name, ``moto_server``).

        Returns (account id, name) of every account, the management account first.
        """
        org = self.session().client("organizations", endpoint_url=self.moto_url)
        with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
            org.create_organization(FeatureSet="ALL")
        org.enable_aws_service_access(ServicePrincipal=BACKUP_PRINCIPAL)
        existing = {a["Name"]: a["Id"] for p in org.get_paginator("list_accounts").paginate()
                    for a in p["Accounts"]}
        for name in names:
            if name not in existing:
                email = name.lower().replace(" ", "-") + "@example.com"
                org.create_account(Email=email, AccountName=name)
        accounts = {a["Name"]: a["Id"] for p in org.get_paginator("list_accounts").paginate()
                    for a in p["Accounts"]}
        management = [(i, n) for n, i in accounts.items() if i == MANAGEMENT_ACCOUNT_ID]
        return management + [(accounts[n], n) for n in names if accounts[n] != MANAGEMENT_ACCOUNT_ID]

    def create_report_target(self, bucket: str, database: str) -> None:
        """The report bucket and Glue database the reporting stack would create."""
        session = self.session()
        session.client("s3", endpoint_url=self.moto_url).create_bucket(Bucket=bucket)
        glue = session.client("glue", endpoint_url=self.moto_url)
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):
            glue.create_database(DatabaseInput={"Name": database})

    def job_env(self, now: str = "", extra_env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """The environment of a job process (see ``job_environment``) for these services."""
        return job_environment(self.env, now, extra_env)

    def run_job(self, args: Sequence[str], now: str = "", extra_env: Optional[Dict[str, str]] = None,
                capture: bool = True, timeout: Optional[float] = None) -> subprocess.CompletedProcess:
        """Run the real Glue entry script against the local services, as Glue would."""
        return run_entry_script(args, self.env, now, extra_env, capture, timeout)
