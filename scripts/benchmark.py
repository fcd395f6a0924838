#!/usr/bin/env python3
"""Benchmark the job against a seed-like baseline on the local emulator; prints figures side by side.

    python scripts/benchmark.py                 # unpaced: 100,000 jobs, 4 regions, no latency, no quota
    python scripts/benchmark.py --jobs 1000000  # toward 1,000,000 jobs a day
    python scripts/benchmark.py --paced         # like the real API: 300,000 jobs, 3 regions,
                                                # 60 ms per call, 20 calls/s per region

Both pipelines read the same synthetic day from the AWS Backup emulator (its own
process) and write to moto's S3 (its own process); each runs as a subprocess whose
wall time and peak memory are measured. The baseline is what a seed-like exporter does:
paginate (one call at a time per region) -> csv module -> one put_object per status.
It lists no malware scans, so the job it is compared with runs with ``--JOB_TYPES
backup,copy,restore``; the scan listing is measured on its own afterwards (``--JOB_TYPES
scan``, a line of its own below the table; ``--no-scans`` leaves it out).

``--paced`` makes the emulator answer every call after ``--latency`` seconds and enforce
a token bucket of ``--quota`` calls per second per region (``ThrottlingException``
beyond it), as AWS Backup does. The quota bound is then the least time any lister
needs: the minimum number of calls of the busiest region / the quota (regions run in
parallel). Nothing is asserted: the figures are printed (and written as JSON with --json).

After the job, a second run two nights later (``--REPORT_DATE`` the day after next, an
empty window) shows what settling and reconciling add to a night (``--no-later`` skips it):
the day is then outside the window and older than 24 hours, so the run compares it with
AWS Backup's daily counts and settles its slices that still hold jobs not final. Its calls
(List*Jobs, List*JobSummaries), seconds and the bytes it reads back (report_runs, the
slices' manifests, a settled slice's own objects) come from the emulator's counters and the
run's log lines.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "glue_jobs"))

from backup_report.local.stack import ROLE_ARN, LocalAws  # noqa: E402
from backup_report.local.synthetic import OrgSpec, default_accounts  # noqa: E402
from backup_report.schema import JOB_TABLES  # noqa: E402

DAY = dt.date(2026, 11, 26)
SHARES = {"backup": 0.80, "copy": 0.15, "restore": 0.05}
#: Malware scans of the day, on top of those jobs: a twentieth of them (scans are listed by state
#: and completion date, the window at once: ``scan_listing``).
SCAN_SHARE = 0.05
#: The job types the job and the baseline both list.
COMPARED_TYPES = ",".join(SHARES)
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1", "us-west-2", "ap-northeast-1"]
#: jobs, regions of each mode unless --jobs / --regions say otherwise
DEFAULTS = {False: (100_000, 4), True: (300_000, 3)}


def _descendants(pid: int) -> list:
    """``pid`` and every process below it (Linux /proc), for the memory of a process tree."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def _memory_kib(pid: int) -> tuple:
    """(RSS, PSS) of ``pid`` in KiB; PSS counts a page shared by n processes as 1/n of it."""
    found = {}
    for path, fields in ((f"/proc/{pid}/status", ("VmRSS:",)), (f"/proc/{pid}/smaps_rollup", ("Pss:",))):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(fields):
                        found[line.split()[0]] = int(line.split()[1])
        except OSError:
            pass
    return found.get("VmRSS:", 0), found.get("Pss:", 0)


def calibrate(repeat: int = 5) -> float:
    """Milliseconds of CPU a fixed piece of Python work takes (a page of 1,000 job-like objects
    decoded 50 times with ``json`` and read field by field), the best of ``repeat``: how fast
    this machine is at the moment. Its speed drifts (2x over a day on the project's machine):
    compare figures measured at a similar calibration, or a job with the baseline of one run."""
    page = json.dumps([{"BackupJobId": f"{i:036d}", "AccountId": "123456789012", "State": "COMPLETED",
                        "CreationDate": 1795736585.634 + i, "BackupSizeInBytes": i * 1024, "IsParent": False,
                        "ResourceArn": f"arn:aws:ec2:us-east-1:123456789012:instance/i-{i:017x}"}
                       for i in range(1000)])
    fields = ("BackupJobId", "State", "CreationDate", "BackupSizeInBytes", "ResourceArn")
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(50):
            [tuple(map(job.get, fields)) for job in json.loads(page)]
        best = min(best, time.process_time() - start)
    return best * 1000


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) ``pid`` has used so far (Linux /proc), 0 when unknown."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def machine_cpu_seconds() -> tuple:
    """(busy, stolen, in all): CPU seconds of the whole machine so far (Linux /proc/stat).
    Stolen: time the hypervisor gave to another guest while this one wanted to run."""
    try:
        with open("/proc/stat") as f:
            user, nice, system, idle, iowait, irq, softirq, steal = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0, 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    busy = user + nice + system + irq + softirq
    return busy / tick, steal / tick, (busy + steal + idle + iowait) / tick


