"""The job lists with threads in one process, or with several processes (one per CPU): the
same rows either way, every job once; the run says which it used."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from backup_report.local.synthetic import ID_FIELD, OrgSpec, default_accounts, generate
from backup_report.schema import JOB_TABLES_BY_TYPE

from .builders import read_rows

SPEC = OrgSpec(accounts=default_accounts(4), regions=["us-east-1", "eu-west-1", "ap-southeast-2"],
               first_day=dt.date(2026, 11, 25), days=2, backup_jobs_per_day=40, copy_jobs_per_day=15,
               restore_jobs_per_day=10, seed=8)


@pytest.mark.parametrize("processes", ["1", "2"])
def test_threads_or_processes_report_every_job_once(report, emulator, run_job, processes):
    emulator.generate(SPEC)
    emulator.set_faults(latency_seconds=0.02, rate_limit_per_second=20)  # the real API's pace, faster
    result = run_job(report.args(REGIONS=",".join(SPEC.regions), REPORT_DATE="2026-11-26", LOOKBACK_DAYS="2"),
                     report.env, now="2026-11-26T23:30:00", extra_env={"BACKUP_REPORT_PROCESSES": processes})
    emulator.set_faults()
    assert result.returncode == 0, result.stderr[-3000:]
    used = re.search(r"listing with (\d+) process\(es\) \((\d+) CPU\(s\) available\), 12 lane\(s\)", result.stdout)
    assert used and used.group(1) == processes, result.stdout[-2000:]
    for job_type, table in JOB_TABLES_BY_TYPE.items():
        want = sorted(job[ID_FIELD[job_type]] for (jt, _), jobs in generate(SPEC).items() if jt == job_type
                      for job in jobs)
        got = sorted(row[table.columns[0].name] for row in read_rows(report.session, report.bucket, table.name))
        assert got == want, table.name
