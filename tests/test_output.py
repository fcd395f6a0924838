"""Query answers as text (``backup_report.output``): the readable table fitted to a width, the
columns chosen, the days an answer counted, CSV and JSON."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from backup_report.errors import ParameterError
from backup_report.output import comment, format_csv, format_json, format_table, report_days, select_columns


@pytest.fixture
def answer() -> pd.DataFrame:
    """Two failed jobs, shaped like a saved query's answer: long identifiers and the window last."""
    return pd.DataFrame({
        "report_date": [dt.date(2026, 11, 26), dt.date(2026, 11, 25)],
        "status": ["FAILED", "PARTIAL"],
        "account_name": ["payments-prod", "web"],
        "resource_arn": ["arn:aws:ec2:eu-west-1:111122223333:volume/vol-0123456789abcdef0",
                         "arn:aws:rds:us-east-1:444455556666:db:orders"],
        "status_message": ["Access denied by the vault's policy", "2 of 3 volumes"],
        "backup_size": [1536, 12],
        "backup_job_id": ["6c1e8d7a-0a5b-4e8e-9a43-2f1d9e1c0b11", "0b2f7c55-9d31-4f6e-8c21-7e5a4d3c2b19"],
        "days_from": [dt.date(2026, 11, 25)] * 2,
        "days_to": [dt.date(2026, 11, 26)] * 2,
    })


def test_a_table_fits_the_width_leaving_out_identifiers_and_the_window_first(answer):
    assert format_table(answer, width=100) == """\
report_date  status   account_name   status_message                       backup_size
-----------  -------  -------------  -----------------------------------  -----------
2026-11-26   FAILED   payments-prod  Access denied by the vault's policy         1536
2026-11-25   PARTIAL  web            2 of 3 volumes                                12
-- 5 of 9 columns fit in 100 characters; not shown: resource_arn, backup_job_id, days_from, days_to
--     (choose with --columns NAME,...; --format csv or json prints them all)"""
    # narrower: then the other columns, from the right; every line within the width
    narrow = format_table(answer, width=60)
    assert narrow == """\
report_date  status   account_name
-----------  -------  -------------
2026-11-26   FAILED   payments-prod
2026-11-25   PARTIAL  web
-- 3 of 9 columns fit in 60 characters; not shown:
--     resource_arn, status_message, backup_size,
--     backup_job_id, days_from, days_to (choose with
--     --columns NAME,...; --format csv or json prints them
--     all)"""
    assert max(len(line) for line in narrow.splitlines()) <= 60


def test_without_a_width_every_column_is_shown_and_nothing_is_said_about_it(answer):
    table = format_table(answer)
    assert table.splitlines()[0].split() == list(answer.columns)
    assert "not shown" not in table and "vol-0123456789abc…" in table  # cells still cut at 60
    assert format_table(answer, width=400) == table  # wide enough: the same table


def test_chosen_columns_come_in_the_order_asked_and_an_unknown_one_is_named(answer):
    chosen = select_columns(answer, ["status_message", "report_date"])
    assert list(chosen.columns) == ["status_message", "report_date"]
    assert json.loads(format_json(chosen))[0] == {"status_message": "Access denied by the vault's policy",
                                                  "report_date": "2026-11-26"}
    assert format_csv(chosen).splitlines()[0] == "status_message,report_date"
    with pytest.raises(ParameterError) as error:
        select_columns(answer, ["status", "nope", "neither"])
    assert str(error.value) == ("--columns nope,neither: the answer has no such column; its columns are: report_date, "
                                "status, account_name, resource_arn, status_message, backup_size, backup_job_id, "
                                "days_from, days_to")


def test_an_answer_says_which_days_it_counted(answer):
    assert report_days(answer) == "report days 2026-11-25 to 2026-11-26"
    one_day = answer.assign(days_from=dt.date(2026, 11, 26))
    assert report_days(one_day) == "report day 2026-11-26"
    assert report_days(answer.drop(columns=["days_to"])) == ""
    assert report_days(answer.iloc[:0]) == ""  # no rows: nothing to read the days from


def test_comments_wrap_at_the_width():
    text = "Which backup jobs failed in the last 2 days of the report, and why? (as of 2026-11-27)"
    assert comment(text) == "-- " + text
    assert comment(text, 50) == ("-- Which backup jobs failed in the last 2 days of\n"
                                 "--     the report, and why? (as of 2026-11-27)")
