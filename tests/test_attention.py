"""What needs attention: one definition for the job, the saved query and these tests; the items
of a shaped chunk; how recent an item must be to be announced."""
from __future__ import annotations

import datetime as dt
from itertools import product

import numpy as np
import pandas as pd
import pytest

from backup_report import attention, digest
from backup_report.attention import needs_attention
from backup_report.schema import BACKUP_JOBS, COPY_JOBS, RESTORE_JOBS, SCAN_JOBS
from backup_report.shape import shape_jobs

from .builders import ROOT, UTC, sdk_jobs
from .builders import item as new_item

#: The saved query that lists every item (the digest points to it).
QUERY = ROOT / "sql" / f"{digest.QUERY}.sql"


@pytest.mark.parametrize("job_type, status, category, validation, expected", [
    ("backup", "FAILED", None, None, True),
    ("backup", "ABORTED", "ABORTED", None, True),
    ("backup", "EXPIRED", None, None, True),
    ("backup", "PARTIAL", "SUCCESS", None, True),
    ("backup", "COMPLETED", "ACCESS_DENIED", None, True),
    ("backup", "COMPLETED", "invalid_parameters", None, True),  # compared case-insensitively
    ("backup", "COMPLETED", "SUCCESS", None, False),
    ("backup", "COMPLETED", "Success", None, False),
    ("backup", "COMPLETED", None, None, False),  # no category is no issue
    ("backup", "COMPLETED", "", None, False),
    ("backup", "RUNNING", "INTERNAL_ERROR", None, False),
    ("backup", "CREATED", None, None, False),
    ("copy", "FAILED", None, None, True),
    ("copy", "PARTIAL", None, None, True),
    ("copy", "COMPLETED", "INTERNAL_ERROR", None, True),
    ("copy", "COMPLETED", "SUCCESS", None, False),
    ("restore", "FAILED", None, None, True),
    ("restore", "ABORTED", None, None, True),
    ("restore", "COMPLETED", None, "FAILED", True),
    ("restore", "COMPLETED", None, "timed_out", True),
    ("restore", "COMPLETED", None, "SUCCESSFUL", False),
    ("restore", "COMPLETED", None, "VALIDATING", False),
    ("restore", "COMPLETED", "ACCESS_DENIED", None, False),  # restores have no category
    ("restore", "EXPIRED", None, None, False),
    ("restore", "RUNNING", None, None, False),
])
def test_what_needs_attention(job_type, status, category, validation, expected):
    assert needs_attention(job_type, status, category, validation) is expected


@pytest.mark.parametrize("status, result, expected", [
    ("COMPLETED", "THREATS_FOUND", True),
    ("COMPLETED_WITH_ISSUES", "THREATS_FOUND", True),
    ("RUNNING", "threats_found", True),  # in any state, compared case-insensitively
    ("COMPLETED", "NO_THREATS_FOUND", False),
    ("COMPLETED", "UNKNOWN", False),
    ("COMPLETED", "A_RESULT_BOTOCORE_DOES_NOT_KNOW", False),
    ("COMPLETED_WITH_ISSUES", "NO_THREATS_FOUND", True),
    ("COMPLETED_WITH_ISSUES", None, True),
    ("FAILED", None, True),
    ("CANCELED", None, False),
    ("RUNNING", None, False),
    ("CREATED", None, False),
])
def test_what_scan_needs_attention(status, result, expected):
    assert needs_attention("scan", status, scan_result_status=result) is expected
    assert needs_attention("scan", status, "ACCESS_DENIED", "FAILED", result) is expected  # other rules: not scans'
    assert needs_attention("backup", status, scan_result_status=result) is needs_attention("backup", status)


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_saved_query_applies_the_same_rules():
    text = _words("\n".join(line for line in QUERY.read_text(encoding="utf-8").splitlines()
                            if not line.startswith("--")))
    for job_type, table in (("backup", "backups"), ("copy", "copies"), ("restore", "restores"), ("scan", "scans")):
        assert f"from {table} where {attention.sql_condition(job_type)} " in text, job_type
    # and it reads only the partitions that can hold an item
    candidates = attention.CANDIDATE_STATUSES["backup"]
    assert text.count("status in (" + ", ".join(f"'{s}'" for s in candidates) + ")") == 2