def measure(cmd, env) -> dict:
    """Run ``cmd``; its wall time, exit status, output, and peak memory (MiB).

    ``cpu_s``: the CPU seconds of the process and the children it waited for (its workers).
    ``rss_mib``: the largest resident set of one process (``ru_maxrss``); ``tree_rss_mib`` and
    ``tree_pss_mib``: the peak of the sum over the process and its children, sampled every
    50 ms. The RSS sum counts the pages forked processes share once per process (an upper
    bound); the PSS sum counts them once in all: the memory the run really needs.
    ``machine_busy`` / ``machine_stolen``: the share of the machine's CPU time (all CPUs, every
    process: the local AWS too) that was busy meanwhile / taken by the hypervisor for other guests.
    """
    cpus_before = machine_cpu_seconds()
    start, started_at = time.perf_counter(), time.time()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, texts, done = [0, 0], {}, threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            sizes = [_memory_kib(p) for p in _descendants(proc.pid)]
            peak[0] = max(peak[0], sum(rss for rss, _ in sizes))
            peak[1] = max(peak[1], sum(pss for _, pss in sizes))

    def read(name, stream) -> None:
        texts[name] = stream.read()

    threads = [threading.Thread(target=sample, daemon=True),
               threading.Thread(target=read, args=("stdout", proc.stdout), daemon=True),
               threading.Thread(target=read, args=("stderr", proc.stderr), daemon=True)]
    for thread in threads:
        thread.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    cpus_after = machine_cpu_seconds()
    done.set()
    for thread in threads:
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    return {"wall_s": wall, "started_at": started_at, "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024, "tree_rss_mib": peak[0] / 1024,
            "tree_pss_mib": peak[1] / 1024,
            "machine_busy": (cpus_after[0] - cpus_before[0]) / max(1e-9, cpus_after[2] - cpus_before[2]),
            "machine_stolen": (cpus_after[1] - cpus_before[1]) / max(1e-9, cpus_after[2] - cpus_before[2]),
            "rc": proc.returncode, "stdout": texts.get("stdout", ""), "stderr": texts.get("stderr", "")}


#: The job's log lines that end its stages (job.py), in order.
STAGE_ENDS = (("start-up (imports, checks, catalog tables)", re.compile(r"INFO backup_report: listing with")),
              ("listing, shaping, writing the slices",
               re.compile(r"INFO backup_report: (backup|copy|restore|scan) jobs ")),
              ("catalog partitions, report_runs", re.compile(r"INFO backup_report: report_runs:")),
              ("attention: events, digest, alerts ledger", re.compile(r"backup_report: run \S+ (succeeded|failed)")))


def job_stages(output: str, started_at: float) -> dict:
    """Seconds each stage of the job took, from its log lines' timestamps (millisecond precision)."""
    ends = {}
    for line in output.splitlines():
        for label, pattern in STAGE_ENDS:
            if pattern.search(line):
                stamp = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                ends[label] = stamp.timestamp()  # the job logs in this machine's local time, like time.time()
    stages, last = {}, started_at
    for label, _ in STAGE_ENDS:
        if label in ends:
            stages[label] = ends[label] - last
            last = ends[label]
    return stages


def bytes_under(local: LocalAws, bucket: str, prefix: str) -> int:
    s3 = local.session().client("s3")
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        total += sum(o["Size"] for o in page.get("Contents", []))
    return total


def baseline_worker(bucket: str, regions: list, day: str) -> None:
    """The seed-like pipeline: paginate -> csv module -> one put_object per (type, region, status)."""
    import csv
    import io
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from botocore.config import Config

    session = boto3.Session()
    config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=20)
    s3 = session.client("s3", config=config)
    start = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)

    def one_region(region: str) -> int:
        client = session.client("backup", region_name=region, config=config)
        count = 0
        for table in (t for t in JOB_TABLES if t.job_type in SHARES):
            buffers = {}
            pages = client.get_paginator(table.operation).paginate(
                ByAccountId="*", ByCreatedAfter=start, ByCreatedBefore=start + dt.timedelta(days=1),
                PaginationConfig={"PageSize": 1000})
            for page in pages:
                for job in page[table.result_key]:
                    status = job[table.status_field]
                    if status not in buffers:
                        buffers[status] = (io.StringIO(), None)
                        buffers[status] = (buffers[status][0], csv.writer(buffers[status][0]))
                    buffers[status][1].writerow(job.values())
                    count += 1
            for status, (text, _) in buffers.items():
                s3.put_object(Bucket=bucket, Key=f"baseline/{table.name}/{day}/{status}/{region}.csv",
                              Body=text.getvalue().encode("utf-8"))
        return count

    with ThreadPoolExecutor(max_workers=min(len(regions), 4)) as pool:
        print(sum(pool.map(one_region, regions)))


