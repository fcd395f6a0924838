"""Arguments (SPEC §2): Glue-style parsing, defaults, and a named error for each bad value."""
from __future__ import annotations

import argparse
import datetime as dt

import pytest

from backup_report.arguments import ARGUMENT_NAMES, add_job_arguments, parse_arguments, read_raw_arguments
from backup_report.errors import ArgumentError
from backup_report.schema import JOB_TABLES

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.timezone.utc)
ROLE = "arn:aws:iam::111122223333:role/BackupReportRead"
BASE = ["--REPORT_BUCKET", "my-reports", "--MANAGEMENT_ROLE_ARN", ROLE, "--GLUE_DATABASE", "backup_report"]


def parse(*extra: str):
    return parse_arguments(BASE + list(extra), now=NOW)


def test_defaults_follow_the_spec():
    s = parse()
    assert (s.bucket, s.role_arn, s.database) == ("my-reports", ROLE, "backup_report")
    assert s.prefix == "backup-reports" and s.external_id is None and s.regions is None
    assert s.report_date == dt.date(2026, 11, 27) and s.lookback_days == 3
    assert s.days == (dt.date(2026, 11, 25), dt.date(2026, 11, 26), dt.date(2026, 11, 27))
    assert s.management_account_id == "111122223333"


def test_glue_appended_arguments_are_ignored_and_job_run_id_becomes_the_run_id():
    s = parse("--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_abc", "--job-bookmark-option", "job-bookmark-disable",
              "--TempDir", "s3://tmp/x", "--REGIONS=eu-west-1,us-east-1,eu-west-1", "--LOOKBACK_DAYS", "30")
    assert s.run_id == "jr_abc"
    assert s.regions == ("eu-west-1", "us-east-1")
    assert s.lookback_days == 30 and len(s.days) == 30


def test_window_crosses_month_end_and_leap_day():
    s = parse_arguments(BASE + ["--REPORT_DATE", "2028-03-01", "--LOOKBACK_DAYS", "3"],
                        now=dt.datetime(2028, 3, 2, tzinfo=dt.timezone.utc))
    assert s.days == (dt.date(2028, 2, 28), dt.date(2028, 2, 29), dt.date(2028, 3, 1))


def test_parser_reads_equals_form_and_every_spec_argument():
    raw = read_raw_arguments(["--REPORT_PREFIX=a/b", "--EXTERNAL_ID", "x-1", "--unknown", "v"])
    assert raw == {"REPORT_PREFIX": "a/b", "EXTERNAL_ID": "x-1"}
    assert set(ARGUMENT_NAMES) == {"REPORT_BUCKET", "MANAGEMENT_ROLE_ARN", "GLUE_DATABASE", "EXTERNAL_ID",
                                   "REPORT_PREFIX", "REGIONS", "REPORT_DATE", "LOOKBACK_DAYS",
                                   "EVENT_BUS_NAME", "ALERT_TOPIC_ARN", "ALERT_MAX_AGE_HOURS", "JOB_TYPES",
                                   "CONFIG_AGGREGATOR", "CONFIG_ROLE_ARN", "CONFIG_EXTERNAL_ID"}


@pytest.mark.parametrize("argv, named", [
    (BASE[2:], "--REPORT_BUCKET"),
    (BASE[:2] + BASE[4:], "--MANAGEMENT_ROLE_ARN"),
    (BASE[:4], "--GLUE_DATABASE"),
    (BASE + ["--REPORT_DATE", "2026-13-01"], "--REPORT_DATE"),
    (BASE + ["--REPORT_DATE", "27/11/2026"], "--REPORT_DATE"),
    (BASE + ["--REPORT_DATE", "2026-11-28"], "--REPORT_DATE"),
    (BASE + ["--LOOKBACK_DAYS", "0"], "--LOOKBACK_DAYS"),
    (BASE + ["--LOOKBACK_DAYS", "31"], "--LOOKBACK_DAYS"),
    (BASE + ["--LOOKBACK_DAYS", "three"], "--LOOKBACK_DAYS"),
    (BASE + ["--REPORT_DATE", "2026-10-01", "--LOOKBACK_DAYS", "3"], "--REPORT_DATE"),
    (["--REPORT_BUCKET", "My_Bucket"] + BASE[2:], "--REPORT_BUCKET"),
    (BASE[:2] + ["--MANAGEMENT_ROLE_ARN", "arn:aws:iam::12345:role/x"] + BASE[4:], "--MANAGEMENT_ROLE_ARN"),
    (BASE[:2] + ["--MANAGEMENT_ROLE_ARN", "BackupReportRead"] + BASE[4:], "--MANAGEMENT_ROLE_ARN"),
    (BASE[:4] + ["--GLUE_DATABASE", "Backup Report"], "--GLUE_DATABASE"),
    (BASE + ["--REGIONS", "us-east-1,Mars"], "--REGIONS"),
    (BASE + ["--REPORT_PREFIX", "a/../b"], "--REPORT_PREFIX"),
    (BASE + ["--EXTERNAL_ID", "x"], "--EXTERNAL_ID"),
    (BASE + ["--EVENT_BUS_NAME", "my bus"], "--EVENT_BUS_NAME"),
    (BASE + ["--EVENT_BUS_NAME", "arn:aws:sns:us-east-1:123456789012:t"], "--EVENT_BUS_NAME"),
    (BASE + ["--ALERT_TOPIC_ARN", "backup-alerts"], "--ALERT_TOPIC_ARN"),
    (BASE + ["--ALERT_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts.fifo"], "--ALERT_TOPIC_ARN"),
    (BASE + ["--ALERT_MAX_AGE_HOURS", "0"], "--ALERT_MAX_AGE_HOURS"),
    (BASE + ["--ALERT_MAX_AGE_HOURS", "721"], "--ALERT_MAX_AGE_HOURS"),
    (BASE + ["--ALERT_MAX_AGE_HOURS", "2d"], "--ALERT_MAX_AGE_HOURS"),
])
def test_bad_input_names_the_argument(argv, named):
    with pytest.raises(ArgumentError) as caught:
        parse_arguments(argv, now=NOW)
    assert named in str(caught.value)
    assert caught.value.exit_code == 2


