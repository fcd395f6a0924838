"""Every saved query of sql/, answered by the local engine over a history the real job wrote.

The history: a synthetic organisation (the generator) served by the AWS Backup emulator,
reported by the real Glue entry script in three runs (two old days; ten recent days with
ListCopyJobs denied in eu-west-1; a repair run of the last three days). Each test
computes the expected answer from the generated jobs themselves, by the SPEC's rules,
and compares it with what the query returns.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List

import boto3
import pytest

from backup_report import cli
from backup_report.local import synthetic
from backup_report.local.athena import LocalAthena, list_queries, query_parameters
from backup_report.local.demo import DemoResult, render_html
from backup_report.shape import one_line
from conftest import ROLE_ARN, run_job

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 11, 26)
REGIONS = ("us-east-1", "eu-west-1")
DENIED_REGION = "eu-west-1"
RECENT_FIRST = TODAY - dt.timedelta(days=9)  # ten recent days
OLD_FIRST = TODAY - dt.timedelta(days=45)  # two old days, outside every 30-day window
FAILURE_STATES = {"FAILED", "ABORTED", "EXPIRED", "PARTIAL"}
FINAL_BACKUP = {"COMPLETED"} | FAILURE_STATES
MEMBER_NAMES = ("queries-prod", "queries-dev", "queries-audit")


def day(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def utc(epoch):
    return None if epoch is None else synthetic.to_datetime(epoch)


def naive_ms(epoch):
    """An API timestamp as Athena reads the job's CSV: UTC, millisecond precision."""
    if epoch is None:
        return None
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=round(epoch * 1000))


def row_of(job_type: str, region: str, job: Dict, names: Dict[str, str]) -> Dict:
    """One generated job as the report must hold it (SPEC §3, §4)."""
    status = job["Status" if job_type == "restore" else "State"]
    created, completed = utc(job["CreationDate"]), utc(job.get("CompletionDate"))
    return {
        "job_type": job_type, "region": region, "status": status,
        "id": job[synthetic.ID_FIELD[job_type]], "report_date": created.date(),
        "account_id": job["AccountId"], "account_name": names.get(job["AccountId"], ""),
        "resource_type": job.get("ResourceType"),
        "resource_arn": job.get("SourceResourceArn" if job_type == "restore" else "ResourceArn"),
        "resource_name": job.get("ResourceName"),
        "message_category": job.get("MessageCategory"), "status_message": one_line(job.get("StatusMessage")),
        "creation": naive_ms(job["CreationDate"]),
        "duration": int((completed - created).total_seconds()) if completed else None,
        "size": job.get("BackupSizeInBytes"), "is_parent": bool(job.get("IsParent")),
        "destination": job.get("DestinationBackupVaultArn"),
        "testing_plan": (job.get("CreatedBy") or {}).get("RestoreTestingPlanArn"),
        "validation": job.get("ValidationStatus"),
    }


def reported_slices():
    """(job type, region, day) -> was it fetched by the last run that covered it?"""
    covered = {}
    for d in (OLD_FIRST, OLD_FIRST + dt.timedelta(days=1)):
        for t in synthetic.JOB_TYPES:
            for r in REGIONS:
                covered[(t, r, d)] = True
    for n in range(10):
        d = day(n)
        for t in synthetic.JOB_TYPES:
            for r in REGIONS:
                denied = t == "copy" and r == DENIED_REGION
                covered[(t, r, d)] = not denied or n <= 2  # the repair run rewrote the last three days
    return covered