def test_pick_takes_the_items_of_a_shaped_chunk():
    jobs = sdk_jobs("COMPLETED", "FAILED", "COMPLETED", "RUNNING", "PARTIAL", "COMPLETED")
    jobs[0]["MessageCategory"] = "SUCCESS"
    jobs[2]["MessageCategory"] = "Access_Denied"
    jobs[5]["MessageCategory"] = None
    jobs[1].update(StatusMessage="denied", CompletionDate=dt.datetime(2026, 11, 26, 3, tzinfo=UTC))
    frame = shape_jobs(jobs, BACKUP_JOBS, "eu-west-1", {"111122223333": "payments-prod"})
    items = attention.pick(frame, BACKUP_JOBS, dt.date(2026, 11, 26))
    assert [(i.job_id, i.status, i.message_category) for i in items] == [
        ("j1", "FAILED", None), ("j2", "COMPLETED", "Access_Denied"), ("j4", "PARTIAL", None)]
    first = items[0]
    assert (first.account_name, first.region, first.status_message, first.report_date) == (
        "payments-prod", "eu-west-1", "denied", dt.date(2026, 11, 26))
    assert first.completion_date == dt.datetime(2026, 11, 26, 3, tzinfo=UTC)
    assert first.event_time == first.completion_date and items[1].event_time == items[1].creation_date


STATUSES = ("CREATED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "ABORTED", "EXPIRED", "PARTIAL", "UNKNOWN",
            "failed")
CATEGORIES = (None, "", "SUCCESS", "Success", "success", "ACCESS_DENIED", "invalid_parameters", "EXPIRED")
VALIDATIONS = (None, "", "SUCCESSFUL", "VALIDATING", "FAILED", "failed", "TIMED_OUT", "timed_out")


def _strings_as(frame: pd.DataFrame, dtype) -> pd.DataFrame:
    """``frame`` with its text columns in ``dtype`` (pandas 3 may give str with NaN for missing)."""
    if dtype is None:
        return frame
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].astype(dtype)
    return out


@pytest.mark.parametrize("dtype", [None, pd.StringDtype(na_value=np.nan), "string"],
                         ids=["object", "str-nan", "string-na"])
@pytest.mark.parametrize("table", [BACKUP_JOBS, COPY_JOBS, RESTORE_JOBS], ids=lambda t: t.job_type)
def test_pick_agrees_with_needs_attention_row_by_row(table, dtype):
    combos = list(product(STATUSES, CATEGORIES, VALIDATIONS))
    status_field = "Status" if table.job_type == "restore" else "State"
    id_field = {"backup": "BackupJobId", "copy": "CopyJobId", "restore": "RestoreJobId"}[table.job_type]
    jobs = [{id_field: f"j{n}", "AccountId": "111122223333", status_field: status, "MessageCategory": category,
             "ValidationStatus": validation, "StatusMessage": f"m{n}" if n % 3 else None,
             "ValidationStatusMessage": f"v{n}", "CreationDate": dt.datetime(2026, 11, 26, 1, tzinfo=UTC),
             "CompletionDate": dt.datetime(2026, 11, 26, 2, tzinfo=UTC) if n % 2 else None}
            for n, (status, category, validation) in enumerate(combos)]
    frame = shape_jobs(jobs, table, "eu-west-1", {})
    # every column the rules read, also where the table has none (restores: no category)
    for name, values in (("message_category", [c for _, c, _ in combos]),
                         ("validation_status", [v for _, _, v in combos])):
        frame[name] = pd.Series(values, dtype=object)
    items = attention.pick(_strings_as(frame, dtype), table, dt.date(2026, 11, 26))
    expected = [n for n, combo in enumerate(combos) if needs_attention(table.job_type, *combo)]
    assert 0 < len(expected) < len(combos)
    assert [i.job_id for i in items] == [f"j{n}" for n in expected]
    for n, item in zip(expected, items):
        status, category, validation = combos[n]
        assert item.key == (table.job_type, f"j{n}", status, validation or "")
        assert (item.message_category, item.validation_status) == (category, validation or None)
        fallback = f"v{n}" if table.job_type == "restore" else None  # only restores have a validation message
        assert item.status_message == (f"m{n}" if n % 3 else fallback)
        assert item.creation_date == dt.datetime(2026, 11, 26, 1, tzinfo=UTC)
        assert type(item.creation_date) is dt.datetime and item.creation_date.utcoffset() == dt.timedelta(0)
        assert item.completion_date == (dt.datetime(2026, 11, 26, 2, tzinfo=UTC) if n % 2 else None)
        assert item.account_id == "111122223333" and item.region == "eu-west-1" and item.account_name is None


