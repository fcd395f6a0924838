"""scripts/benchmark.py's arithmetic: the CPU bound and how its table shows it (timing itself is
reported by the benchmark, never asserted)."""
from __future__ import annotations

import re

from .builders import load_script

benchmark = load_script("benchmark")


def run(wall: float, cpu: float, emulator: float, moto: float) -> dict:
    return dict(wall_s=wall, cpu_s=cpu, emulator_cpu_s=emulator, moto_cpu_s=moto, calls=310, throttled=0,
                rss_mib=400.0, tree_rss_mib=900.0, tree_pss_mib=700.0, machine_busy=0.8, machine_stolen=0.0,
                bytes=1000, processes=2)


def test_the_cpu_bound_is_the_cpu_of_the_run_and_of_the_local_aws_over_the_cpus():
    assert benchmark.cpu_bound(run(15.0, 17.0, 1.5, 2.5), 2) == 10.5
    assert benchmark.cpu_bound(run(15.0, 17.0, 1.5, 2.5), 4) == 5.25
    assert benchmark.cpu_bound(run(15.0, 3.0, 0.0, 1.0), 0) == 4.0  # no CPU count known: one


def test_the_table_shows_the_cpu_bound_and_the_wall_time_over_it(capsys):
    job = run(15.0, 17.0, 1.5, 2.5)
    job["cpu_bound_s"] = benchmark.cpu_bound(job, 2)
    figures = {"jobs": 300_000, "regions": 3, "python": "3.9.18", "min_calls": 300, "quota_bound_s": 5.0,
               "load_before": (1.0, 1.0, 1.0), "load_after": (1.5, 1.0, 1.0), "calibration_ms_before": 70,
               "calibration_ms_after": 72, "job": job}
    benchmark.print_table(figures, ["job"])
    table = capsys.readouterr().out
    assert re.search(r"^\| CPU bound \(s\)[^|]*\| 10\.5 \|$", table, re.M)
    assert re.search(r"^\| wall ÷ CPU bound \| 1\.43× \|$", table, re.M)
    assert re.search(r"^\| wall ÷ quota bound \| 3\.00× \|$", table, re.M)


def test_what_a_run_read_back_is_taken_from_its_log_lines():
    log = "\n".join([
        "2026-11-28 23:59:01,000 INFO backup_report: settling: 3 report_runs object(s) read (4096 bytes); "
        "2 slice(s) to settle, 0 expired",
        "2026-11-28 23:59:02,000 INFO backup_report: backup jobs us-east-1 2026-11-26: 17 earlier object(s) read "
        "back (9000000 bytes) to keep the jobs the listing no longer returns",
        "2026-11-28 23:59:03,000 INFO backup_report: backup jobs us-east-1 2026-11-26: 80000 jobs written (settling)",
        "2026-11-28 23:59:03,500 INFO backup_report: copy jobs eu-west-1 2026-11-25: 12 jobs written (reconciling)",
        "2026-11-28 23:59:04,000 INFO backup_report: reconciliation: 13 day(s) checked, 0 slice(s) rewritten, "
        "0 differing, 1 error(s); 9 summaries call(s); 9 manifest(s) read, 5120 bytes"])
    assert benchmark.read_back(log) == {
        "report_runs": {"objects": 3, "bytes": 4096}, "manifests": {"objects": 9, "bytes": 5120},
        "earlier objects": {"objects": 17, "bytes": 9000000}, "settling_slices": 1, "reconciling_slices": 1}


def test_summaries_calls_are_counted_apart_from_the_listings():
    stats = {"requests": {("ListBackupJobs", "us-east-1"): 80, ("ListBackupJobSummaries", "us-east-1"): 1,
                          ("ListCopyJobs", "eu-west-1"): 3, ("ListCopyJobSummaries", "eu-west-1"): 2}, "throttled": 4}
    assert benchmark.list_calls(stats, ["us-east-1", "eu-west-1"]) == {
        "calls": 83, "calls_per_region": {"us-east-1": 80, "eu-west-1": 3}, "summaries_calls": 3, "throttled": 4}