def test_announcements_default_to_the_default_bus_no_digest_and_48_hours():
    s = parse_arguments(BASE, now=NOW)
    assert (s.event_bus, s.alert_topic_arn, s.alert_max_age_hours) == ("default", None, 48)
    topic = "arn:aws-cn:sns:cn-north-1:111122223333:backup-report-alerts"
    bus = "arn:aws:events:eu-west-1:111122223333:event-bus/backup-ops"
    s = parse_arguments(BASE + ["--EVENT_BUS_NAME", bus, "--ALERT_TOPIC_ARN", topic, "--ALERT_MAX_AGE_HOURS", "720"],
                        now=NOW)
    assert (s.event_bus, s.alert_topic_arn, s.alert_max_age_hours) == (bus, topic, 720)
    for off in ("none", "None"):
        assert parse_arguments(BASE + ["--EVENT_BUS_NAME", off], now=NOW).event_bus is None


def test_other_partitions_are_accepted():
    s = parse_arguments(["--REPORT_BUCKET", "b-1", "--GLUE_DATABASE", "d",
                         "--MANAGEMENT_ROLE_ARN", "arn:aws-cn:iam::111122223333:role/path/r"], now=NOW)
    assert s.management_account_id == "111122223333"


@pytest.mark.parametrize("typo, suggestion", [
    ("--LOOKBAK_DAYS", "--LOOKBACK_DAYS"),
    ("--REGION", "--REGIONS"),
    ("--report-date", "--REPORT_DATE"),
    ("--Report_Prefix", "--REPORT_PREFIX"),
    ("--EXTERNALID", "--EXTERNAL_ID"),
])
def test_a_typo_is_refused_naming_the_closest_argument(typo, suggestion):
    with pytest.raises(ArgumentError) as error:
        parse(typo, "30")
    assert error.value.exit_code == 2
    assert f"unknown argument {typo}; did you mean {suggestion}?" in str(error.value)


def test_an_unknown_argument_far_from_ours_lists_the_known_ones():
    with pytest.raises(ArgumentError, match=r"unknown argument --FOO_BAR; the job's arguments are --REPORT_BUCKET, "):
        parse("--FOO_BAR=1")


def test_every_argument_glue_passes_a_python_shell_job_is_accepted():
    s = parse("--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_1", "--JOB_NAME", "backup-report",
              "--WORKFLOW_NAME", "w", "--WORKFLOW_RUN_ID", "wr_1", "--TempDir", "s3://t/",
              "--scriptLocation", "s3://a/b.py", "--job-bookmark-option", "job-bookmark-disable",
              "--job-language", "python", "--enable-metrics", "", "--enable-job-insights", "true",
              "--enable-continuous-cloudwatch-log", "true", "--additional-python-modules", "a==1,b==2",
              "--extra-py-files", "s3://a/w.whl", "--python-modules-installer-option", "--upgrade",
              "library-set", "none")
    assert s.run_id == "jr_1"


def test_the_job_arguments_as_options_of_a_command():
    parser = argparse.ArgumentParser(allow_abbrev=False)
    add_job_arguments(parser)
    values = parser.parse_args(["--REPORT_BUCKET", "my-reports", "--LOOKBACK_DAYS=7"])
    assert (values.REPORT_BUCKET, values.LOOKBACK_DAYS, values.REGIONS) == ("my-reports", "7", None)
    text = parser.format_help()
    assert all(f"--{name} VALUE" in text for name in ARGUMENT_NAMES)
    assert text.count("(required)") == 3


def test_job_types_default_to_every_job_table_and_a_subset_keeps_the_schemas_order():
    every = tuple(t.job_type for t in JOB_TABLES)
    assert parse().job_types == every and parse().job_tables == JOB_TABLES
    chosen = parse("--JOB_TYPES", " Restore,backup,backup ")
    assert chosen.job_types == ("backup", "restore")
    assert [t.name for t in chosen.job_tables] == ["backup_jobs", "restore_jobs"]


@pytest.mark.parametrize("text, expected", [
    ("bakup,copy", "--JOB_TYPES 'bakup' is not a job type (did you mean backup? the job types are "),
    (",", "--JOB_TYPES is empty: name at least one of "),
    ("inventory", "--JOB_TYPES 'inventory' is not a job type (the job types are "),
])
def test_a_bad_job_type_is_refused_naming_the_closest(text, expected):
    with pytest.raises(ArgumentError) as refused:
        parse("--JOB_TYPES", text)
    assert expected in str(refused.value)
