"""The CLI works installed: the default build's wheel (not editable) in a clean virtualenv runs
``backup-report queries``, ``backup-report query ... --local`` against the local AWS it starts
itself (``backup-report local up``), and a one-day ``backup-report demo``; nothing comes from
the checkout.

It runs once, on the default interpreter: installing the wheel with its ``[local]`` extra
resolves ``scripts/constraints-dev.txt``, which pins the development environment of that
interpreter (pandas 3, numpy 2.4 need Python >= 3.11); the job itself is tested on 3.9 with
the Glue pins by the rest of the suite. The install reuses pip's cache (about a minute).
"""
from __future__ import annotations

import contextlib
import html
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List

import pytest

from .builders import ROOT, free_port_pair

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason=(
    "the clean install resolves scripts/constraints-dev.txt, pinned for the default interpreter (3.11); "
    "the job on 3.9 is tested with the Glue pins"))

SOURCES = ("setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "glue_jobs", "sql")


def _env(extra: Dict[str, str] = None) -> Dict[str, str]:
    """A fresh shell's environment: no AWS_* setting, nothing pointing at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "BACKUP_REPORT_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra or {})
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv holding the default build's wheel with its [local] extra; returns its bin/."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "backup-report"  # a copy: the build never writes into the shared checkout
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info", "_data"))
        else:
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(base / "dist"),
                            str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = (base / "dist").glob("backup_report-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-c",
                          str(ROOT / "scripts" / "constraints-dev.txt"), f"{wheel}[local]"],
                         capture_output=True, text=True, timeout=1200, env=_env())
    assert pip.returncode == 0, pip.stderr[-3000:]
    return venv / "bin"


def run(bin_dir: Path, args: List[str], cwd: Path, env: Dict[str, str] = None, timeout: float = 600):
    return subprocess.run([str(bin_dir / "backup-report"), *args], cwd=str(cwd), env=env or _env(),
                          capture_output=True, text=True, timeout=timeout)


def test_the_package_comes_from_the_wheel(installed, tmp_path):
    where = subprocess.run([str(installed / "python"), "-c", "import backup_report, backup_report.resources as r; "
                            "print(backup_report.__file__); print(r.entry_script()); print(r.sql_dir())"],
                           cwd=str(tmp_path), env=_env(), capture_output=True, text=True, check=True)
    package, script, sql = where.stdout.split()
    venv = str(installed.parent)
    assert package.startswith(venv) and script.startswith(venv) and sql.startswith(venv)
    assert script.endswith("backup_report/_data/backup_report_job.py")


def test_queries_lists_the_shipped_queries(installed, tmp_path):
    result = run(installed, ["queries"], tmp_path)
    assert result.returncode == 0, result.stderr
    names = [line for line in result.stdout.splitlines() if line and not line.startswith(" ")]
    assert "failed_backup_jobs" in names and len(names) == len(list((ROOT / "sql").glob("*.sql")))


def test_query_local_against_the_local_aws_it_starts(installed, tmp_path):
    port = free_port_pair()
    proc = subprocess.Popen([str(installed / "backup-report"), "local", "up", "--demo-org", "--days", "1", "--port",
                             str(port)], cwd=str(tmp_path), env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen: List[str] = []
    try:
        deadline = time.monotonic() + 300
        while not any(line.startswith("Ctrl-C stops") for line in seen):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(seen)
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=1))
        env = _env()
        for line in (line.strip() for line in seen):
            if line.startswith("export "):
                name, _, value = shlex.split(line)[1].partition("=")
                env[name] = value
        result = run(installed, ["query", "failed_backup_jobs", "--local", "--csv"], tmp_path, env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("report_date,status,account_id,account_name,")
        assert "always-failing" in result.stdout
        assert re.match(r"01_failed_backup_jobs: \d+ row\(s\); read ", result.stderr)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_one_day_demo(installed, tmp_path):
    result = run(installed, ["demo", "--days", "1"], tmp_path, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "organisation: 12 accounts (management + 11 members)" in out
    # a day of 4 job types in 3 regions, twice (the window of 2 days), then the inventory
    assert re.search(r"tonight: 24/24 job slices \+ inventory \(100%\): 22 written, 1 failed, 1 skipped, "
                     r"inventory written", out), out
    error = re.search(r"the error, whole: (backup-report: error: 2 of \d+ job slice\(s\) could not be fetched.*)$",
                      out, re.M)
    assert error and error.group(1).endswith("with an explicit deny in a service control policy"), out
    assert re.search(r"report_runs for run demo-tonight: \d+ job slice\(s\) succeeded, 2 failed", out), out
    kept = re.findall(r"^        (\d{4}-\d\d-\d\d): (\d+) -> (\d+) rows \(kept; \d+ listed", out, re.M)
    assert len(kept) == 2 and all(before == after for _, before, after in kept) and kept[0][1] != "0"
    output = tmp_path / "demo-output"
    stderr_log = (output / "tonight-job.stderr.log").read_text()
    assert "ERROR backup_report: copy jobs ap-southeast-2" in stderr_log and "skipped after the failure" in stderr_log
    assert "jobs written" in (output / "tonight-job.stdout.log").read_text()
    page = (output / "index.html").read_text()
    assert '<a href="#10_report_completeness">' in page and 'id="10_report_completeness"' in page
    assert "tonight-job.stderr.log" in page and html.escape(error.group(1)) in page
    assert out.rstrip().splitlines()[-6] == "To keep exploring:"  # the demo's last lines
    assert f"source {installed.parent}/bin/activate" in out and "backup-report local up --demo-org" in out
