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
