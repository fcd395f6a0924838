#!/usr/bin/env python3
"""Benchmark the job against a minimal baseline pipeline on the local emulator; prints figures.

    python scripts/benchmark.py                 # 100,000 jobs in one day
    python scripts/benchmark.py --jobs 1000000  # toward 1,000,000 jobs a day

Both pipelines read the same synthetic day from the AWS Backup emulator (its own
process) and write to moto's S3 (its own process); each runs as a subprocess whose
wall time and peak RSS are measured. The baseline is the least a correct exporter
must do: paginate -> csv module -> one put_object per status. Nothing is asserted:
the figures are printed (and written as JSON with --json).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "glue_jobs"))

from backup_report.local.stack import ROLE_ARN, LocalAws  # noqa: E402
from backup_report.local.synthetic import OrgSpec, default_accounts  # noqa: E402
from backup_report.schema import JOB_TABLES  # noqa: E402

DAY = dt.date(2026, 11, 26)
SHARES = {"backup": 0.80, "copy": 0.15, "restore": 0.05}


def measure(cmd, env) -> dict:
    """Run ``cmd``; return its wall time, peak RSS (MiB) and exit status."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
    return {"wall_s": wall, "rss_mib": usage.ru_maxrss / 1024, "rc": proc.returncode,
            "stdout": out, "stderr": err}


def bytes_under(local: LocalAws, bucket: str, prefix: str) -> int:
    s3 = local.session().client("s3")
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        total += sum(o["Size"] for o in page.get("Contents", []))
    return total


def baseline_worker(bucket: str, regions: list, day: str) -> None:
    """The minimal pipeline: paginate -> csv module -> one put_object per (type, region, status)."""
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
        for table in JOB_TABLES:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs in the day, all types (default 100000)")
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--baseline-worker", nargs=3, metavar=("BUCKET", "REGIONS", "DAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_worker:
        bucket, regions, day = args.baseline_worker
        baseline_worker(bucket, regions.split(","), day)
        return 0

    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1", "us-west-2", "ap-northeast-1"][
        :args.regions]
    per_region = {t: round(args.jobs * share / len(regions)) for t, share in SHARES.items()}
    spec = OrgSpec(accounts=default_accounts(args.accounts), regions=tuple(regions), first_day=DAY, days=1,
                   backup_jobs_per_day=per_region["backup"], copy_jobs_per_day=per_region["copy"],
                   restore_jobs_per_day=per_region["restore"], seed=11)
    total = sum(per_region.values()) * len(regions)
    print(f"benchmark: {total:,} jobs on {DAY} over {len(regions)} region(s), {args.accounts} accounts; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)

    figures = {"jobs": total, "regions": len(regions)}
    with LocalAws() as local:
        t0 = time.perf_counter()
        local.emulator.generate(spec)
        print(f"  emulator seeded in {time.perf_counter() - t0:.1f}s", flush=True)
        local.create_report_target("bench-reports", "bench")
        env = local.job_env(now=f"{DAY}T23:59:00")

        local.emulator.reset_stats()
        job = measure([sys.executable, str(ROOT / "glue_jobs" / "backup_report_job.py"),
                       "--REPORT_BUCKET", "bench-reports", "--MANAGEMENT_ROLE_ARN", ROLE_ARN,
                       "--GLUE_DATABASE", "bench", "--REGIONS", ",".join(regions),
                       "--REPORT_DATE", DAY.isoformat(), "--LOOKBACK_DAYS", "1"], env)
        if job["rc"] != 0:
            print(job["stderr"][-3000:])
            return 1
        stats = local.emulator.stats()
        calls = stats["requests"]
        minimum = {(t.operation, r): max(1, math.ceil(per_region[t.job_type] / 1000))
                   for t in JOB_TABLES for r in regions}
        per_slice = {f"{_op_name(op)[0]} {region}": {"calls": calls.get(_op_name(op) + (region,), 0),
                                                     "minimum": least}
                     for (op, region), least in minimum.items()}
        figures["job"] = {"wall_s": job["wall_s"], "rss_mib": job["rss_mib"],
                          "bytes": bytes_under(local, "bench-reports", "backup-reports/"),
                          "calls": sum(v["calls"] for v in per_slice.values()),
                          "min_calls": sum(minimum.values()), "throttled": stats.get("throttled", 0),
                          "calls_per_slice": per_slice}

        if not args.no_baseline:
            local.emulator.reset_stats()
            base = measure([sys.executable, __file__, "--baseline-worker", "bench-reports", ",".join(regions),
                            DAY.isoformat()], env)
            if base["rc"] != 0:
                print(base["stderr"][-3000:])
                return 1
            figures["baseline"] = {"wall_s": base["wall_s"], "rss_mib": base["rss_mib"],
                                   "bytes": bytes_under(local, "bench-reports", "baseline/"),
                                   "calls": sum(local.emulator.stats()["requests"].values())}

    job_f = figures["job"]
    print("\nList* calls of the job per operation and region (minimum = ceil(jobs / 1000) for the day):")
    for name, counts in job_f["calls_per_slice"].items():
        print(f"  {name:<32} {counts['calls']:>6} (minimum {counts['minimum']})")
    print("\n| pipeline | jobs | wall (s) | jobs/s | peak RSS (MiB) | List* calls (min) | bytes written |")
    print("|---|---|---|---|---|---|---|")
    print(f"| backup-report job | {total:,} | {job_f['wall_s']:.1f} | {total / job_f['wall_s']:,.0f} | "
          f"{job_f['rss_mib']:.0f} | {job_f['calls']} ({job_f['min_calls']}) | {job_f['bytes']:,} |")
    if "baseline" in figures:
        b = figures["baseline"]
        print(f"| baseline (paginate→csv→put) | {total:,} | {b['wall_s']:.1f} | {total / b['wall_s']:,.0f} | "
              f"{b['rss_mib']:.0f} | {b['calls']} | {b['bytes']:,} |")
        figures["ratio"] = job_f["wall_s"] / b["wall_s"]
        print(f"\njob / baseline wall time: {figures['ratio']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


def _op_name(operation: str) -> tuple:
    """boto3 snake_case operation -> the API name the emulator counts (list_backup_jobs -> ListBackupJobs)."""
    return ("".join(part.title() for part in operation.split("_")),)


if __name__ == "__main__":
    sys.exit(main())