def cpu_bound(run: dict, cpus: int) -> float:
    """The least wall time ``cpus`` CPUs allow for the CPU a run took: its own and the local AWS's,
    which share them here. Where it exceeds the quota bound, the run is limited by the machine,
    and no listing strategy reaches the quota bound."""
    return (run["cpu_s"] + run["emulator_cpu_s"] + run["moto_cpu_s"]) / max(1, cpus)


def list_calls(stats: dict, regions: list) -> dict:
    """List*Jobs requests seen by the emulator (throttled ones included), per region, and throttled;
    List*JobSummaries requests apart (``summaries_calls``)."""
    per_region = {r: sum(n for (op, region), n in stats["requests"].items()
                         if region == r and not op.endswith("JobSummaries")) for r in regions}
    summaries = sum(n for (op, _region), n in stats["requests"].items() if op.endswith("JobSummaries"))
    return {"calls": sum(per_region.values()), "calls_per_region": per_region, "summaries_calls": summaries,
            "throttled": stats.get("throttled", 0)}


#: What a run read back to settle and reconcile, from its log lines.
READ_BACK = {
    "report_runs": re.compile(r"settling: (\d+) report_runs object\(s\) read \((\d+) bytes\); (\d+) slice"),
    "manifests": re.compile(r"reconciliation: [^;]*(?:; [^;]*)?; \d+ summaries call\(s\); (\d+) manifest\(s\) "
                            r"read, (\d+) bytes"),
    "earlier objects": re.compile(r" jobs \S+ \S+: (\d+) earlier object\(s\) read back \((\d+) bytes\)"),
}