@pytest.fixture(scope="module")
def history(moto_url, emulator, aws_env):
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            mp.delenv(name)
        for key, value in aws_env.items():
            mp.setenv(key, value)
        session = boto3.Session()
        org = session.client("organizations")
        try:
            org.create_organization(FeatureSet="ALL")
        except org.exceptions.AlreadyInOrganizationException:
            pass
        existing = {a["Name"] for p in org.get_paginator("list_accounts").paginate() for a in p["Accounts"]}
        for name in MEMBER_NAMES:
            if name not in existing:
                org.create_account(Email=f"{name}@example.com", AccountName=name)
        names = {a["Id"]: a["Name"] for p in org.get_paginator("list_accounts").paginate() for a in p["Accounts"]}
        members = [(i, n) for i, n in names.items() if n in MEMBER_NAMES]
        accounts = [("123456789012", names["123456789012"])] + sorted(members) + [("999988887777", "")]

        token = os.urandom(4).hex()
        bucket, database = f"queries-{token}", f"queries_{token}"
        session.client("s3").create_bucket(Bucket=bucket)
        session.client("glue").create_database(DatabaseInput={"Name": database})

        volume = dict(backup_jobs_per_day=25, copy_jobs_per_day=14, restore_jobs_per_day=14, seed=3)
        specs = [synthetic.OrgSpec(accounts=accounts, regions=list(REGIONS), first_day=RECENT_FIRST, days=10,
                                   **volume),
                 synthetic.OrgSpec(accounts=accounts, regions=list(REGIONS), first_day=OLD_FIRST, days=2, **volume)]
        emulator.reset()
        generated = []
        for spec in specs:
            emulator.generate(spec)
            for job_type, region, _d, jobs in synthetic.iter_chunks(spec):
                generated += [(job_type, region, job) for job in jobs]

        def job(*extra, now, expect_ok=True):
            args = ["--REPORT_BUCKET", bucket, "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", database,
                    "--REGIONS", ",".join(REGIONS), *extra]
            result = run_job(args, aws_env, now=now)
            assert (result.returncode == 0) == expect_ok, result.stderr[-3000:]
            return result

        job("--LOOKBACK_DAYS", "2", "--JOB_RUN_ID", "run-old", now=f"{OLD_FIRST + dt.timedelta(days=1)}T23:59:00")
        emulator.set_faults(denied=[[DENIED_REGION, "ListCopyJobs"]])
        denied = job("--LOOKBACK_DAYS", "10", "--JOB_RUN_ID", "run-denied", now=f"{TODAY}T23:59:00",
                     expect_ok=False)
        assert "AccessDenied" in denied.stderr
        emulator.set_faults()
        job("--LOOKBACK_DAYS", "3", "--JOB_RUN_ID", "run-repair", now=f"{TODAY}T23:59:30")

    covered = reported_slices()
    rows = [row_of(t, r, j, {k: v for k, v in names.items()}) for t, r, j in generated]
    rows = [x for x in rows if covered.get((x["job_type"], x["region"], x["report_date"]))]
    assert {x["status"] for x in rows if x["job_type"] == "backup"} == set(synthetic.STATES["backup"])
    return {"database": database, "rows": rows, "names": names}


