"""A local AWS you can keep (``backup-report local up``), ``query --local`` that never reaches for a
real account, and queries that say what they did."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from typing import Dict, List

import boto3
import pytest

from backup_report import cli
from backup_report.local.demo.org import ACCOUNT_NAMES
from backup_report.local.stack import MANAGEMENT_ACCOUNT_ID
from backup_report.local.synthetic import account_id
from backup_report.queries import find_query

from .builders import TODAY, free_port_pair


def _clean_env() -> Dict[str, str]:
    """This process's environment without any AWS_* setting (what a fresh shell has)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "BACKUP_REPORT_DATABASE"}


def _pasted(env: Dict[str, str], lines: List[str]) -> Dict[str, str]:
    """``env`` after a shell ran the printed ``unset`` / ``export`` lines."""
    env = dict(env)
    for line in lines:
        words = shlex.split(line)
        if words[0] == "unset":
            for name in words[1:]:
                env.pop(name, None)
        elif words[0] == "export":
            for pair in words[1:]:
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def _session_args(env: Dict[str, str]) -> Dict[str, str]:
    return {"aws_access_key_id": env["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
            "region_name": env["AWS_DEFAULT_REGION"]}


def test_query_local_refuses_without_a_local_endpoint(monkeypatch, capsys):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert cli.main(["query", "failed_backup_jobs", "--local"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == ("backup-report: error: --local needs a local AWS, and AWS_ENDPOINT_URL is not set: "
                                 "start one with `backup-report local up --demo-org` and paste the export lines it "
                                 "prints\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://s3.eu-west-1.amazonaws.com")
    assert cli.main(["query", "failed_backup_jobs", "--local"]) == 1
    assert "AWS_ENDPOINT_URL=https://s3.eu-west-1.amazonaws.com is not on this machine" in capsys.readouterr().err


@pytest.mark.parametrize("url, local", [("http://127.0.0.1:4580", True), ("http://localhost:5000", True),
                                        ("http://[::1]:4580", True), ("http://127.8.9.10:1", True),
                                        ("http://10.0.0.1:4580", False), ("https://athena.amazonaws.com", False),
                                        ("", False)])
def test_a_local_endpoint_is_a_loopback_one(monkeypatch, url, local):
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    assert bool(cli.loopback_endpoint()) is local


def test_athena_with_a_local_endpoint_names_the_missing_workgroup_not_a_key_error(local_aws, capsys):
    """moto's Athena answers GetWorkGroup of an unknown workgroup with {"WorkGroup": null}, on which
    awswrangler fails with KeyError: 'WorkGroup'; the CLI names the workgroup and the --local hint."""
    answer = boto3.client("athena").get_work_group(WorkGroup="backup-report")
    assert "WorkGroup" not in answer  # the cause, as moto answers it today
    assert cli.main(["query", "failed_backup_jobs", "--today", str(TODAY)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "KeyError" not in err
    assert err.startswith("backup-report: error: Athena workgroup backup-report does not exist in us-east-1: "
                          "deploy the reporting stack")
    assert f"AWS_ENDPOINT_URL points at {local_aws['AWS_ENDPOINT_URL']}" in err and "add --local" in err


def test_out_of_range_parameters_are_refused_with_the_range(capsys):
    assert cli.main(["query", "failed_backup_jobs", "--param", "days=0"]) == 1
    assert capsys.readouterr().err == ("backup-report: error: --param days=0 is out of range: days must be 1..3650 "
                                       "(default 2)\n")
    assert cli.main(["query", "resources_without_recent_success", "--param", "stale_days=4000"]) == 1
    assert "stale_days must be 1..3650" in capsys.readouterr().err


def test_every_parameter_of_every_saved_query_declares_its_range():
    from backup_report.queries import list_queries

    for saved in list_queries():
        for param in saved.parameters.values():
            assert param.minimum is not None and param.maximum is not None, f"{saved.name}: {param.name}"
            assert param.minimum <= int(param.default) <= param.maximum, f"{saved.name}: {param.name}"


def test_the_question_says_what_the_parameters_made_of_it():
    saved = find_query("failed_copy_jobs")
    assert "in the last 7 days" in saved.question and "/*" not in saved.question
    assert "in the last 14 days" in saved.describe({"days": "14"})
    stale = find_query("resources_without_recent_success")
    assert "in the last 5 days" in stale.describe({"stale_days": "5"})
    assert "in the last 1 day," in stale.describe({"stale_days": "1"})


def test_queries_exits_non_zero_when_it_finds_none(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BACKUP_REPORT_SQL_DIR", str(tmp_path))
    assert cli.main(["queries"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"backup-report: error: No saved queries in {tmp_path}: reinstall")


#: The local clock of the local AWS and of the commands that use it (BACKUP_REPORT_NOW): mid-morning.
LOCAL_NOW = "2026-11-27T10:00:00"


def test_local_up_keeps_a_local_aws_that_the_printed_commands_use(tmp_path):
    port = free_port_pair()
    shell = dict(_clean_env(), BACKUP_REPORT_NOW=LOCAL_NOW)
    proc = subprocess.Popen([sys.executable, "-m", "backup_report.cli", "local", "up", "--demo-org", "--days", "2",
                             "--port", str(port)], env=shell, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=str(tmp_path))
    lines: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen: List[str] = []
    try:
        deadline = time.monotonic() + 300
        while not any(line.startswith("Ctrl-C stops") for line in seen):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(seen)
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=1))
        text = "".join(seen)
        assert "organisation: 12 accounts (management + 11 members)" in text
        assert re.search(r"backfill: 24/24 job slices \+ inventory \(100%\): 24 written, inventory written\n", text)
        assert "run demo-backfill succeeded: 24 job slice(s) written, 0 failed, 0 skipped, inventory written;" in text
        # AWS Backup lists the jobs of today so far, at the local clock, as after a production night
        today = re.search(r"now, 2026-11-27 10:00 UTC: AWS Backup also lists (\d+) job\(s\) of today so far", text)
        assert today and int(today.group(1)) > 0, text
        pasted = [line.strip() for line in seen if line.strip().startswith(("export ", "unset "))]
        env = _pasted(dict(shell, AWS_PROFILE="someone-real"), pasted)
        assert env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        assert env["AWS_ENDPOINT_URL_BACKUP"] == f"http://127.0.0.1:{port + 1}"
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
        assert env["AWS_ACCESS_KEY_ID"] == "testing" and env["BACKUP_REPORT_DATABASE"] == "backup_report_demo"
        assert "AWS_PROFILE" not in env

        # the demo organisation: the same account ids in every local AWS (moto's own are random)
        listed = boto3.Session(**_session_args(env)).client("organizations", endpoint_url=env["AWS_ENDPOINT_URL"])
        accounts = {a["Name"]: a["Id"] for page in listed.get_paginator("list_accounts").paginate()
                    for a in page["Accounts"]}
        assert accounts == dict([("management", MANAGEMENT_ACCOUNT_ID)] + [(n, account_id(n)) for n in ACCOUNT_NAMES])
        backup = boto3.Session(**_session_args(env)).client("backup", endpoint_url=env["AWS_ENDPOINT_URL_BACKUP"])
        midnight = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)
        created = [j["CreationDate"] for page in backup.get_paginator("list_backup_jobs").paginate(
            ByAccountId="*", ByCreatedAfter=midnight) for j in page["BackupJobs"]]
        assert created and midnight <= min(created) and max(created) <= midnight + dt.timedelta(hours=10)

        examples = [line.strip() for line in seen if line.strip().startswith("backup-report ")]

        def run(command: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "backup_report.cli", *shlex.split(command)[1:]], env=env,
                                  capture_output=True, text=True, timeout=300, cwd=str(tmp_path))

        for command in examples:  # as printed: every one answers, doctor with every check passed
            argv = shlex.split(command)
            result = run(command)
            assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            if argv[1] == "query" and argv[2] == "failed_backup_jobs":
                assert result.stdout.startswith("-- Which backup jobs failed") and "always-failing" in result.stdout
            if argv[1] == "run":
                assert "succeeded: 36 job slice(s) written, 0 failed, 0 skipped, inventory written;"  # 3 days x 3 regions x 4 types in result.stdout
            if argv[1] == "doctor":
                checks = result.stdout.splitlines()
                assert all(line.startswith("✓ ") for line in checks[:-1]) and len(checks) > 10, result.stdout
                assert checks[-1] == f"backup-report doctor: all {len(checks) - 1} checks passed"
        doctor = next(c for c in examples if c.startswith("backup-report doctor "))

        # a management account without AWS Backup's trusted access: doctor names it, with the fix
        listed.disable_aws_service_access(ServicePrincipal="backup.amazonaws.com")
        result = run(doctor)
        assert result.returncode == 1
        assert ("✗ AWS Backup trusted access in Organizations: backup.amazonaws.com is not a trusted service — "
                "in the management account: Organizations console → Services → AWS Backup → Enable trusted access, "
                "or aws organizations enable-aws-service-access --service-principal backup.amazonaws.com"
                ) in result.stdout.splitlines()

        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert "Local AWS stopped." in "".join(rest)
    with pytest.raises(OSError):  # nothing listens any more
        import urllib.request

        urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2)


def test_a_member_accounts_id_is_that_of_its_name_in_every_local_organisation(local_aws, _stack):
    name = f"member-{uuid.uuid4().hex[:8]}"
    ((management, _), (member, named)) = _stack.create_organization([name])
    assert (management, member, named) == (MANAGEMENT_ACCOUNT_ID, account_id(name), name)
    org = boto3.client("organizations")
    assert "backup.amazonaws.com" in [s["ServicePrincipal"] for s in
                                      org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]]
    # the same name again (another email): moto's random id, never two accounts of one id
    org.create_account(Email=f"again-{name}@example.com", AccountName=name)
    ids = [a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]
           if a["Name"] == name]
    assert len(ids) == 2 and len(set(ids)) == 2 and account_id(name) in ids


def test_local_up_refuses_a_port_in_use(capsys):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert cli.main(["local", "up", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"backup-report: error: Port {port}") and "on 127.0.0.1 is in use" in err
