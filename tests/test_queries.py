"""The saved queries of sql/: the catalogue and its text (``backup_report.queries``), and every
query's answer by the local engine over a history the real job wrote (``history`` in conftest).

Each answer test computes the expected answer from the generated jobs themselves, by the
SPEC's rules, and compares it with what the query returns.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import Dict, List

import pytest

from backup_report import queries
from backup_report.errors import NoSuchQuery, ParameterError, QueryError
from backup_report.local import synthetic
from backup_report.local.demo import DemoResult
from backup_report.local.demo.render import render_html
from backup_report.queries import list_queries, query_parameters, render_sql
from backup_report.resources import sql_dir

from .builders import (
    DENIED_REGION,
    FAILURE_STATES,
    FINAL_BACKUP,
    LASTING_DIFFERENCE,
    OLD_FIRST,
    REGIONS,
    ROOT,
    TODAY,
    day,
    reported_slices,
)

# --------------------------------------------------------------------------- the catalogue and the text


def test_tagged_literals_are_parameters_and_current_date_can_be_pinned():
    text = ("-- Question: q :days\nselect * from t\nwhere report_date > current_date - interval '30' /* :days */ day"
            "\n    and n < 2 /* :limit */ and s = 'current_date'")
    params = query_parameters(text)
    assert {k: (p.default, p.quoted) for k, p in params.items()} == {"days": ("30", True), "limit": ("2", False)}
    out = render_sql(text, {"days": "7", "limit": "5"}, dt.date(2026, 11, 26))
    assert "date '2026-11-26' - interval '7' /* :days */ day" in out
    assert "n < 5 /* :limit */" in out and "s = 'current_date'" in out and "-- Question: q :days" in out
    with pytest.raises(ParameterError, match="Unknown --param nope"):
        render_sql(text, {"nope": "1"})
    with pytest.raises(ParameterError, match="whole number"):
        render_sql(text, {"days": "7 day; drop table t"})
    with pytest.raises(ParameterError, match="name=value"):
        queries.parse_params(["days"])


def test_current_date_is_pinned_only_where_it_is_the_function():
    text = ("select current_date, CURRENT_DATE as \"current_date\", 'it''s current_date' /* :note */,\n"
            "    `current_date`, x -- current_date in a comment\n/* current_date */ from t")
    out = render_sql(text, {"note": "o'clock"}, dt.date(2028, 2, 29))
    assert out == ("select date '2028-02-29', date '2028-02-29' as \"current_date\", 'o''clock' /* :note */,\n"
                   "    `current_date`, x -- current_date in a comment\n/* current_date */ from t")
    assert query_parameters(text)["note"].default == "it's current_date"
    assert render_sql(text) == text  # nothing set, nothing pinned: the text as written
    for broken in ("select 'open", "select \"open", "select 1 /* open"):
        with pytest.raises(QueryError, match="never closed"):
            render_sql(broken)


def test_a_saved_query_is_found_by_name_short_name_file_name_or_path():
    wanted = queries.find_query("01_failed_backup_jobs")
    assert wanted.path == sql_dir() / "01_failed_backup_jobs.sql" and wanted.short_name == "failed_backup_jobs"
    for name in ("failed_backup_jobs", "failed_backup_jobs.sql", "01_failed_backup_jobs.sql",
                 str(sql_dir() / "01_failed_backup_jobs.sql")):
        assert queries.find_query(name) == wanted, name
    with pytest.raises(NoSuchQuery) as error:
        queries.find_query("no_such_query")
    message = str(error.value)
    assert "\n" not in message and message.startswith("No saved query 'no_such_query' in ")
    assert all(q.short_name in message for q in list_queries())


def test_the_catalogue_is_the_sql_folder_which_can_be_overridden(tmp_path, monkeypatch):
    assert [q.path.name for q in list_queries()] == sorted(p.name for p in sql_dir().glob("*.sql"))
    (tmp_path / "07_mine.sql").write_text(
        "-- Question: Mine?\n--     Really.\n-- Audience: me\n\nselect 1 as n where 2 > 1 /* :k */\n",
        encoding="utf-8")
    monkeypatch.setenv("BACKUP_REPORT_SQL_DIR", str(tmp_path))
    [mine] = list_queries()
    assert (mine.name, mine.short_name, mine.question, mine.audience) == ("07_mine", "mine", "Mine? Really.", "me")
    assert {p.name: p.default for p in mine.parameters.values()} == {"k": "1"}
    assert queries.find_query("mine") == mine


def test_today_must_be_a_calendar_day():
    assert queries.parse_day("2028-02-29") == dt.date(2028, 2, 29)
    for bad in ("2026-02-30", "26/11/2026", "2026-11-26T00:00", ""):
        with pytest.raises(ParameterError, match="--today"):
            queries.parse_day(bad)
    assert queries.parse_params(["days=7", " stale_days = 3 "]) == {"days": "7", "stale_days": "3"}


# --------------------------------------------------------------------------- each query's answer


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
    expected = Counter((x["report_date"], x["job_type"], x["status"]) for x in history["rows"]
                       if in_window(x, 30) and x["job_type"] != "scan")
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
    # the job AWS Backup no longer lists, kept by the report: its slice differs from AWS's counts
    expected.add((LASTING_DIFFERENCE, "backup", "us-east-1", "DIFFERS FROM AWS BACKUP"))
    got = records(ask("10_report_completeness"))
    assert {(r["report_date"], r["job_type"], r["region"], r["problem"]) for r in got} == expected
    (differs,) = [r for r in got if r["problem"].startswith("DIFFERS")]
    assert differs["reported"] == differs["aws_backup"] + 1 and differs["latest_run_id"] == "run-repair"
    failed = [r for r in got if r["problem"] == "FAILED"]
    assert len(failed) == 7 and all("AccessDenied" in r["latest_error"] and r["latest_run_id"] == "run-denied"
                                    for r in failed)
    # the denied run also failed the last three days, but the later repair run decides those
    assert not any(r["report_date"] > day(3) for r in got)


def test_17_report_against_aws_backup_differences_first(history, ask):
    gone_type, gone_region, gone_id = history["gone"]
    got = records(ask("17_report_against_aws_backup"))
    assert {(r["days_from"], r["days_to"]) for r in got} == {(day(13), TODAY)}
    rank = {"DIFFERS": 0, "UNKNOWN": 0, "REWRITTEN": 1, "NOT COMPARABLE YET": 2, "EQUAL": 3}
    ranks = [rank[r["outcome"]] for r in got]
    assert ranks == sorted(ranks) and ranks[0] == 0  # differences first
    (gone,) = [x for x in history["rows"] if (x["job_type"], x["region"], x["id"]) == history["gone"]]
    differs = [r for r in got if r["outcome"] == "DIFFERS"]
    assert [(r["report_date"], r["job_type"], r["region"], r["account_id"], r["state"], r["difference"])
            for r in differs] == [(gone["report_date"], gone_type, gone_region, gone["account_id"], gone["status"], 1)]
    # the denied copies of the denied region: compared by the denied run only, the report's count unknown
    unknown = {(r["report_date"], r["job_type"], r["region"]) for r in got if r["outcome"] == "UNKNOWN"}
    assert unknown == {(day(n), "copy", DENIED_REGION) for n in range(2, 10)}
    # every other comparable day equals what the report holds, which is every job AWS Backup lists
    counted = Counter((x["report_date"], x["job_type"], x["region"], x["account_id"], x["status"])
                      for x in history["rows"] if day(12) <= x["report_date"] <= day(3) and x["id"] != gone_id
                      and (x["job_type"], x["region"]) != ("copy", DENIED_REGION))
    equal = {(r["report_date"], r["job_type"], r["region"], r["account_id"], r["state"]): r["aws_backup"]
             for r in got if r["outcome"] == "EQUAL" and r["report_date"] <= day(3)}
    assert equal == {k: n for k, n in counted.items() if k != tuple(differs[0][c] for c in (
        "report_date", "job_type", "region", "account_id", "state"))}
    assert all(r["reported"] == r["aws_backup"] for r in got if r["outcome"] == "EQUAL")


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


def test_15_jobs_needing_attention(history, ask, local_aws):
    import boto3

    from backup_report.attention import needs_attention

    from .builders import read_rows

    def key(x):
        return (x["job_type"], x["id"], x["status"], x["validation"] or x["scan_result"] or "")

    expected = {key(x) for x in history["rows"] if in_window(x, 7) and needs_attention(
        x["job_type"], x["status"], x["message_category"], x["validation"], x["scan_result"])}
    answer = records(ask("15_jobs_needing_attention"))
    got = {(r["job_type"], r["job_id"], r["status"], r["validation_status"] or r["scan_result_status"]): r
           for r in answer}
    assert set(got) == expected and {k[0] for k in got} == {"backup", "copy", "restore", "scan"}
    threats = [r["is_threat_found"] for r in answer]
    assert threats == sorted(threats, reverse=True) and 0 < sum(threats) < len(threats)  # malware found first
    assert all(r["is_threat_found"] == (r["scan_result_status"] == "THREATS_FOUND") for r in answer)
    # announced: what the history's runs recorded in the alerts ledger (events on; no digest topic)
    alerts = read_rows(boto3.Session(), history["bucket"], "alerts")
    announced = {(a["job_type"], a["job_id"], a["status"], a["validation_status"] or a["scan_result_status"])
                 for a in alerts}
    assert {k for k, r in got.items() if r["is_announced"]} == announced & expected
    assert all((r["event_sent_at"] is not None) == r["is_announced"] and r["digest_sent_at"] is None
               for r in got.values())
    # only the last 48 hours of each run were announced: the window's older items were not
    rows = {key(x): x for x in history["rows"]}
    recent = announced & expected
    assert recent and all(rows[k]["report_date"] >= day(3) for k in recent)
    assert any(not r["is_announced"] for k, r in got.items() if rows[k]["report_date"] <= day(4))
    assert {rows[k]["report_date"] for k in announced - expected} <= {OLD_FIRST, OLD_FIRST + dt.timedelta(days=1)}


def test_16_malware_scans(history, ask):
    window = jobs(history, "scan", 7)
    flagged = [x for x in window if x["scan_result"] == "THREATS_FOUND" or x["status"] == "FAILED"]
    backups = {}  # recovery point -> its (latest) backup job, among those the query may read
    for x in sorted(history["rows"], key=lambda x: (x["creation"], x["id"])):
        if x["job_type"] == "backup" and x["status"] in ("COMPLETED", "PARTIAL") and x["recovery_point"] and \
                day(7 + 30) < x["report_date"] <= TODAY:
            backups[x["recovery_point"]] = x["id"]
    expected = {(x["id"], x["account_id"], x["status"], x["scan_result"] or "", x["recovery_point"],
                 x["vault_name"], backups.get(x["recovery_point"])) for x in flagged}
    answer = records(ask("16_malware_scans"))
    got = {(r["scan_job_id"], r["account_id"], r["status"], r["scan_result_status"], r["recovery_point_arn"],
            r["backup_vault_name"], r["backup_job_id"]) for r in answer}
    assert got == expected and len(answer) == len(expected)
    assert {"THREATS_FOUND", ""} <= {x[3] for x in got} and any(x[6] for x in got) and any(not x[6] for x in got)
    threats = [r["is_threat_found"] for r in answer]
    assert threats == sorted(threats, reverse=True)  # malware found first
    per_account = Counter(x["account_id"] for x in flagged if x["scan_result"] == "THREATS_FOUND")
    assert all(r["threats_in_account"] == per_account[r["account_id"]] for r in answer)
    assert {(r["days_from"], r["days_to"]) for r in answer} == {(day(6), TODAY)}


def test_the_last_days_end_on_the_newest_reported_day(history, ask, local_aws):
    """The morning after the 23:59 run, today holds no data yet: "the last N days" end on the
    newest reported day (TODAY), not on an empty today, and each answer says which days."""
    from backup_report.local.athena import LocalAthena

    saved = {q.name: q for q in list_queries()}
    morning = LocalAthena(history["database"], today=TODAY + dt.timedelta(days=1))

    failed = morning.run(saved["01_failed_backup_jobs"].text)  # days = 2
    assert set(failed.frame["report_date"]) == {day(1), TODAY}
    assert sorted(failed.frame["backup_job_id"]) == sorted(ask("01_failed_backup_jobs").frame["backup_job_id"])
    assert set(zip(failed.frame["days_from"], failed.frame["days_to"])) == {(day(1), TODAY)}

    coverage = morning.run(saved["14_backup_coverage"].text, {"days": "1"})
    completed_today = {x["resource_arn"] for x in history["rows"]
                       if x["job_type"] == "backup" and x["status"] == "COMPLETED" and x["report_date"] == TODAY}
    protected = completed_today & set(history["inventory"].types)
    assert coverage.frame["protected"].sum() == len(protected) > 0
    assert set(zip(coverage.frame["days_from"], coverage.frame["days_to"])) == {(TODAY, TODAY)}

    # today is not missing before today's run: the calendar ends on the newest day a run reported
    completeness = records(morning.run(saved["10_report_completeness"].text))
    assert {(r["days_from"], r["days_to"]) for r in completeness} == {(day(29), TODAY)}
    assert {r["report_date"] for r in completeness} <= {day(n) for n in range(30)}

    # a report that stopped 8 days ago: the windows end today, and every day since is NOT REPORTED
    later = LocalAthena(history["database"], today=TODAY + dt.timedelta(days=8))
    stale = later.run(saved["01_failed_backup_jobs"].text)
    assert stale.frame.empty
    missing = records(later.run(saved["10_report_completeness"].text))
    assert {r["report_date"] for r in missing if r["problem"] == "NOT REPORTED"} >= {
        TODAY + dt.timedelta(days=n) for n in range(1, 8)}


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