@pytest.fixture(scope="module")
def ask(history, aws_env):
    """Run a saved query (by file name) locally as of TODAY, with one engine (and its object cache)."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in aws_env.items():
            mp.setenv(key, value)
        engine = LocalAthena(history["database"], today=TODAY)
    queries = {q.name: q for q in list_queries()}

    def run(name: str, **params):
        return engine.run(queries[name].text, {k: str(v) for k, v in params.items()})

    return run


def in_window(row, days: int) -> bool:
    return day(days) < row["report_date"] <= TODAY


def jobs(history, job_type: str, days: int) -> List[Dict]:
    return [x for x in history["rows"] if x["job_type"] == job_type and in_window(x, days)]


def records(result) -> List[Dict]:
    frame = result.frame.astype(object).where(result.frame.notna(), None)
    return frame.to_dict("records")


def rounded(got: float, exact: float, digits: int) -> bool:
    """``got`` is SQL's round(exact, digits) (half away from zero; Python's round() is not)."""
    return abs(got - exact) <= 0.5 * 10 ** -digits + 1e-9


def nearest_rank(values: List[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


# --------------------------------------------------------------------------- each query's answer


def test_01_failed_backup_jobs(history, ask):
    result = ask("01_failed_backup_jobs")
    expected = {(x["id"], x["status"], x["report_date"], x["account_id"], x["account_name"], x["region"],
                 x["resource_arn"], x["message_category"] or "", x["status_message"] or "")
                for x in history["rows"] if x["job_type"] == "backup" and x["status"] in FAILURE_STATES
                and x["report_date"] >= day(1)}
    got = {(r["backup_job_id"], r["status"], r["report_date"], r["account_id"], r["account_name"], r["region"],
            r["resource_arn"], r["message_category"], r["status_message"]) for r in records(result)}
    assert got == expected and len(result.frame) == len(expected) > 10
    assert any('"data, logs"' in message for *_, message in got)  # commas and quotes survived


def test_02_daily_status_counts(history, ask):
    expected = Counter((x["report_date"], x["job_type"], x["status"]) for x in history["rows"] if in_window(x, 30))
    got = {(r["report_date"], r["job_type"], r["status"]): r["job_count"] for r in records(ask("02_daily_status_counts"))}
    assert got == dict(expected)
    one_day = ask("02_daily_status_counts", days=1)
    assert set(one_day.frame["report_date"]) == {TODAY}
    assert one_day.partitions_read < ask("02_daily_status_counts").partitions_read


def test_03_success_rate_by_account(history, ask):
    per = defaultdict(Counter)
    for x in jobs(history, "backup", 30):
        c = per[x["account_id"]]
        c["jobs"] += 1
        c["finished"] += x["status"] in FINAL_BACKUP
        c["completed"] += x["status"] == "COMPLETED"
        c["issues"] += x["status"] == "COMPLETED" and x["message_category"] not in (None, "SUCCESS")
        c["failed"] += x["status"] == "FAILED"
        c["partial"] += x["status"] == "PARTIAL"
    got = records(ask("03_success_rate_by_account"))
    assert {r["account_id"] for r in got} == set(per)
    for r in got:
        c = per[r["account_id"]]
        assert (r["jobs"], r["finished_jobs"], r["completed_jobs"], r["completed_with_issues"], r["failed_jobs"],
                r["partial_jobs"]) == (c["jobs"], c["finished"], c["completed"], c["issues"], c["failed"],
                                       c["partial"])
        assert rounded(r["success_rate_pct"], 100 * c["completed"] / c["finished"], 2)
        assert r["account_name"] == history["names"].get(r["account_id"], "")
    rates = [r["success_rate_pct"] for r in got if r["success_rate_pct"] is not None]
    assert [r["success_rate_pct"] for r in got][:len(rates)] == sorted(rates)  # worst first, no rate last


def _stale_resources(history, stale_days: int):
    by_resource = defaultdict(list)
    for x in jobs(history, "backup", 30):
        by_resource[x["resource_arn"]].append(x)
    out = {}
    for arn, group in by_resource.items():
        if any(x["status"] == "COMPLETED" and x["report_date"] > day(stale_days) for x in group):
            continue
        successes = [x["creation"] for x in group if x["status"] == "COMPLETED"]
        recent_failures = sum(x["status"] in FAILURE_STATES and x["report_date"] > day(stale_days) for x in group)
        out[arn] = (max(successes) if successes else None, not successes, recent_failures)
    return out


def test_04_resources_without_recent_success(history, ask):
    expected = _stale_resources(history, 2)
    got = {r["resource_arn"]: (r["last_success_at"], r["has_no_success_in_window"], r["recent_failures"])
           for r in records(ask("04_resources_without_recent_success"))}
    assert got == expected
    always_failing = {x["resource_arn"] for x in jobs(history, "backup", 30)
                      if synthetic.FAILING_RESOURCE_MARKER in (x["resource_name"] or "")}
    assert always_failing and all(got[arn][1] is True for arn in always_failing)  # "only failed" ones are in
    wider = {r["resource_arn"] for r in records(ask("04_resources_without_recent_success", stale_days=5))}
    assert wider == set(_stale_resources(history, 5))


def test_05_completed_with_issues(history, ask):
    expected = {(x["job_type"], x["id"], x["message_category"]) for x in history["rows"]
                if x["job_type"] in ("backup", "copy") and in_window(x, 7) and x["status"] == "COMPLETED"
                and x["message_category"] not in (None, "SUCCESS")}
    got = {(r["job_type"], r["job_id"], r["message_category"]) for r in records(ask("05_completed_with_issues"))}
    assert got == expected and {t for t, _, _ in got} == {"backup", "copy"}


def test_06_backup_duration_percentiles(history, ask):
    durations = defaultdict(list)
    for x in jobs(history, "backup", 30):
        if x["status"] == "COMPLETED" and not x["is_parent"] and x["duration"] is not None:
            durations[x["resource_type"]].append(x["duration"])
    got = {r["resource_type"]: r for r in records(ask("06_backup_duration_percentiles"))}
    assert set(got) == set(durations)
    for rtype, values in durations.items():
        r = got[rtype]
        assert (r["completed_jobs"], r["max_seconds"]) == (len(values), max(values))
        assert (r["p50_seconds"], r["p95_seconds"]) == (nearest_rank(values, 0.5), nearest_rank(values, 0.95))
        assert rounded(r["p95_minutes"], r["p95_seconds"] / 60, 1)


def test_07_backup_volume_daily(history, ask):
    expected = defaultdict(lambda: [0, 0])
    for x in jobs(history, "backup", 30):
        if x["status"] == "COMPLETED" and not x["is_parent"]:
            key = (x["report_date"], x["account_id"], x["resource_type"])
            expected[key][0] += 1
            expected[key][1] += x["size"] or 0
    got = {(r["report_date"], r["account_id"], r["resource_type"]): [r["completed_jobs"], r["backup_bytes"]]
           for r in records(ask("07_backup_volume_daily"))}
    assert got == dict(expected)
    assert any(v[1] > 4 * 2**30 for v in got.values())  # sizes over 4 GiB stay exact bigints


def test_08_failed_copy_jobs(history, ask):
    def kind(x):
        _, _, _, region, account, *_ = x["destination"].split(":")
        cross = [k for k, differs in (("cross-region", region != x["region"]),
                                      ("cross-account", account != x["account_id"])) if differs]
        return ", ".join(cross) or "same region and account", region, account

    expected = {(x["id"], x["status"], *kind(x)) for x in jobs(history, "copy", 7)
                if x["status"] in ("FAILED", "PARTIAL")}
    got = {(r["copy_job_id"], r["status"], r["copy_kind"], r["destination_region"], r["destination_account_id"])
           for r in records(ask("08_failed_copy_jobs"))}
    assert got == expected
    assert {k for _, _, k, _, _ in got} >= {"cross-region", "cross-account", "cross-region, cross-account"}


def test_09_restore_jobs(history, ask):
    expected = {(x["id"], x["status"], x["testing_plan"] is not None, x["validation"] or "")
                for x in jobs(history, "restore", 30)}
    got = {(r["restore_job_id"], r["status"], r["is_restore_test"], r["validation_status"])
           for r in records(ask("09_restore_jobs"))}
    assert got == expected
    assert {v for *_, v in got} >= {"SUCCESSFUL", "FAILED", "TIMED_OUT", "VALIDATING"}


def test_10_report_completeness_follows_the_latest_run(history, ask):
    covered = reported_slices()
    expected = set()
    for n in range(30):
        for job_type in synthetic.JOB_TYPES:
            for region in REGIONS:
                state = covered.get((job_type, region, day(n)))
                if state is None:
                    expected.add((day(n), job_type, region, "NOT REPORTED"))
                elif state is False:
                    expected.add((day(n), job_type, region, "FAILED"))
    got = records(ask("10_report_completeness"))
    assert {(r["report_date"], r["job_type"], r["region"], r["problem"]) for r in got} == expected
    failed = [r for r in got if r["problem"] == "FAILED"]
    assert len(failed) == 7 and all("AccessDenied" in r["latest_error"] and r["latest_run_id"] == "run-denied"
                                    for r in failed)
    # the denied run also failed the last three days, but the later repair run decides those
    assert not any(r["report_date"] > day(3) for r in got)


def test_11_account_daily_evidence(history, ask):
    expected = defaultdict(Counter)
    for x in history["rows"]:
        if not in_window(x, 30):
            continue
        c = expected[(x["report_date"], x["account_id"])]
        t, s = x["job_type"], x["status"]
        c["backup_jobs"] += t == "backup"
        c["backups_completed"] += t == "backup" and s == "COMPLETED"
        c["backups_failed"] += t == "backup" and s in FAILURE_STATES
        c["copies_failed"] += t == "copy" and s in ("FAILED", "PARTIAL")
        c["restores_completed"] += t == "restore" and s == "COMPLETED"
    protected = defaultdict(set)
    for x in history["rows"]:
        if x["job_type"] == "backup" and x["status"] == "COMPLETED" and in_window(x, 30):
            protected[(x["report_date"], x["account_id"])].add(x["resource_arn"])
    got = {(r["report_date"], r["account_id"]): r for r in records(ask("11_account_daily_evidence"))}
    assert set(got) == set(expected)
    for key, c in expected.items():
        r = got[key]
        assert {k: r[k] for k in c} == {k: c[k] for k in c}, key
        assert r["resources_protected"] == len(protected[key])


def test_12_restore_testing_summary(history, ask):
    expected = defaultdict(Counter)
    for x in jobs(history, "restore", 30):
        if x["testing_plan"] is None or x["status"] not in ("COMPLETED", "FAILED"):
            continue
        c = expected[(x["account_id"], x["resource_type"])]
        c["tests"] += 1
        passed = x["status"] == "COMPLETED" and x["validation"] == "SUCCESSFUL"
        pending = x["status"] == "COMPLETED" and x["validation"] in (None, "VALIDATING")
        c["passed"] += passed
        c["pending"] += pending
        c["failed"] += not passed and not pending
    got = {(r["account_id"], r["resource_type"]): r for r in records(ask("12_restore_testing_summary"))}
    assert set(got) == set(expected)
    for key, c in expected.items():
        r = got[key]
        assert (r["restore_tests"], r["passed"], r["failed"], r["pending"]) == (c["tests"], c["passed"],
                                                                               c["failed"], c["pending"])
        judged = c["passed"] + c["failed"]
        assert rounded(r["pass_rate_pct"], 100 * c["passed"] / judged, 2) if judged else r["pass_rate_pct"] is None


# --------------------------------------------------------------------------- every query: cost and style


def test_every_query_prunes_partitions_on_report_date(history, ask):
    assert len(list_queries()) >= 10
    for saved in list_queries():
        result = ask(saved.name)
        for scan in result.scans:
            assert scan.unpruned_references == 0, (saved.name, scan.table)
            assert scan.partitions_read < scan.partitions_total, (saved.name, scan.table)
        assert result.bytes_read > 0, saved.name


HEADER_FIELDS = ("question", "audience", "tables", "dates", "parameters")


@pytest.mark.parametrize("saved", list_queries(), ids=lambda q: q.name)
def test_every_query_file_follows_the_house_style(saved):
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    assert re.fullmatch(r"\d{2}_[a-z0-9_]+", saved.name)
    for key in HEADER_FIELDS:
        assert saved.header.get(key), f"{saved.name}: header has no '-- {key.title()}:' line"
    declared = re.findall(r"([a-z_]+) = \d+", saved.header["parameters"])
    assert set(declared) == set(query_parameters(saved.text)), saved.name
    lines = saved.text.splitlines()
    assert all(len(line) <= 80 for line in lines), saved.name
    assert all((len(line) - len(line.lstrip(" "))) % 4 == 0 for line in lines), saved.name
    assert "\t" not in saved.text
    body = "\n".join(line for line in lines if not line.startswith("--"))
    assert re.search(r"^select \* from final$", body, re.M), saved.name
    assert "report_date" in body and "current_date" in body
    for token in Dialect.get_or_raise("athena").tokenize(saved.text):
        written = saved.text[token.start:token.end + 1]
        if token.token_type not in (TokenType.STRING, TokenType.VAR, TokenType.IDENTIFIER, TokenType.NUMBER):
            assert written == written.lower(), (saved.name, written)


def test_sqlfluff_finds_nothing_to_fix():
    """sql/.sqlfluff: dialect athena, lowercase, 80 columns (runs when sqlfluff is installed)."""
    lint = pytest.importorskip("sqlfluff").lint
    config = str(ROOT / "sql" / ".sqlfluff")
    problems = [(path.name, v["code"], v["start_line_no"]) for path in sorted((ROOT / "sql").glob("*.sql"))
                for v in lint(path.read_text(encoding="utf-8"), config_path=config)]
    assert problems == []


def test_sql_readme_lists_every_query():
    readme = (ROOT / "sql" / "README.md").read_text(encoding="utf-8")
    for saved in list_queries():
        assert f"{saved.name}.sql" in readme, saved.name


# --------------------------------------------------------------------------- the command line


def test_cli_query_local_csv_json_and_table(history, ask, local_aws, capsys):
    db = history["database"]
    assert cli.main(["query", "failed_backup_jobs", "--local", "--database", db, "--today", str(TODAY), "--csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["backup_job_id"] for r in rows} == set(ask("01_failed_backup_jobs").frame["backup_job_id"])
    assert "partition(s)" in err and "01_failed_backup_jobs" in err

    assert cli.main(["query", "sql/03_success_rate_by_account.sql", "--local", "--database", db,
                     "--today", str(TODAY), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["account_id"] for r in data] == ask("03_success_rate_by_account").frame["account_id"].tolist()
    assert isinstance(data[0]["jobs"], int) and isinstance(data[0]["success_rate_pct"], float)

    assert cli.main(["query", "report_completeness", "--local", "--database", db, "--today", str(TODAY),
                     "--param", "days=5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("-- Over the last 30 days") and "report_date" in out.splitlines()[1]
    assert "NOT REPORTED" not in out and out.count("FAILED") == 2  # days T-4 and T-3 of the denied copies


def test_cli_errors_are_named_and_exit_non_zero(history, local_aws, capsys):
    assert cli.main(["query", "no_such_query", "--local"]) == 1
    assert "backup-report: error: No saved query 'no_such_query'" in capsys.readouterr().err
    assert cli.main(["query", "failed_backup_jobs", "--local", "--param", "nope=1"]) == 1
    assert "Unknown --param nope" in capsys.readouterr().err
    assert cli.main(["query", "failed_backup_jobs", "--local", "--today", "26/11/2026"]) == 1
    assert "--today '26/11/2026'" in capsys.readouterr().err
    assert cli.main(["query", "failed_backup_jobs", "--local", "--database", "missing_db"]) == 1
    assert "Glue database missing_db does not exist" in capsys.readouterr().err
    assert cli.main(["run", "--LOOKBACK_DAYS", "0"]) == 2  # the job's own argument errors
    assert "--REPORT_BUCKET is required" in capsys.readouterr().err


def test_cli_lists_the_saved_queries(capsys):
    assert cli.main(["queries"]) == 0
    out = capsys.readouterr().out
    for saved in list_queries():
        assert saved.question in out


def test_demo_summary_page_is_self_contained(history, ask, tmp_path):
    answers = {q.name: ask(q.name) for q in list_queries()}
    result = DemoResult(output_dir=tmp_path, html_path=tmp_path / "index.html", today=TODAY,
                        accounts=[("123456789012", "management")], jobs_seeded=len(history["rows"]),
                        answers=answers, queries={q.name: q for q in list_queries()})
    page = render_html(result)
    assert "<script" not in page and not re.search(r"(src|href)=\"(https?:)?//", page)
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    bars = ET.fromstring(svg).findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) > 10
    failed = answers["01_failed_backup_jobs"].frame["backup_job_id"].tolist()
    assert all(job_id in page for job_id in failed[:20])


def test_cli_query_on_athena_sends_the_rendered_text_to_the_workgroup(local_aws, capsys):
    """moto's Athena records the query (it writes no result file, so reading the answer fails, named)."""
    from backup_report.local.athena import find_query, render_sql

    session = boto3.Session()
    token = os.urandom(4).hex()
    session.client("s3").create_bucket(Bucket=f"athena-{token}")
    athena = session.client("athena")
    athena.create_work_group(Name=f"wg-{token}", Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://athena-{token}/results/"}})
    code = cli.main(["query", "failed_copy_jobs", "--today", str(TODAY), "--param", "days=14",
                     "--database", "reports_db", "--workgroup", f"wg-{token}"])
    assert code == 1
    assert f"backup-report: error: Athena failed the query in workgroup wg-{token}" in capsys.readouterr().err
    [execution_id] = athena.list_query_executions(WorkGroup=f"wg-{token}")["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    expected = render_sql(find_query("failed_copy_jobs").text, {"days": "14"}, TODAY)
    assert execution["Query"].strip() == expected.strip()
    assert "report_date > date '2026-11-26' - interval '14' /* :days */ day" in execution["Query"]
    assert execution["QueryExecutionContext"]["Database"] == "reports_db"