def test_a_failed_restore_test_is_an_item_with_its_validation_message():
    jobs = [{"RestoreJobId": "r1", "AccountId": "1", "Status": "COMPLETED", "ValidationStatus": "TIMED_OUT",
             "ValidationStatusMessage": "no answer in 60 minutes",
             "CreationDate": dt.datetime(2026, 11, 26, tzinfo=UTC)},
            {"RestoreJobId": "r2", "AccountId": "1", "Status": "COMPLETED", "ValidationStatus": "SUCCESSFUL",
             "CreationDate": dt.datetime(2026, 11, 26, tzinfo=UTC)}]
    (item,) = attention.pick(shape_jobs(jobs, RESTORE_JOBS, "us-east-1", {}), RESTORE_JOBS, dt.date(2026, 11, 26))
    assert item.key == ("restore", "r1", "COMPLETED", "TIMED_OUT")
    assert item.status_message == "no answer in 60 minutes" and item.resource_name is None


SCAN_STATES = ("CREATED", "RUNNING", "COMPLETED", "COMPLETED_WITH_ISSUES", "FAILED", "CANCELED", "UNKNOWN")
RESULTS = (None, "", "NO_THREATS_FOUND", "THREATS_FOUND", "threats_found", "UNKNOWN", "NEWER_THAN_BOTOCORE")


@pytest.mark.parametrize("dtype", [None, pd.StringDtype(na_value=np.nan), "string"],
                         ids=["object", "str-nan", "string-na"])
def test_pick_takes_scans_as_needs_attention_says_with_their_recovery_point(dtype):
    combos = list(product(SCAN_STATES, RESULTS))
    jobs = [{"ScanJobId": f"s{n}", "AccountId": "111122223333", "State": state,
             "ScanResult": None if result is None else {"ScanResultStatus": result},
             "RecoveryPointArn": f"arn:rp{n}", "BackupVaultName": "org-backup-vault", "ResourceName": f"vol-{n}",
             "CreationDate": dt.datetime(2026, 11, 26, 1, tzinfo=UTC)} for n, (state, result) in enumerate(combos)]
    frame = _strings_as(shape_jobs(jobs, SCAN_JOBS, "eu-west-1", {}), dtype)
    items = attention.pick(frame, SCAN_JOBS, dt.date(2026, 11, 26))
    expected = [n for n, (state, result) in enumerate(combos) if needs_attention("scan", state, None, None, result)]
    assert 0 < len(expected) < len(combos)
    assert [i.job_id for i in items] == [f"s{n}" for n in expected]
    for n, item in zip(expected, items):
        state, result = combos[n]
        assert item.key == ("scan", f"s{n}", state, result or "")
        assert (item.scan_result_status, item.validation_status) == (result or None, None)
        assert item.threat is ((result or "").upper() == "THREATS_FOUND")
        assert (item.recovery_point_arn, item.backup_vault_name, item.resource_name) == (
            f"arn:rp{n}", "org-backup-vault", f"vol-{n}")


def test_items_of_other_job_types_carry_no_scan_fields():
    jobs = sdk_jobs("FAILED")
    jobs[0].update(RecoveryPointArn="arn:rp", BackupVaultName="Default")
    (item,) = attention.pick(shape_jobs(jobs, BACKUP_JOBS, "eu-west-1", {}), BACKUP_JOBS, dt.date(2026, 11, 26))
    assert (item.scan_result_status, item.recovery_point_arn, item.backup_vault_name, item.threat) == (
        None, None, None, False)


def test_recent_is_at_most_the_max_age_before_the_run():
    now = dt.datetime(2026, 11, 26, 23, 59, tzinfo=UTC)
    for age in (dt.timedelta(0), dt.timedelta(hours=48), dt.timedelta(hours=48, microseconds=1), dt.timedelta(days=9)):
        for event in (now - age, (now - age).astimezone(dt.timezone(dt.timedelta(hours=-7)))):
            recent = age <= dt.timedelta(hours=48)
            assert attention.is_recent(new_item(1, completion_date=event), now, 48) is recent
            assert attention.is_recent(new_item(1, creation_date=event, completion_date=None), now, 48) is recent
    # the run's clock in another zone
    east = now.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert attention.is_recent(new_item(1, completion_date=now - dt.timedelta(hours=48)), east, 48)
    assert not attention.is_recent(new_item(1, completion_date=now - dt.timedelta(hours=49)), east, 48)
