"""The job's log as an on-call engineer reads it in CloudWatch: INFO on stdout (Glue's
``output`` log group), warnings and errors on stderr (its ``error`` group), one line per
slice, and a summary line that ends every run."""
from __future__ import annotations

import re
from typing import Dict, List

import boto3
import pytest

from backup_report.local.stack import LocalAws
from backup_report.runlog import SLICE_LINE
from backup_report.schema import JOB_TABLES

from .builders import MANAGEMENT_ACCOUNT, api_job, new_report

NOW = "2026-11-26T23:59:00"
MEMBER_NAMES = ("golden-prod", "golden-dev")
DENIED = ("AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/BackupReportRead/emulator is not "
          "authorized to perform: backup:{op} in region eu-west-1 with an explicit deny in a service control policy")

#: The whole log of a run with eu-west-1 denied, timestamps and durations normalised.
GOLDEN_STDOUT = """\
<ts> INFO backup_report: run jr_golden: report days 2026-11-25 to 2026-11-26, 2 region(s): us-east-1,eu-west-1, 3 account name(s) known
<ts> INFO backup_report: settling: 0 report_runs object(s) read (0 bytes); 0 slice(s) to settle, 0 expired
<ts> INFO backup_report: listing with <n> process(es) (<cpus> CPU(s) available), 8 lane(s)
<ts> INFO backup_report: backup jobs us-east-1 2026-11-25: 1 jobs written
<ts> INFO backup_report: backup jobs us-east-1 2026-11-26: 2 jobs written
<ts> INFO backup_report: copy jobs us-east-1 2026-11-25: 0 jobs written
<ts> INFO backup_report: copy jobs us-east-1 2026-11-26: 1 jobs written
<ts> INFO backup_report: restore jobs us-east-1 2026-11-25: 0 jobs written
<ts> INFO backup_report: restore jobs us-east-1 2026-11-26: 0 jobs written
<ts> INFO backup_report: scan jobs us-east-1 2026-11-25: 0 jobs written
<ts> INFO backup_report: scan jobs us-east-1 2026-11-26: 0 jobs written
<ts> INFO backup_report: report_runs: 16 slice row(s) written for 2 report day(s)
<ts> INFO backup_report: reconciliation: 12 day(s) checked, 0 slice(s) rewritten, 0 differing, 4 error(s); 4 summaries call(s); 0 manifest(s) read, 0 bytes
<ts> INFO backup_report.notify: attention: 1 job(s) of the window need attention and are recent; new for events: 1
<ts> INFO backup_report.notify: attention: announced 1 job(s): events 1
"""
GOLDEN_STDERR = f"""\
<ts> WARNING backup_report: reconciliation: AWS Backup's counts of backup jobs in eu-west-1 could not be read (the report is not compared, nor touched): {DENIED.format(op="ListBackupJobSummaries")}
<ts> WARNING backup_report: reconciliation: AWS Backup's counts of copy jobs in eu-west-1 could not be read (the report is not compared, nor touched): {DENIED.format(op="ListCopyJobSummaries")}
<ts> WARNING backup_report: reconciliation: AWS Backup's counts of restore jobs in eu-west-1 could not be read (the report is not compared, nor touched): {DENIED.format(op="ListRestoreJobSummaries")}
<ts> WARNING backup_report: reconciliation: AWS Backup's counts of scan jobs in eu-west-1 could not be read (the report is not compared, nor touched): {DENIED.format(op="ListScanJobSummaries")}
<ts> ERROR backup_report: backup jobs eu-west-1 2026-11-25: failed: {DENIED.format(op="ListBackupJobs")} (earlier rows kept)
<ts> ERROR backup_report: backup jobs eu-west-1 2026-11-26: skipped after the failure of 2026-11-25 (earlier rows kept): {DENIED.format(op="ListBackupJobs")}
<ts> ERROR backup_report: copy jobs eu-west-1 2026-11-25: failed: {DENIED.format(op="ListCopyJobs")} (earlier rows kept)
<ts> ERROR backup_report: copy jobs eu-west-1 2026-11-26: skipped after the failure of 2026-11-25 (earlier rows kept): {DENIED.format(op="ListCopyJobs")}
<ts> ERROR backup_report: restore jobs eu-west-1 2026-11-25: failed: {DENIED.format(op="ListRestoreJobs")} (earlier rows kept)
<ts> ERROR backup_report: restore jobs eu-west-1 2026-11-26: skipped after the failure of 2026-11-25 (earlier rows kept): {DENIED.format(op="ListRestoreJobs")}
<ts> ERROR backup_report: scan jobs eu-west-1 2026-11-25: failed: {DENIED.format(op="ListScanJobs")} (earlier rows kept)
<ts> ERROR backup_report: scan jobs eu-west-1 2026-11-26: failed: {DENIED.format(op="ListScanJobs")} (earlier rows kept)
backup-report: error: 8 of 16 job slice(s) could not be fetched; their earlier rows were kept and report_runs records the failure: \
region eu-west-1, backup jobs, 2 day(s) 2026-11-25..2026-11-26, 1 of them skipped after the first failure: \
{DENIED.format(op="ListBackupJobs")}; \
region eu-west-1, copy jobs, 2 day(s) 2026-11-25..2026-11-26, 1 of them skipped after the first failure: \
{DENIED.format(op="ListCopyJobs")}; \
region eu-west-1, restore jobs, 2 day(s) 2026-11-25..2026-11-26, 1 of them skipped after the first failure: \
{DENIED.format(op="ListRestoreJobs")}; \
region eu-west-1, scan jobs, 2 day(s) 2026-11-25..2026-11-26: {DENIED.format(op="ListScanJobs")}
<ts> ERROR backup_report: run jr_golden failed (exit status 1): 8 job slice(s) written, 5 failed, 3 skipped; jobs written to s3://<bucket>/backup-reports/: backup_jobs 3, copy_jobs 1, restore_jobs 0, scan_jobs 0; pages parsed: 11 fast, 0 by botocore; reconciliation: 12 day(s) checked, 0 slice(s) rewritten, 0 differing, 4 error(s); <seconds>s
"""

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.MULTILINE)
_SECONDS = re.compile(r"; \d+\.\ds$", re.MULTILINE)
_CPUS = re.compile(r"listing with \d+ process\(es\) \(\d+ CPU\(s\) available\)")


