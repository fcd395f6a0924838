"""``backup-report``: the commands over the library, their output and their one-line errors."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import textwrap

import boto3
import pytest

from backup_report import cli
from backup_report.queries import find_query, list_queries, render_sql
from backup_report.resources import sql_dir

from .builders import MANAGEMENT_ACCOUNT, TODAY, api_job, day

MEMBER = "210987654321"


@pytest.fixture(autouse=True)
def _no_terminal_width(monkeypatch):
    """Tables print every column unless a test sets the terminal's width (COLUMNS)."""
    monkeypatch.delenv("COLUMNS", raising=False)


def run_python(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter (what it imports is its own)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)


def test_queries_lists_every_sql_file_with_its_parameters(capsys):
    assert cli.main(["queries"]) == 0
    out = capsys.readouterr().out
    names = [line for line in out.splitlines() if line and not line.startswith(" ")]
    files = sorted(sql_dir().glob("*.sql"))
    assert len(names) == len(files) >= 10
    assert names == [find_query(str(path)).short_name for path in files]
    assert "    parameters: days=2 (1..3650)\n" in out
    assert "    parameters: days=30 (1..3650), stale_days=2 (1..3650)\n" in out


def test_query_local_answers_from_what_the_job_wrote(report, emulator, run_job, capsys, monkeypatch):
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", "b-failed", MEMBER, "2026-11-26T03:00:00", "FAILED", StatusMessage="Access denied: vol-1"),
        api_job("backup", "b-old", MEMBER, "2026-11-20T03:00:00", "FAILED"),
        api_job("backup", "b-ok", MANAGEMENT_ACCOUNT, "2026-11-26T04:00:00", "COMPLETED")])
    result = run_job(report.args(REGIONS="us-east-1", LOOKBACK_DAYS="7"), report.env, now="2026-11-26T23:00:00")
    assert result.returncode == 0, result.stderr[-3000:]
    base = ["query", "failed_backup_jobs", "--local", "--database", report.database, "--today", "2026-11-26"]

    assert cli.main(base + ["--csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["backup_job_id"], r["status_message"]) for r in rows] == [("b-failed", "Access denied: vol-1")]
    assert err.startswith("01_failed_backup_jobs: 1 row(s); read ")

    assert cli.main(base + ["--param", "days=7", "--show-sql"]) == 0
    out = capsys.readouterr().out
    assert "interval '7' /* :days */ day" in out and "current_date" in out  # --local pins it in the engine
    assert "b-failed" in out and "b-old" in out and "b-ok" not in out

    # the terminal's width (COLUMNS): the columns that fit, and what was left out
    monkeypatch.setenv("COLUMNS", "100")
    assert cli.main(base + ["--param", "days=7"]) == 0
    out = capsys.readouterr().out
    assert out == """\
-- Which backup jobs failed, were aborted, expired or only partly succeeded in the last 7 days of
--     the report, and why? (as of 2026-11-26)
-- report days 2026-11-20 to 2026-11-26
report_date  status  account_id    account_name  region     resource_type  resource_name
-----------  ------  ------------  ------------  ---------  -------------  -------------
2026-11-26   FAILED  210987654321                us-east-1  EC2
2026-11-20   FAILED  210987654321                us-east-1  EC2
-- 7 of 18 columns fit in 100 characters; not shown: resource_arn, backup_vault_name, creation_date,
--     completion_date, message_category, status_message, is_parent, parent_job_id, backup_job_id,
--     days_from, days_to (choose with --columns NAME,...; --format csv or json prints them all)
"""
    # chosen columns, in the order asked: every one of them, whatever the width
    assert cli.main(base + ["--param", "days=7", "--columns", "report_date,status_message,resource_arn"]) == 0
    assert capsys.readouterr().out == """\
-- Which backup jobs failed, were aborted, expired or only partly succeeded in the last 7 days of
--     the report, and why? (as of 2026-11-26)
-- report days 2026-11-20 to 2026-11-26
report_date  status_message        resource_arn
-----------  --------------------  ------------------------------------------------------
2026-11-26   Access denied: vol-1  arn:aws:ec2:us-east-1:210987654321:instance/i-b-failed
2026-11-20                         arn:aws:ec2:us-east-1:210987654321:instance/i-b-old
"""
    assert cli.main(base + ["--param", "days=7", "--format", "csv", "--columns", "backup_job_id,days_to"]) == 0
    assert capsys.readouterr().out == "backup_job_id,days_to\nb-failed,2026-11-26\nb-old,2026-11-26\n"


def test_a_bad_flag_of_query_is_named_with_querys_own_usage(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["query", "failed_backup_jobs", "--colums", "status"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.startswith("usage: backup-report query [-h] ")
    assert "[--format {table,csv,json} | --csv | --json]" in err and "[--columns NAME,...]" in err
    assert err.splitlines()[-1] == "backup-report query: error: unrecognized arguments: --colums status"
    with pytest.raises(SystemExit):
        cli.main(["query", "failed_backup_jobs", "--format", "xml"])
    err = capsys.readouterr().err
    assert err.startswith("usage: backup-report query [-h] ")
    assert err.splitlines()[-1] == ("backup-report query: error: argument --format: invalid choice: 'xml' "
                                    "(choose from 'table', 'csv', 'json')")
    with pytest.raises(SystemExit):
        cli.main(["query", "failed_backup_jobs", "--csv", "--format", "json"])
    assert "argument --format: not allowed with argument --csv" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["queries", "--all"])
    assert capsys.readouterr().err.startswith("usage: backup-report queries [-h]\n")
    assert cli.main(["query", "failed_backup_jobs", "--columns", " , "]) == 1
    assert capsys.readouterr().err == ("backup-report: error: --columns: name one column or more, e.g. "
                                       "--columns account_id,status\n")


def test_an_unknown_query_exits_non_zero_with_one_clear_line():
    result = subprocess.run([sys.executable, "-m", "backup_report.cli", "query", "no_such_query"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"backup-report: error: No saved query 'no_such_query' in {sql_dir()}: pass a .sql file")
    assert "failed_backup_jobs" in line and "Traceback" not in result.stderr


def test_the_production_code_never_imports_the_local_stand_ins():
    result = run_python("""
        import pkgutil, sys
        import backup_report
        from backup_report import cli

        for module in pkgutil.iter_modules(backup_report.__path__, "backup_report."):
            if module.name != "backup_report.local":  # walking into it would import it
                __import__(module.name)
        assert cli.main(["queries"]) == 0
        assert cli.main(["query", "no_such_query"]) == 1
        assert cli.main(["query", "failed_backup_jobs", "--param", "nope=1"]) == 1
        print(sorted(m for m in sys.modules if m.startswith("backup_report.local")))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_demo_shares_the_output_module_not_the_cli():
    result = run_python("""
        import sys
        import backup_report.local.demo
        print("backup_report.cli" in sys.modules, "backup_report.output" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_cli_query_local_csv_json_and_table(history, ask, local_aws, capsys):
    db = history["database"]
    assert cli.main(["query", "failed_backup_jobs", "--local", "--database", db, "--today", str(TODAY), "--csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["backup_job_id"] for r in rows} == set(ask("01_failed_backup_jobs").frame["backup_job_id"])
    assert "partition(s)" in err and "01_failed_backup_jobs" in err
    assert list(rows[0]) == list(ask("01_failed_backup_jobs").frame.columns)  # CSV: every column
    assert cli.main(["query", "failed_backup_jobs", "--local", "--database", db, "--today", str(TODAY),
                     "--format", "csv"]) == 0
    assert capsys.readouterr().out == out  # --csv is --format csv

    # the morning after the 23:59 run: today holds nothing yet; the answer says which days it counted
    assert cli.main(["query", "failed_backup_jobs", "--local", "--database", db,
                     "--today", str(TODAY + dt.timedelta(days=1))]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"in the last 2 days of the report, and why? (as of {TODAY + dt.timedelta(days=1)})")
    assert lines[1] == f"-- report days {day(1)} to {TODAY}"
    assert {line[:10] for line in lines[4:]} == {str(day(1)), str(TODAY)}

    assert cli.main(["query", str(sql_dir() / "03_success_rate_by_account.sql"), "--local", "--database", db,
                     "--today", str(TODAY), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["account_id"] for r in data] == ask("03_success_rate_by_account").frame["account_id"].tolist()
    assert isinstance(data[0]["jobs"], int) and isinstance(data[0]["success_rate_pct"], float)
    assert (data[0]["days_from"], data[0]["days_to"]) == (str(day(29)), str(TODAY))
    assert cli.main(["query", "success_rate_by_account", "--local", "--database", db, "--today", str(TODAY),
                     "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == data  # --json is --format json
    assert cli.main(["query", "success_rate_by_account", "--local", "--database", db, "--columns", "acount_id"]) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith(
        "backup-report: error: --columns acount_id: the answer has no such column; its columns are: account_id, "
        "account_name, jobs, ")

    assert cli.main(["query", "report_completeness", "--local", "--database", db, "--today", str(TODAY),
                     "--param", "days=5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("-- Over the last 5 days, which") and out.splitlines()[0].endswith(f"(as of {TODAY})")
    assert out.splitlines()[1] == f"-- report days {day(4)} to {TODAY}" and "report_date" in out.splitlines()[2]
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


def test_cli_query_on_athena_sends_the_rendered_text_to_the_workgroup(local_aws, capsys):
    """moto's Athena records the query (it writes no result file, so reading the answer fails, named)."""
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
    assert "> date '2026-11-26' - interval '6' day - interval '14' /* :days */ day" in execution["Query"]
    assert execution["QueryExecutionContext"]["Database"] == "reports_db"
