"""A run killed at any moment (Glue timeout, out of memory, a stopped run) hides no reported job.

A synthetic organisation is reported once (the baseline) while the report day's jobs are
still running, and that run is timed. Then the jobs settle, so a rerun moves them into
status partitions the baseline did not have. The rerun is started again and again and
SIGKILLed at many points of its run, each one starting from what the killed run before it
left behind (as Glue's retries of a timed-out run would). After every kill the tables are
read the way Athena reads them (the catalog's partitions, then their CSV objects with the
declared SerDe, by the local Athena): every job of the baseline must still be visible. A
job may show twice after a kill (old and new objects both present), none may be missing.
The next complete run shows every job exactly once again. All of it twice: the job listing
on threads of its one process, and in forked listing processes (which die with it).
"""
from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Dict, List, Tuple

import boto3
import pytest

from backup_report.local.athena import LocalAthena
from backup_report.local.stack import job_environment
from backup_report.local.synthetic import FINAL_STATES, ID_FIELD, STATUS_FIELD, OrgSpec, default_accounts, generate
from backup_report.schema import JOB_TABLES, JOB_TABLES_BY_TYPE

from .builders import ENTRY_SCRIPT, ROOT, catalog_partitions

REGIONS = ["us-east-1", "eu-west-1"]
SPEC = OrgSpec(accounts=default_accounts(4), regions=REGIONS, first_day=dt.date(2026, 11, 25), days=2,
               backup_jobs_per_day=40, copy_jobs_per_day=16, restore_jobs_per_day=16, seed=11)
REPORT_DAY = SPEC.day_list[-1]
NOW = f"{REPORT_DAY.isoformat()}T23:30:00"
#: Every AWS Backup call waits this long, so that a run spends most of its time in its
#: slices, where a kill matters, rather than in starting Python.
LATENCY_SECONDS = 0.4
#: Kill points, as fractions of the duration of a complete run.
KILL_POINTS = (0.5, 0.6, 0.7, 0.8, 0.9)

Visible = Dict[str, Counter]


def unfinished_on(jobs: Dict[Tuple[str, str], List[dict]], day: dt.date) -> Dict[Tuple[str, str], List[dict]]:
    """``jobs`` as seen while ``day`` is not over: every job created that day is still running."""
    out = {}
    for (job_type, region), items in jobs.items():
        status = STATUS_FIELD[job_type]
        seen = []
        for job in items:
            created = dt.datetime.fromtimestamp(job["CreationDate"], dt.timezone.utc).date()
            if created == day and job[status] in FINAL_STATES[job_type]:
                job = {k: v for k, v in job.items() if k not in ("CompletionDate", "MessageCategory")}
                job[status] = "RUNNING"
            seen.append(job)
        out[(job_type, region)] = seen
    return out


def start_job(report, run_id: str, log_path, processes: str) -> subprocess.Popen:
    """The real Glue entry script in its own process, as Glue runs it, listing with
    ``processes`` (1: on threads; more: in forked listing processes); not waited for."""
    args = report.args(REGIONS=",".join(REGIONS), REPORT_DATE=REPORT_DAY.isoformat(),
                       LOOKBACK_DAYS=str(SPEC.days), JOB_RUN_ID=run_id)
    env = job_environment(report.env, NOW, {"BACKUP_REPORT_PROCESSES": processes})
    with open(log_path, "w", encoding="utf-8") as log:
        return subprocess.Popen([sys.executable, str(ENTRY_SCRIPT), *args], env=env,
                                cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)


def run_to_end(report, run_id: str, tmp_path, processes: str) -> float:
    """Run the job to its end; returns how long it took."""
    started = time.monotonic()
    log = tmp_path / f"{run_id}.log"
    code = start_job(report, run_id, log, processes).wait(300)
    assert code == 0, log.read_text()[-3000:]
    assert f"listing with {processes} process(es)" in log.read_text()
    return time.monotonic() - started


def visible(report) -> Visible:
    """Job ids per table, read through the catalog as Athena reads them, with how often each shows."""
    athena = LocalAthena(report.database, boto3_session=report.session, today=REPORT_DAY)
    return {t.name: Counter(athena.run(f"select {t.columns[0].name} as job_id from {t.name}").frame["job_id"])
            for t in JOB_TABLES}


def keys(session: boto3.Session, bucket: str) -> set:
    pages = session.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


@pytest.mark.parametrize("processes", ["1", "2"], ids=["threads", "forked-processes"])
def test_a_run_killed_at_any_point_hides_no_reported_job(report, emulator, tmp_path, processes):
    jobs = generate(SPEC)
    for (job_type, region), items in unfinished_on(jobs, REPORT_DAY).items():
        emulator.load_jobs(job_type, region, items)
    emulator.set_faults(latency_seconds=LATENCY_SECONDS)
    duration = run_to_end(report, "jr_baseline", tmp_path, processes)
    baseline = visible(report)
    for job_type, table in JOB_TABLES_BY_TYPE.items():
        want = {job[ID_FIELD[job_type]] for (jt, _), items in jobs.items() if jt == job_type for job in items}
        assert set(baseline[table.name]) == want and set(baseline[table.name].values()) == {1}, table.name
    partitions_before = {t.name: catalog_partitions(report.session, report.database, t.name) for t in JOB_TABLES}

    # The report day's jobs finish as generated; every other unfinished job settles too.
    for (job_type, region), items in jobs.items():
        emulator.load_jobs(job_type, region, items)
    assert emulator.settle(seed=5) > 0

    outcomes = []
    for point in KILL_POINTS:
        run_id = f"jr_killed_at_{int(point * 100)}"
        present = keys(report.session, report.bucket)
        proc = start_job(report, run_id, tmp_path / f"{run_id}.log", processes)
        try:
            proc.wait(timeout=duration * point)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        code = proc.wait(60)
        replaced = bool(present - keys(report.session, report.bucket))  # a slice deleted older objects
        now = visible(report)
        lost = {table: sorted(set(ids) - set(now[table])) for table, ids in baseline.items()}
        outcomes.append((point, code, replaced, {t: (len(ids), ids[:2]) for t, ids in lost.items() if ids}))

    hidden = [(point, lost) for point, _code, _replaced, lost in outcomes if lost]
    assert not hidden, f"jobs hidden after a kill (fraction of the run, {{table: (count, first ids)}}): {hidden}"
    # The test means something only if kills landed mid-way, after slices replaced older objects.
    midway = [point for point, code, replaced, _lost in outcomes if code == -signal.SIGKILL and replaced]
    assert len(midway) >= len(KILL_POINTS) // 2, f"too few kills landed mid-run ({duration:.1f} s): {outcomes}"

    run_to_end(report, "jr_after_kills", tmp_path, processes)
    assert visible(report) == {table: Counter(set(ids)) for table, ids in baseline.items()}  # exactly once
    moved = {t.name: catalog_partitions(report.session, report.database, t.name) - partitions_before[t.name]
             for t in JOB_TABLES}
    assert all(moved.values()), f"the reruns must move jobs into partitions the baseline lacked: {moved}"