def normalised(text: str, bucket: str) -> str:
    """Timestamps, the duration, the machine's CPU count and the test's bucket name replaced by
    placeholders."""
    text = _TIMESTAMP.sub("<ts> ", text)
    text = _CPUS.sub("listing with <n> process(es) (<cpus> CPU(s) available)", text)
    text = _SECONDS.sub("; <seconds>s", text)
    return text.replace(bucket, "<bucket>")


def by_region(text: str, regions: List[str]) -> str:
    """The slice lines in a fixed order, where the first of them was: region, job type, day
    (slices are fetched in parallel, so their lines interleave); every other line keeps the
    job's own order."""
    lines = text.splitlines(keepends=True)
    types = [t.job_type for t in JOB_TABLES]
    slices = [(regions.index(m.group("region")), types.index(m.group("job_type")), m.group("day"), line)
              for line in lines for m in [SLICE_LINE.search(line)] if m]
    if not slices:
        return text
    first = next(n for n, line in enumerate(lines) if SLICE_LINE.search(line))
    others = [(n, line) for n, line in enumerate(lines) if not SLICE_LINE.search(line)]
    before = [line for n, line in others if n < first]
    after = [line for n, line in others if n > first]
    return "".join(before + [line for *_, line in sorted(slices)] + after)


@pytest.fixture
def fresh_moto():
    """A moto server of this test's own: an organisation whose accounts this test alone names."""
    stack = LocalAws()
    try:
        yield stack.start_moto()
    finally:
        stack.stop()