def read_back(output: str) -> dict:
    """Objects and bytes a run read back, per kind (``READ_BACK``), and the slices it settled and
    reconciled (their log lines end with the reason)."""
    out = {}
    for kind, pattern in READ_BACK.items():
        found = [m.groups() for m in pattern.finditer(output)]
        out[kind] = {"objects": sum(int(g[0]) for g in found), "bytes": sum(int(g[1]) for g in found)}
    out["settling_slices"] = len(re.findall(r" jobs written \(settling\)$", output, re.M))
    out["reconciling_slices"] = len(re.findall(r" jobs written \(reconciling\)$", output, re.M))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paced", action="store_true",
                        help="emulator with per-call latency and a per-region request quota, like AWS")
    parser.add_argument("--jobs", type=int, help="jobs in the day, all types (default 100000; paced 300000)")
    parser.add_argument("--regions", type=int, help="regions (default 4; paced 3)")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.06, help="paced: seconds per call (default 0.06)")
    parser.add_argument("--quota", type=float, default=20.0,
                        help="paced: List* calls per second per region (default 20)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-scans", action="store_true", help="do not measure the scan listing")
    parser.add_argument("--no-later", action="store_true",
                        help="no second run two nights later (settling and reconciling the day)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--log", help="also write the job's log to this file")
    parser.add_argument("--baseline-worker", nargs=3, metavar=("BUCKET", "REGIONS", "DAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_worker:
        bucket, regions, day = args.baseline_worker
        baseline_worker(bucket, regions.split(","), day)
        return 0

    jobs, region_count = DEFAULTS[args.paced]
    jobs = args.jobs or jobs
    regions = REGIONS[:args.regions or region_count]
    per_region = {t: round(jobs * share / len(regions)) for t, share in SHARES.items()}
    scans_per_region = 0 if args.no_scans else round(jobs * SCAN_SHARE / len(regions))
    spec = OrgSpec(accounts=default_accounts(args.accounts), regions=tuple(regions), first_day=DAY, days=1,
                   backup_jobs_per_day=per_region["backup"], copy_jobs_per_day=per_region["copy"],
                   restore_jobs_per_day=per_region["restore"], scan_jobs_per_day=scans_per_region, seed=11)
    total = sum(per_region.values()) * len(regions)
    # the least calls of any lister: ceil(jobs / 1000) per operation and region
    minimum = {r: sum(max(1, math.ceil(per_region[t.job_type] / 1000)) for t in JOB_TABLES if t.job_type in SHARES)
               for r in regions}
    mode = (f"paced: {args.latency * 1000:.0f} ms per call, {args.quota:g} calls/s per region"
            if args.paced else "unpaced: no latency, no quota")
    load = os.getloadavg()
    calibration = calibrate()
    print(f"benchmark: {total:,} jobs on {DAY} over {len(regions)} region(s), {args.accounts} accounts; {mode}; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}; calibration {calibration:.0f} ms (a fixed CPU workload: lower is a faster machine)",
          flush=True)
    faults = {"latency_seconds": args.latency, "rate_limit_per_second": args.quota} if args.paced else {}

    figures = {"jobs": total, "regions": len(regions), "paced": args.paced, "python": sys.version.split()[0],
               "cpus": os.cpu_count(), "load_before": load, "calibration_ms_before": calibration,
               "min_calls": sum(minimum.values())}
    if args.paced:
        figures.update(latency_s=args.latency, quota=args.quota,
                       quota_bound_s=max(minimum.values()) / args.quota)
    runs = {}
    with LocalAws() as local:
        t0 = time.perf_counter()
        local.emulator.generate(spec)
        print(f"  emulator seeded in {time.perf_counter() - t0:.1f}s", flush=True)
        local.create_report_target("bench-reports", "bench")
        env = local.job_env(now=f"{DAY}T23:59:00")
        pipelines = [("job", [sys.executable, str(ROOT / "glue_jobs" / "backup_report_job.py"),
                              "--REPORT_BUCKET", "bench-reports", "--MANAGEMENT_ROLE_ARN", ROLE_ARN,
                              "--GLUE_DATABASE", "bench", "--REGIONS", ",".join(regions),
                              "--JOB_TYPES", COMPARED_TYPES, "--REPORT_DATE", DAY.isoformat(), "--LOOKBACK_DAYS", "1"],
                      "backup-reports/")]
        later = DAY + dt.timedelta(days=2)
        if not args.no_later:
            pipelines.append(("job, two nights later", [
                *pipelines[0][1][:-4], "--REPORT_DATE", later.isoformat(), "--LOOKBACK_DAYS", "1",
                "--JOB_RUN_ID", "bench-later"], "backup-reports/"))
        if not args.no_baseline:
            pipelines.append(("baseline", [sys.executable, __file__, "--baseline-worker", "bench-reports",
                                           ",".join(regions), DAY.isoformat()], "baseline/"))
        if not args.no_scans:
            pipelines.append(("scans", pipelines[0][1][:-1] + ["scan"], "backup-reports/scan_jobs/"))
        for name, cmd, prefix in pipelines:
            local.emulator.set_faults(**faults)  # a full token bucket for each pipeline
            local.emulator.reset_stats()
            services = {name: cpu_seconds(pid) for name, pid in local.pids.items()}
            result = measure(cmd, local.job_env(now=f"{later}T23:59:00") if "later" in name else env)
            services = {name: cpu_seconds(pid) - services[name] for name, pid in local.pids.items()}
            if result["rc"] != 0:
                print(f"{name} failed with status {result['rc']}:\n{result['stderr'][-3000:]}")
                return 1
            runs[name] = dict(wall_s=result["wall_s"], cpu_s=result["cpu_s"], emulator_cpu_s=services["emulator"],
                              moto_cpu_s=services["moto"], rss_mib=result["rss_mib"],
                              tree_rss_mib=result["tree_rss_mib"],
                              tree_pss_mib=result["tree_pss_mib"], machine_busy=result["machine_busy"],
                              machine_stolen=result["machine_stolen"],
                              bytes=bytes_under(local, "bench-reports", prefix),
                              **list_calls(local.emulator.stats(), regions))
            runs[name]["cpu_bound_s"] = cpu_bound(runs[name], os.cpu_count() or 1)
            if name.startswith("job"):
                runs[name]["read_back"] = read_back(result["stdout"] + result["stderr"])
            if name == "job":
                if args.log:
                    Path(args.log).write_text(result["stdout"] + result["stderr"])
                runs[name]["stages"] = job_stages(result["stdout"] + result["stderr"], result["started_at"])
            used = re.search(r"listing with (\d+) process", result["stdout"] + result["stderr"])
            runs[name]["processes"] = int(used.group(1)) if used else 1
            print(f"  {name}: {result['wall_s']:.1f}s", flush=True)
    figures.update(runs)
    figures["load_after"] = os.getloadavg()
    figures["calibration_ms_after"] = calibrate()
    print_table(figures, [name for name in runs if name != "scans"])
    if "scans" in runs:
        figures["scans_listed"] = scans_per_region * len(regions)
        print_scans(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


def print_table(figures: dict, names: list) -> None:
    """The figures of each pipeline side by side, as a Markdown table."""
    total, bound = figures["jobs"], figures.get("quota_bound_s")
    rows = [("wall time (s)", lambda f: f"{f['wall_s']:.1f}")]
    if bound is not None:
        rows += [("quota bound (s)", lambda f: f"{bound:.1f}"),
                 ("wall ÷ quota bound", lambda f: f"{f['wall_s'] / bound:.2f}×")]
    rows += [("CPU bound (s): CPU of the pipeline and the local AWS ÷ CPUs", lambda f: f"{f['cpu_bound_s']:.1f}"),
             ("wall ÷ CPU bound", lambda f: f"{f['wall_s'] / f['cpu_bound_s']:.2f}×")]
    rows += [("jobs/s", lambda f: f"{total / f['wall_s']:,.0f}"),
             ("List* calls (minimum)", lambda f: f"{f['calls']} ({figures['min_calls']})"),
             ("List*JobSummaries calls", lambda f: f"{f.get('summaries_calls', 0)}"),
             ("calls ÷ minimum", lambda f: f"{f['calls'] / figures['min_calls']:.3f}"),
             ("throttled calls", lambda f: f"{f['throttled']} ({100 * f['throttled'] / max(1, f['calls']):.1f} %)"),
             ("CPU of its processes (s)", lambda f: f"{f['cpu_s']:.1f}"),
             ("CPU µs per job", lambda f: f"{f['cpu_s'] * 1e6 / total:.0f}"),
             ("CPU of the emulator + moto meanwhile (s)", lambda f: f"{f['emulator_cpu_s']:.1f} + {f['moto_cpu_s']:.1f}"),
             ("machine's CPUs busy / stolen meanwhile", lambda f: f"{100 * f['machine_busy']:.0f} % / "
                                                                 f"{100 * f['machine_stolen']:.0f} %"),
             ("peak RSS, largest process (MiB)", lambda f: f"{f['rss_mib']:.0f}"),
             ("peak RSS, sum of its processes (MiB)", lambda f: f"{f['tree_rss_mib']:.0f}"),
             ("peak PSS, sum of its processes (MiB)", lambda f: f"{f['tree_pss_mib']:.0f}"),
             ("processes", lambda f: f"{f['processes']}"),
             ("bytes written", lambda f: f"{f['bytes']:,}"),
             ("slices settled / reconciled", lambda f: "{} / {}".format(
                 f.get("read_back", {}).get("settling_slices", "-"), f.get("read_back", {}).get("reconciling_slices", "-"))),
             ("bytes read back: report_runs / manifests / earlier objects", lambda f: " / ".join(
                 f"{f['read_back'][k]['bytes']:,}" for k in READ_BACK) if "read_back" in f else "-")]
    print(f"\n| {total:,} jobs, {figures['regions']} regions, python {figures['python']} | "
          + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for label, cell in rows:
        print(f"| {label} | " + " | ".join(cell(figures[n]) for n in names) + " |")
    if "baseline" in figures and "job" in figures:
        figures["ratio"] = figures["job"]["wall_s"] / figures["baseline"]["wall_s"]
        print(f"\njob ÷ baseline wall time: {figures['ratio']:.2f}×")
    if figures.get("job", {}).get("stages"):
        print("\njob stages (s, from its log lines): " + "; ".join(
            f"{label} {seconds:.1f}" for label, seconds in figures["job"]["stages"].items()))
    before, after = figures["load_before"], figures["load_after"]
    print(f"load average before {before[0]:.2f}, after {after[0]:.2f} (1 min); calibration before "
          f"{figures['calibration_ms_before']:.0f} ms, after {figures['calibration_ms_after']:.0f} ms")


def print_scans(figures: dict) -> None:
    """The scan listing's line: scans, wall time, its calls (five listings a region at least)."""
    run, regions = figures["scans"], figures["regions"]
    print(f"scan listing (--JOB_TYPES scan): {figures['scans_listed']:,} scans in {run['wall_s']:.1f}s, "
          f"{run['calls']} List* calls (at least {5 * regions}: 5 a region), {run['throttled']} throttled, "
          f"CPU {run['cpu_s']:.1f}s, peak RSS {run['rss_mib']:.0f} MiB, {run['bytes']:,} bytes written")


if __name__ == "__main__":
    sys.exit(main())
