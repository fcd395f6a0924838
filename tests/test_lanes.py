"""Lanes at once (``lanes``): threads or forked listing processes, how many, and what the death
of a lane's thread or process does; the lanes' own slices are stood in for (``slices`` tests them)."""
from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path
from typing import List

import boto3
import pytest

from backup_report import aws, catalog, lanes
from backup_report.arguments import parse_arguments
from backup_report.schema import BACKUP_JOBS, COPY_JOBS, JOB_TABLES
from backup_report.slices import Planned, SliceResult

from .builders import ROLE_ARN, UTC

NOW = dt.datetime(2026, 11, 26, 12, tzinfo=UTC)
REGIONS = ("us-east-1", "eu-west-1")
LANES = [(table, region) for table in JOB_TABLES for region in REGIONS]
DOOMED = (COPY_JOBS, "us-east-1")


def settings(days: int = 3):
    return parse_arguments(["--REPORT_BUCKET", "reports", "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE",
                            "reports", "--LOOKBACK_DAYS", str(days)], now=NOW)


def written(table, region, planned) -> List[SliceResult]:
    """What a lane whose slices were all written returns; the count names the process that listed it."""
    return [SliceResult(table.job_type, region, p.day, counts={"COMPLETED": os.getpid()}, reason=p.reason)
            for p in planned]


def plan(window):
    """Every lane's window, and a day outside it to settle in two lanes (one of them doomed)."""
    extra = window.days[0] - dt.timedelta(days=5)
    out = {(t.job_type, r): [Planned(d) for d in window.days] for t, r in LANES}
    for table, region in ((BACKUP_JOBS, "eu-west-1"), DOOMED):
        out[(table.job_type, region)].append(Planned(extra, "settling"))
    return out


def test_the_listing_processes_follow_the_cpus_unless_set(monkeypatch):
    monkeypatch.delenv("BACKUP_REPORT_PROCESSES", raising=False)
    monkeypatch.setattr(lanes, "available_cpus", lambda: 8)
    assert [lanes.worker_processes(n) for n in (0, 1, 3, 9)] == [1, 1, 3, lanes.MAX_PROCESSES]
    monkeypatch.setattr(lanes, "available_cpus", lambda: 1)
    assert lanes.worker_processes(9) == 1
    monkeypatch.setenv("BACKUP_REPORT_PROCESSES", "6")
    assert [lanes.worker_processes(n) for n in (2, 9)] == [2, 6]
    monkeypatch.setenv("BACKUP_REPORT_PROCESSES", "none")
    assert lanes.worker_processes(9) == 1
    assert lanes.available_cpus() >= 1


def test_with_one_process_lanes_run_on_threads_and_a_failed_lane_fails_alone(monkeypatch, caplog):
    monkeypatch.setenv("BACKUP_REPORT_PROCESSES", "1")
    threads = set()

    def run_lane(client, session, settings, table, region, names, registry, planned):
        threads.add(threading.get_ident())
        assert client.meta.region_name == region and names == {"1": "one"}
        if (table, region) == DOOMED:
            raise RuntimeError("a bug")
        return written(table, region, planned)

    monkeypatch.setattr(lanes, "run_lane", run_lane)
    session = boto3.Session(region_name="us-east-1")
    window = settings()
    with caplog.at_level("INFO", logger="backup_report"):
        per_lane, _ = lanes.run_lanes(window, session, session, LANES, {"1": "one"},
                                      catalog.PartitionRegistry(session, "reports"), plan(window))
    assert "listing with 1 process(es)" in caplog.text
    assert threading.get_ident() not in threads and len(threads) <= lanes.MAX_PARALLEL_LANES
    assert_outcome(per_lane, window, "unexpected RuntimeError: a bug", plan(window))
    assert {r.counts["COMPLETED"] for lane in per_lane for r in lane if r.written} == {os.getpid()}


def test_a_listing_process_killed_mid_lane_fails_that_lane_and_the_other_lanes_complete(local_aws, monkeypatch):
    monkeypatch.setenv("BACKUP_REPORT_PROCESSES", "2")

    def run_lane(client, session, settings, table, region, names, registry, planned):  # in a listing process
        assert client.meta.region_name == region and isinstance(registry, catalog.PartitionRegistry)
        if (table, region) == DOOMED:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.3)  # listing: the other process is mid-lane when the doomed one dies, lanes still to come
        return written(table, region, planned)

    monkeypatch.setattr(lanes, "run_lane", run_lane)  # the forked processes run it too
    session = aws.job_session()
    window = settings()
    per_lane, _ = lanes.run_lanes(window, session, session, LANES, {}, catalog.PartitionRegistry(session, "reports"),
                                  plan(window))
    assert_outcome(per_lane, window, lanes.WORKER_DIED, plan(window))
    listed_by = {r.counts["COMPLETED"] for lane in per_lane for r in lane if r.written}
    assert os.getpid() not in listed_by and len(listed_by) >= 2  # by forked processes


def assert_outcome(per_lane: List[List[SliceResult]], window, cause: str, planned) -> None:
    """Every lane's planned slices in the order of ``LANES``, for their reasons: the doomed lane's
    first day failed with ``cause``, its other slices skipped after it; every other lane written."""
    assert [[(r.job_type, r.region, r.day, r.reason) for r in lane] for lane in per_lane] == [
        [(table.job_type, region, p.day, p.reason) for p in planned[(table.job_type, region)]]
        for table, region in LANES]
    for (table, region), lane in zip(LANES, per_lane):
        if (table, region) != DOOMED:
            assert all(r.written for r in lane), (table.name, region)
            continue
        first, *rest = lane
        assert first.failed and first.cause == cause
        assert all(r.skipped and r.skipped_after == first.day and r.cause == cause for r in rest)


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie, dead but not reaped by its new parent, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
def test_the_listing_processes_end_when_the_run_process_is_killed(local_aws, monkeypatch):
    monkeypatch.setenv("BACKUP_REPORT_PROCESSES", "2")
    context = multiprocessing.get_context("fork")
    started = context.Queue()

    def run_lane(client, session, settings, table, region, names, registry, planned):  # in a listing process
        started.put(os.getpid())
        time.sleep(120)  # listing on, as long as nothing ends it
        return []

    monkeypatch.setattr(lanes, "run_lane", run_lane)

    def run() -> None:  # the run's process
        session = aws.job_session()
        lanes.run_lanes(settings(), session, session, [(BACKUP_JOBS, r) for r in REGIONS], {},
                        catalog.PartitionRegistry(session, "reports"))

    run_process = context.Process(target=run)
    run_process.start()
    try:
        listing = [started.get(timeout=60) for _ in REGIONS]
        assert run_process.pid not in listing and all(_alive(pid) for pid in listing)
    finally:
        run_process.kill()  # as Glue stops a run, or the kernel a process out of memory
        run_process.join(30)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in listing) and time.monotonic() < deadline:
        time.sleep(0.1)
    outlived = [pid for pid in listing if _alive(pid)]
    for pid in outlived:  # nor may they outlive the test
        os.kill(pid, signal.SIGKILL)
    assert not outlived, "a listing process outlived the run's process"
