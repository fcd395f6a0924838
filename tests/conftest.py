"""Fixtures: the local AWS of ``backup_report.local.stack.LocalAws`` (moto's server and the AWS
Backup emulator, each in its own process), a report target, the job as a subprocess, and a
reported history for the saved queries. Helpers are in ``tests/builders.py``."""
from __future__ import annotations

import os
from typing import Dict, List, Optional

import pytest

from backup_report.local.emulator import EmulatorClient
from backup_report.local.stack import LocalAws, run_entry_script

from .builders import TODAY, Report, build_history, new_report

#: Where every test's SDK points unless it asks for the local AWS: nothing listens there.
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture(scope="session")
def _stack():
    """One LocalAws for the session; each service starts when a test first needs it."""
    stack = LocalAws()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def moto_url(_stack) -> str:
    """moto's server in its own process: S3, Glue, STS, Organizations, EC2, Athena over real HTTP."""
    return _stack.start_moto()


@pytest.fixture(scope="session")
def emulator(_stack) -> EmulatorClient:
    """The AWS Backup emulator in its own process (ListBackupJobs / ListCopyJobs / ListRestoreJobs),
    through its admin API: load_jobs, generate, settle, set_faults, stats, reset."""
    return _stack.start_emulator()


@pytest.fixture(scope="session")
def aws_env(_stack, moto_url, emulator) -> Dict[str, str]:
    """The environment every process (tests and the job) uses to reach the local AWS."""
    return _stack.env


@pytest.fixture(autouse=True)
def _local_aws_only(monkeypatch):
    """No test may reach real AWS: credentials and endpoints are always the local ones."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in LocalAws().env.items():  # dummy credentials and region, no endpoint
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", NOWHERE)  # fail, never leak


@pytest.fixture
def local_aws(aws_env, monkeypatch) -> Dict[str, str]:
    """This test's SDK points at the local AWS; returns that environment."""
    for key, value in aws_env.items():
        monkeypatch.setenv(key, value)
    return aws_env


@pytest.fixture
def report(local_aws, emulator) -> Report:
    """A fresh bucket and Glue database, an emptied emulator with no faults."""
    emulator.reset()
    return new_report(local_aws)


def _run_job(args: List[str], env: Dict[str, str], now: str = "", timeout: float = 600,
             extra_env: Optional[Dict[str, str]] = None):
    """Run the real Glue entry script as a subprocess, the way Glue runs it."""
    return run_entry_script(args, env, now=now, extra_env=extra_env, timeout=timeout)


@pytest.fixture(name="run_job")
def run_job_fixture():
    """``run_job(args, env, now="", timeout=600, extra_env=None)`` -> CompletedProcess."""
    return _run_job


@pytest.fixture(scope="session")
def history(aws_env, emulator):
    """A synthetic organisation reported by three runs of the job (see builders.build_history)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            mp.delenv(name)
        for key, value in aws_env.items():
            mp.setenv(key, value)
        return build_history(emulator, aws_env, _run_job)


@pytest.fixture(scope="session")
def ask(history, aws_env):
    """Run a saved query (by file name) locally as of TODAY, with one engine (and its object cache)."""
    from backup_report.local.athena import LocalAthena
    from backup_report.queries import list_queries

    with pytest.MonkeyPatch.context() as mp:
        for key, value in aws_env.items():
            mp.setenv(key, value)
        engine = LocalAthena(history["database"], today=TODAY)
    queries = {q.name: q for q in list_queries()}

    def run(name: str, **params):
        return engine.run(queries[name].text, {k: str(v) for k, v in params.items()})

    return run



#: Fixtures that run the real entry script as a subprocess (the job, or a reported history):
#: a test using one is in the full tier only (``scripts/test.sh --fast`` leaves it out).
SUBPROCESS_FIXTURES = frozenset({"run_job", "history", "ask"})
#: Test modules that build or install the package, or run the job or the local AWS's command line as
#: subprocesses throughout: the full tier only.
SLOW_MODULES = frozenset({"test_build", "test_wheel_install", "test_kill", "test_local_up"})


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs the job, a build or an install as a subprocess (full tier only)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in SLOW_MODULES or SUBPROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