def test_golden_log_of_a_run_with_a_denied_region(fresh_moto, aws_env, emulator, run_job, monkeypatch):
    env: Dict[str, str] = dict(aws_env, AWS_ENDPOINT_URL=fresh_moto)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    for name in MEMBER_NAMES:
        org.create_account(Email=f"{name}@example.com", AccountName=name)
    report = new_report(env, "golden")
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", "b-1", MANAGEMENT_ACCOUNT, "2026-11-25T03:00:00", "COMPLETED"),
        api_job("backup", "b-2", MANAGEMENT_ACCOUNT, "2026-11-26T03:00:00", "FAILED", StatusMessage="disk gone"),
        api_job("backup", "b-3", MANAGEMENT_ACCOUNT, "2026-11-26T04:00:00", "COMPLETED")])
    emulator.load_jobs("copy", "us-east-1", [
        api_job("copy", "c-1", MANAGEMENT_ACCOUNT, "2026-11-26T05:00:00", "COMPLETED")])
    emulator.load_jobs("backup", "eu-west-1", [
        api_job("backup", "b-eu", MANAGEMENT_ACCOUNT, "2026-11-26T03:00:00", "COMPLETED")])
    emulator.set_faults(denied_regions=["eu-west-1"])
    try:
        result = run_job(report.args(REGIONS="us-east-1,eu-west-1", LOOKBACK_DAYS="2", JOB_RUN_ID="jr_golden"),
                         env, now=NOW)
    finally:
        emulator.set_faults()
    assert result.returncode == 1, result.stderr[-3000:]
    regions = ["us-east-1", "eu-west-1"]
    assert by_region(normalised(result.stdout, report.bucket), regions) == GOLDEN_STDOUT
    assert by_region(normalised(result.stderr, report.bucket), regions) == GOLDEN_STDERR


def test_a_run_that_succeeds_ends_with_its_summary_on_stdout(report, emulator, run_job):
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", "b-1", MANAGEMENT_ACCOUNT, "2026-11-26T03:00:00", "COMPLETED")])
    result = run_job(report.args(REGIONS="us-east-1", LOOKBACK_DAYS="1", JOB_RUN_ID="jr_ok"), report.env, now=NOW)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == ""
    last = normalised(result.stdout, report.bucket).splitlines()[-1]
    assert last == ("<ts> INFO backup_report: run jr_ok succeeded: 4 job slice(s) written, 0 failed, 0 skipped; jobs "
                    "written to s3://<bucket>/backup-reports/: backup_jobs 1, copy_jobs 0, restore_jobs 0, "
                    "scan_jobs 0; pages parsed: 8 fast, 0 by botocore; reconciliation: 12 day(s) checked, "
                    "0 slice(s) rewritten, 0 differing; <seconds>s")


def test_a_run_refused_before_it_starts_still_ends_with_its_summary(run_job, aws_env):
    result = run_job(["--REPORT_BUCKET", "b-b-b", "--LOOKBAK_DAYS", "30", "--JOB_RUN_ID", "jr_typo"], aws_env)
    assert result.returncode == 2 and result.stdout == ""
    lines = normalised(result.stderr, "b-b-b").splitlines()
    assert lines[0].startswith("backup-report: error: unknown argument --LOOKBAK_DAYS; did you mean --LOOKBACK_DAYS?")
    assert lines[1:] == ["<ts> ERROR backup_report: run jr_typo failed (exit status 2): 0 job slice(s) written, 0 failed, "
                         "0 skipped; jobs written: backup_jobs 0, copy_jobs 0, restore_jobs 0, scan_jobs 0; <seconds>s"]


def test_no_region_names_the_setting_boto3_reads(report, run_job):
    env = {k: v for k, v in report.env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    env["AWS_CONFIG_FILE"] = "/nonexistent"
    args = report.args(REGIONS="us-east-1", LOOKBACK_DAYS="1")
    refused = run_job(args, dict(env, AWS_REGION="us-east-1"), now=NOW)  # what the old advice said to set
    assert refused.returncode == 1
    assert "backup-report: error: No AWS region is configured for the job: set AWS_DEFAULT_REGION" in refused.stderr
    followed = run_job(args, dict(env, AWS_DEFAULT_REGION="us-east-1"), now=NOW)  # what the advice says now
    assert followed.returncode == 0, followed.stderr[-3000:]
