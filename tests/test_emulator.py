"""The AWS Backup emulator, through a real boto3 ``backup`` client and its paginators."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import boto3
import botocore
import botocore.retries.standard
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from backup_report.local import synthetic
from backup_report.local.emulator import BackupEmulator, EmulatorClient
from backup_report.local.emulator.wire import OPS, UNSUPPORTED_MEMBERS, parse_timestamp_us

ROOT = Path(__file__).resolve().parents[1]
MGMT = "123456789012"
MEMBER = "210987654321"
OTHER = "333344445555"
UTC = timezone.utc


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def job(job_type: str, job_id: str, created: str, state: str = "COMPLETED", account: str = MEMBER,
        **fields: Any) -> Dict[str, Any]:
    item: Dict[str, Any] = {synthetic.ID_FIELD[job_type]: job_id, "AccountId": account,
                            "CreationDate": epoch(created), synthetic.STATUS_FIELD[job_type]: state}
    item.update(fields)
    return item


@pytest.fixture(scope="module")
def emu():
    emulator = BackupEmulator(management_account_id=MGMT).start()
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def _fresh(emu):
    emu.reset()


@pytest.fixture
def no_backoff(monkeypatch):
    """botocore still retries exactly as configured, without sleeping between attempts."""
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.0)


def client(emu: BackupEmulator, region: str = "us-east-1", **config: Any):
    # botocore's retries "max_attempts" excludes the first attempt; "total_max_attempts" includes it
    cfg = Config(retries=config.pop("retries", {"mode": "standard", "total_max_attempts": 1}), **config)
    return boto3.client("backup", region_name=region, endpoint_url=emu.url, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=cfg)


def list_all(c, operation: str = "list_backup_jobs", **kwargs: Any) -> List[Dict[str, Any]]:
    key = {"list_backup_jobs": "BackupJobs", "list_copy_jobs": "CopyJobs", "list_restore_jobs": "RestoreJobs",
           "list_scan_jobs": "ScanJobs"}
    return [j for page in c.get_paginator(operation).paginate(**kwargs) for j in page[key[operation]]]


def ids(jobs: List[Dict[str, Any]], field: str = "BackupJobId") -> List[str]:
    return [j[field] for j in jobs]


def error_of(excinfo) -> tuple:
    """(HTTP status, error code) of a ClientError or a pytest.raises ExceptionInfo holding one."""
    resp = getattr(excinfo, "value", excinfo).response
    return (resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Code"])


# --------------------------------------------------------------------------- the model


def test_every_querystring_member_of_the_model_is_implemented():
    assert UNSUPPORTED_MEMBERS == ()
    model = botocore.session.get_session().get_service_model("backup")
    for op in OPS.values():
        members = model.operation_model(op.name).input_shape.members
        assert {p.member for p in op.params.values()} == set(members)
        for member, shape in members.items():
            assert op.params[shape.serialization["name"]].member == member
    assert OPS["backup"].params["createdAfter"].member == "ByCreatedAfter"
    assert OPS["restore"].params["restoreTestingPlanArn"].member == "ByRestoreTestingPlanArn"
    assert OPS["copy"].path == "/copy-jobs/" and OPS["restore"].result_key == "RestoreJobs"
    assert OPS["scan"].path == "/scan/jobs" and OPS["scan"].result_key == "ScanJobs"
    assert OPS["scan"].params["ByScanResultStatus"].member == "ByScanResultStatus"


def test_parse_timestamp_forms():
    base = int(epoch("2026-11-27T00:00:00") * 1_000_000)
    assert parse_timestamp_us("2026-11-27T00:00:00Z") == base
    assert parse_timestamp_us("2026-11-27T00:00:00.5Z") == base + 500_000
    assert parse_timestamp_us("2026-11-27T00:00:00.000001Z") == base + 1
    assert parse_timestamp_us("2026-11-27T01:00:00+01:00") == base
    assert parse_timestamp_us(str(base / 1_000_000)) == base
    with pytest.raises(ValueError):
        parse_timestamp_us("yesterday")


# --------------------------------------------------------------------------- pagination


def test_pagination_over_a_thousand_jobs_newest_first(emu):
    start = epoch("2026-11-26T00:00:00")
    jobs = [{"BackupJobId": f"b-{i:05d}", "AccountId": (MEMBER, OTHER, MGMT)[i % 3],
             "CreationDate": start + i * 7.25, "State": "FAILED" if i % 2 else "COMPLETED"} for i in range(2500)]
    jobs.append(dict(jobs[0], BackupJobId="b-tie"))  # same CreationDate as b-00000: order by id
    assert emu.load_jobs("backup", "us-east-1", jobs) == 2501
    c = client(emu)
    pages = list(c.get_paginator("list_backup_jobs").paginate(ByAccountId="*"))
    assert [len(p["BackupJobs"]) for p in pages] == [1000, 1000, 501]
    assert "NextToken" in pages[0] and "NextToken" not in pages[-1]
    got = [j["BackupJobId"] for p in pages for j in p["BackupJobs"]]
    assert got[:2] == ["b-02499", "b-02498"] and got[-2:] == ["b-00000", "b-tie"]
    assert len(set(got)) == 2501
    created = [j["CreationDate"] for p in pages for j in p["BackupJobs"]]
    assert created == sorted(created, reverse=True)
    assert emu.stats()["pages"][("ListBackupJobs", "us-east-1")] == 3

    small = list(c.get_paginator("list_backup_jobs").paginate(ByAccountId="*", PaginationConfig={"PageSize": 300}))
    assert [len(p["BackupJobs"]) for p in small] == [300] * 8 + [101]
    assert [j["BackupJobId"] for p in small for j in p["BackupJobs"]] == got

    # a filter that is not a date walks the pages too (the linear path)
    failed = list(c.get_paginator("list_backup_jobs").paginate(ByAccountId="*", ByState="FAILED"))
    assert [len(p["BackupJobs"]) for p in failed] == [1000, 250]
    assert {j["State"] for p in failed for j in p["BackupJobs"]} == {"FAILED"}
    # the account index with a date window
    mine = list_all(c, ByCreatedAfter=datetime.fromtimestamp(start + 1000 * 7.25, UTC))
    assert len(mine) == len([i for i in range(1001, 2500) if i % 3 == 2])


def test_max_results_range_is_enforced_by_the_server(emu):
    emu.load_jobs("backup", "us-east-1", [job("backup", "b1", "2026-11-26T10:00:00")])
    with pytest.raises(ClientError) as e:
        client(emu).list_backup_jobs(MaxResults=1001)
    assert error_of(e) == (400, "InvalidParameterValueException")
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "InvalidParameterValueException"
    unchecked = client(emu, parameter_validation=False)
    with pytest.raises(ClientError) as e:
        unchecked.list_backup_jobs(MaxResults=0)
    assert error_of(e) == (400, "InvalidParameterValueException")
    assert len(client(emu).list_backup_jobs(MaxResults=1000, ByAccountId="*")["BackupJobs"]) == 1
    assert len(client(emu).list_backup_jobs(MaxResults=1, ByAccountId="*")["BackupJobs"]) == 1


def test_next_token_reuse_garbage_and_foreign_tokens(emu):
    jobs = [job("backup", f"b{i}", f"2026-11-26T10:00:0{i}", "FAILED" if i % 2 else "COMPLETED") for i in range(6)]
    emu.load_jobs("backup", "us-east-1", jobs)
    emu.load_jobs("backup", "eu-west-1", jobs)
    c = client(emu)
    first = c.list_backup_jobs(ByAccountId="*", MaxResults=2)
    token = first["NextToken"]
    again = c.list_backup_jobs(ByAccountId="*", MaxResults=2, NextToken=token)
    assert ids(again["BackupJobs"]) == ["b3", "b2"]
    assert ids(c.list_backup_jobs(ByAccountId="*", MaxResults=2, NextToken=token)["BackupJobs"]) == ["b3", "b2"]
    assert ids(c.list_backup_jobs(ByAccountId="*", MaxResults=5, NextToken=token)["BackupJobs"]) == \
        ["b3", "b2", "b1", "b0"]
    for bad in ("garbage", token[:-4], token[:10] + ("A" if token[10] != "A" else "B") + token[11:], "", "===="):
        with pytest.raises(ClientError) as e:
            c.list_backup_jobs(ByAccountId="*", MaxResults=2, NextToken=bad)
        assert error_of(e) == (400, "InvalidParameterValueException"), bad
    foreign = [
        lambda: c.list_backup_jobs(ByAccountId="*", ByState="FAILED", NextToken=token),  # other filters
        lambda: c.list_backup_jobs(NextToken=token),  # other account scope
        lambda: client(emu, "eu-west-1").list_backup_jobs(ByAccountId="*", NextToken=token),  # other region
        lambda: c.list_copy_jobs(ByAccountId="*", NextToken=token),  # other operation
    ]
    for call in foreign:
        with pytest.raises(ClientError) as e:
            call()
        assert error_of(e) == (400, "InvalidParameterValueException")


def test_a_job_added_between_pages_does_not_shift_the_cursor(emu):
    emu.load_jobs("backup", "us-east-1", [job("backup", f"b{i}", f"2026-11-26T10:00:0{i}") for i in range(4)])
    c = client(emu)
    first = c.list_backup_jobs(ByAccountId="*", MaxResults=2)
    emu.load_jobs("backup", "us-east-1", [job("backup", "newer", "2026-11-26T11:00:00")])
    rest = c.list_backup_jobs(ByAccountId="*", MaxResults=2, NextToken=first["NextToken"])
    assert ids(first["BackupJobs"]) + ids(rest["BackupJobs"]) == ["b3", "b2", "b1", "b0"]


# --------------------------------------------------------------------------- filters


BACKUPS = [
    job("backup", "b1", "2026-11-26T01:00:00", "COMPLETED", ResourceArn="arn:aws:ec2:us-east-1:1:volume/vol-1",
        BackupVaultName="Default", ResourceType="EBS", MessageCategory="SUCCESS", IsParent=True,
        CompletionDate=epoch("2026-11-26T02:00:00")),
    job("backup", "b2", "2026-11-26T02:00:00", "FAILED", ResourceArn="arn:aws:rds:us-east-1:1:db:orders",
        BackupVaultName="prod-vault", ResourceType="RDS", ParentJobId="b1", MessageCategory="ACCESS_DENIED",
        CompletionDate=epoch("2026-11-26T03:00:00")),
    job("backup", "b3", "2026-11-26T03:00:00", "RUNNING", ResourceArn="arn:aws:ec2:us-east-1:1:volume/vol-1",
        BackupVaultName="prod-vault", ResourceType="EBS", ParentJobId="b1"),
    job("backup", "b4", "2026-11-26T04:00:00", "COMPLETED", account=OTHER,
        ResourceArn="arn:aws:dynamodb:us-east-1:1:table/t", BackupVaultName="Default", ResourceType="DynamoDB",
        MessageCategory="INVALID_PARAMETERS", CompletionDate=epoch("2026-11-26T05:00:00")),
]
COPIES = [
    job("copy", "c1", "2026-11-26T01:00:00", "COMPLETED", ResourceArn="arn:r1", ResourceType="EBS",
        DestinationBackupVaultArn="arn:aws:backup:eu-west-1:1:backup-vault:dr",
        SourceRecoveryPointArn="arn:rp1", ParentJobId="c0", MessageCategory="SUCCESS",
        CompletionDate=epoch("2026-11-26T01:30:00")),
    job("copy", "c2", "2026-11-26T02:00:00", "FAILED", ResourceArn="arn:r2", ResourceType="RDS",
        DestinationBackupVaultArn="arn:aws:backup:us-east-1:2:backup-vault:central",
        SourceRecoveryPointArn="arn:rp2", MessageCategory="ACCESS_DENIED",
        CompletionDate=epoch("2026-11-26T02:30:00")),
    job("copy", "c3", "2026-11-26T03:00:00", "RUNNING", ResourceArn="arn:r1", ResourceType="EBS",
        DestinationBackupVaultArn="arn:aws:backup:eu-west-1:1:backup-vault:dr", SourceRecoveryPointArn="arn:rp1"),
]
RESTORES = [
    job("restore", "r1", "2026-11-26T01:00:00", "COMPLETED", ResourceType="EBS",
        CreatedBy={"RestoreTestingPlanArn": "arn:aws:backup:us-east-1:1:restore-testing-plan:p1"},
        ParentJobId="r0", CompletionDate=epoch("2026-11-26T01:30:00")),
    job("restore", "r2", "2026-11-26T02:00:00", "FAILED", ResourceType="RDS",
        CompletionDate=epoch("2026-11-26T02:30:00")),
    job("restore", "r3", "2026-11-26T03:00:00", "PENDING", ResourceType="EBS"),
]

SCANS = [
    job("scan", "s1", "2026-11-26T01:00:00", "COMPLETED", ResourceArn="arn:aws:ec2:us-east-1:1:volume/vol-1",
        ResourceType="EBS", BackupVaultName="Default", MalwareScanner="GUARDDUTY",
        RecoveryPointArn="arn:aws:ec2:us-east-1::snapshot/snap-1", ScanResult={"ScanResultStatus": "THREATS_FOUND"},
        CompletionDate=epoch("2026-11-26T01:30:00")),
    job("scan", "s2", "2026-11-26T02:00:00", "COMPLETED_WITH_ISSUES", account=OTHER, ResourceType="S3",
        ResourceArn="arn:aws:s3:::bucket", BackupVaultName="prod-vault", MalwareScanner="GUARDDUTY",
        RecoveryPointArn="arn:aws:backup:us-east-1:1:recovery-point:rp-2",
        ScanResult={"ScanResultStatus": "NO_THREATS_FOUND"}, CompletionDate=epoch("2026-11-26T02:30:00")),
    job("scan", "s3", "2026-11-26T03:00:00", "RUNNING", ResourceArn="arn:aws:ec2:us-east-1:1:volume/vol-1",
        ResourceType="EBS", BackupVaultName="prod-vault", RecoveryPointArn="arn:aws:ec2:us-east-1::snapshot/snap-3"),
]

FILTER_CASES = [
    ("list_backup_jobs", "ByResourceArn", "arn:aws:ec2:us-east-1:1:volume/vol-1", ["b3", "b1"]),
    ("list_backup_jobs", "ByState", "FAILED", ["b2"]),
    ("list_backup_jobs", "ByBackupVaultName", "prod-vault", ["b3", "b2"]),
    ("list_backup_jobs", "ByResourceType", "EBS", ["b3", "b1"]),
    ("list_backup_jobs", "ByParentJobId", "b1", ["b3", "b2"]),
    ("list_backup_jobs", "ByMessageCategory", "SUCCESS", ["b1"]),
    ("list_backup_jobs", "ByMessageCategory", "AccessDenied", ["b2"]),
    ("list_backup_jobs", "ByMessageCategory", "ANY", ["b4", "b3", "b2", "b1"]),
    ("list_backup_jobs", "ByAccountId", OTHER, ["b4"]),
    ("list_backup_jobs", "ByCompleteAfter", "2026-11-26T02:00:00Z", ["b4", "b2"]),
    ("list_backup_jobs", "ByCompleteBefore", "2026-11-26T03:00:00Z", ["b1"]),
    ("list_backup_jobs", "ByCreatedAfter", "2026-11-26T02:00:00Z", ["b4", "b3"]),
    ("list_backup_jobs", "ByCreatedBefore", "2026-11-26T02:00:00Z", ["b1"]),
    ("list_copy_jobs", "ByResourceArn", "arn:r1", ["c3", "c1"]),
    ("list_copy_jobs", "ByState", "RUNNING", ["c3"]),
    ("list_copy_jobs", "ByResourceType", "RDS", ["c2"]),
    ("list_copy_jobs", "ByDestinationVaultArn", "arn:aws:backup:eu-west-1:1:backup-vault:dr", ["c3", "c1"]),
    ("list_copy_jobs", "BySourceRecoveryPointArn", "arn:rp2", ["c2"]),
    ("list_copy_jobs", "ByParentJobId", "c0", ["c1"]),
    ("list_copy_jobs", "ByMessageCategory", "access_denied", ["c2"]),
    ("list_copy_jobs", "ByCompleteAfter", "2026-11-26T01:30:00Z", ["c2"]),
    ("list_copy_jobs", "ByCompleteBefore", "2026-11-26T02:30:00.001Z", ["c2", "c1"]),
    ("list_copy_jobs", "ByCreatedAfter", "2026-11-26T01:00:00Z", ["c3", "c2"]),
    ("list_copy_jobs", "ByCreatedBefore", "2026-11-26T03:00:00Z", ["c2", "c1"]),
    ("list_restore_jobs", "ByStatus", "PENDING", ["r3"]),
    ("list_restore_jobs", "ByResourceType", "EBS", ["r3", "r1"]),
    ("list_restore_jobs", "ByRestoreTestingPlanArn", "arn:aws:backup:us-east-1:1:restore-testing-plan:p1", ["r1"]),
    ("list_restore_jobs", "ByParentJobId", "r0", ["r1"]),
    ("list_restore_jobs", "ByCompleteAfter", "2026-11-26T01:30:00Z", ["r2"]),
    ("list_restore_jobs", "ByCompleteBefore", "2026-11-26T02:30:00Z", ["r1"]),
    ("list_restore_jobs", "ByCreatedAfter", "2026-11-26T01:00:00Z", ["r3", "r2"]),
    ("list_restore_jobs", "ByCreatedBefore", "2026-11-26T02:00:00.000001Z", ["r2", "r1"]),
    ("list_scan_jobs", "ByState", "RUNNING", ["s3"]),
    ("list_scan_jobs", "ByScanResultStatus", "THREATS_FOUND", ["s1"]),
    ("list_scan_jobs", "ByResourceType", "EBS", ["s3", "s1"]),
    ("list_scan_jobs", "ByResourceArn", "arn:aws:ec2:us-east-1:1:volume/vol-1", ["s3", "s1"]),
    ("list_scan_jobs", "ByRecoveryPointArn", "arn:aws:backup:us-east-1:1:recovery-point:rp-2", ["s2"]),
    ("list_scan_jobs", "ByBackupVaultName", "prod-vault", ["s3", "s2"]),
    ("list_scan_jobs", "ByMalwareScanner", "GUARDDUTY", ["s2", "s1"]),
    ("list_scan_jobs", "ByAccountId", OTHER, ["s2"]),
    ("list_scan_jobs", "ByCompleteAfter", "2026-11-26T01:30:00Z", ["s2"]),
    ("list_scan_jobs", "ByCompleteBefore", "2026-11-26T02:30:00Z", ["s1"]),
]


def test_filter_cases_cover_every_filter_of_the_model():
    model = botocore.session.get_session().get_service_model("backup")
    covered = {(op, member) for op, member, _v, _e in FILTER_CASES}
    for op_name, snake in (("ListBackupJobs", "list_backup_jobs"), ("ListCopyJobs", "list_copy_jobs"),
                           ("ListRestoreJobs", "list_restore_jobs"), ("ListScanJobs", "list_scan_jobs")):
        members = [m for m in model.operation_model(op_name).input_shape.members if m.startswith("By")]
        missing = [m for m in members if (snake, m) not in covered and m != "ByAccountId"]
        assert missing == [], op_name


@pytest.mark.parametrize("operation, member, value, expected", FILTER_CASES,
                         ids=[f"{o}-{m}-{v[-12:]}" for o, m, v, _ in FILTER_CASES])
def test_each_filter(emu, operation, member, value, expected):
    emu.load_jobs("backup", "us-east-1", BACKUPS)
    emu.load_jobs("copy", "us-east-1", COPIES)
    emu.load_jobs("restore", "us-east-1", RESTORES)
    emu.load_jobs("scan", "us-east-1", SCANS)
    id_field = {"list_backup_jobs": "BackupJobId", "list_copy_jobs": "CopyJobId",
                "list_restore_jobs": "RestoreJobId", "list_scan_jobs": "ScanJobId"}[operation]
    kwargs = {"ByAccountId": "*", member: value}
    got = ids(list_all(client(emu), operation, **kwargs), id_field)
    assert got == expected
    # the same filter with one job per page
    paged = ids(list_all(client(emu), operation, PaginationConfig={"PageSize": 1}, **kwargs), id_field)
    assert paged == expected


@pytest.mark.parametrize("member, value", [("ByState", "DONE"), ("ByAccountId", "12345"), ("ByAccountId", "all"),
                                           ("ByBackupVaultName", "bad vault!"), ("ByResourceType", "a b")])
def test_invalid_filter_values_are_rejected(emu, member, value):
    with pytest.raises(ClientError) as e:
        client(emu).list_backup_jobs(**{member: value})
    assert error_of(e) == (400, "InvalidParameterValueException")


def test_date_filters_are_strict(emu):
    day = "2026-11-26"
    emu.load_jobs("backup", "us-east-1", [
        job("backup", "midnight", f"{day}T00:00:00", CompletionDate=epoch(f"{day}T12:00:00")),
        job("backup", "half-past", f"{day}T00:00:00.500", CompletionDate=epoch(f"{day}T12:00:00.500")),
        job("backup", "last", f"{day}T23:59:59.500", "RUNNING"),
        job("backup", "next-midnight", "2026-11-27T00:00:00"),
    ])
    c = client(emu)
    window = dict(ByAccountId="*", ByCreatedAfter=datetime(2026, 11, 26, tzinfo=UTC),
                  ByCreatedBefore=datetime(2026, 11, 27, tzinfo=UTC))
    assert ids(list_all(c, **window)) == ["last", "half-past"]
    assert ids(list_all(c, ByAccountId="*", ByCreatedAfter="2026-11-26T00:00:00.500Z")) == ["next-midnight", "last"]
    assert ids(list_all(c, ByAccountId="*", ByCreatedAfter=datetime(2026, 11, 26, 0, 0, 0, 499999, UTC))) == \
        ["next-midnight", "last", "half-past"]
    assert ids(list_all(c, ByAccountId="*", ByCreatedBefore="2026-11-26T00:00:00.500Z")) == ["midnight"]
    # completion filters: strict, and a job without CompletionDate never matches
    assert ids(list_all(c, ByAccountId="*", ByCompleteAfter=f"{day}T12:00:00Z")) == ["half-past"]
    assert ids(list_all(c, ByAccountId="*", ByCompleteBefore=f"{day}T12:00:00.500Z")) == ["midnight"]
    assert ids(list_all(c, ByAccountId="*", ByCompleteAfter="2000-01-01T00:00:00Z")) == ["half-past", "midnight"]


# --------------------------------------------------------------------------- accounts and regions


def test_account_id_star_one_account_or_the_callers_own(emu):
    emu.load_jobs("backup", "us-east-1", [
        job("backup", "mine", "2026-11-26T01:00:00", account=MGMT),
        job("backup", "member", "2026-11-26T02:00:00", account=MEMBER),
        job("backup", "other", "2026-11-26T03:00:00", account=OTHER),
        {"BackupJobId": "no-account", "CreationDate": epoch("2026-11-26T04:00:00"), "State": "COMPLETED"},
    ])
    c = client(emu)
    assert ids(list_all(c, ByAccountId="*")) == ["no-account", "other", "member", "mine"]
    assert ids(list_all(c, ByAccountId=MEMBER)) == ["member"]
    assert ids(list_all(c, ByAccountId="999999999999")) == []
    assert ids(list_all(c)) == ["no-account", "mine"]  # absent: the caller's (management) account only
    assert list_all(c)[0]["AccountId"] == MGMT


def test_region_comes_from_the_signature(emu):
    emu.load_jobs("backup", "us-east-1", [job("backup", "us", "2026-11-26T01:00:00")])
    emu.load_jobs("backup", "eu-west-1", [job("backup", "eu", "2026-11-26T01:00:00")])
    assert ids(list_all(client(emu, "us-east-1"), ByAccountId="*")) == ["us"]
    assert ids(list_all(client(emu, "eu-west-1"), ByAccountId="*")) == ["eu"]
    assert ids(list_all(client(emu, "ap-southeast-2"), ByAccountId="*")) == []
    requests = emu.stats()["requests"]
    assert requests == {("ListBackupJobs", r): 1 for r in ("us-east-1", "eu-west-1", "ap-southeast-2")}


def test_unsigned_requests_are_refused(emu):
    c = boto3.client("backup", region_name="us-east-1", endpoint_url=emu.url,
                     config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        c.list_backup_jobs()
    assert error_of(e) == (403, "MissingAuthenticationTokenException")
    req = urllib.request.Request(emu.url + "/backup-jobs/", headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/s3/aws4_request, "
                         "SignedHeaders=host, Signature=00"})
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(req)
    assert h.value.code == 403 and h.value.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert emu.stats()["unauthenticated"] == 2 and emu.stats()["requests"] == {}


def test_wire_format_epoch_numbers_request_id_and_keep_alive(emu):
    emu.load_jobs("backup", "us-east-1", [
        job("backup", "b1", "2026-11-26T00:00:00.500", StatusMessage='a, "b"\\n\tc\r\nd — 数据库',
            StartBy=datetime(2026, 11, 26, 8, 0, 0, 500000, UTC), InitiationDate="2026-11-26T00:01:00.250Z")])
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/us-east-1/backup/aws4_request, "
                                "SignedHeaders=host;x-amz-date, Signature=abc"}
    bodies = []
    for _ in range(2):  # both on one connection: HTTP/1.1 keep-alive
        conn.request("GET", "/backup-jobs/?accountId=%2A&maxResults=5", headers=headers)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("x-amzn-RequestId")
        assert resp.getheader("Content-Type") == "application/json"
        bodies.append(json.loads(resp.read().decode("utf-8")))
    conn.close()
    item = bodies[0]["BackupJobs"][0]
    assert item["CreationDate"] == epoch("2026-11-26T00:00:00.500") and isinstance(item["CreationDate"], float)
    assert item["StartBy"] == epoch("2026-11-26T08:00:00.500")
    assert item["InitiationDate"] == epoch("2026-11-26T00:01:00.250")
    assert item["StatusMessage"] == 'a, "b"\\n\tc\r\nd — 数据库'
    assert "NextToken" not in bodies[0] and bodies[0] == bodies[1]
    parsed = client(emu).list_backup_jobs(ByAccountId="*")["BackupJobs"][0]
    assert parsed["CreationDate"] == datetime(2026, 11, 26, 0, 0, 0, 500000, UTC)
    assert parsed["StatusMessage"] == item["StatusMessage"]


def test_unknown_paths_are_404(emu):
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(emu.url + "/backup-vaults/")
    assert h.value.code == 404


# --------------------------------------------------------------------------- faults


def test_throttling_is_retried_by_standard_mode_and_surfaced_without_retries(emu, no_backoff):
    emu.load_jobs("backup", "us-east-1", [job("backup", "b1", "2026-11-26T01:00:00")])
    emu.set_faults(throttle_next=3)
    retrying = client(emu, retries={"mode": "standard", "max_attempts": 10})
    assert ids(retrying.list_backup_jobs(ByAccountId="*")["BackupJobs"]) == ["b1"]
    stats = emu.stats()
    assert stats["throttled"] == 3 and stats["requests"][("ListBackupJobs", "us-east-1")] == 4
    assert stats["pages"][("ListBackupJobs", "us-east-1")] == 1

    emu.set_faults(throttle_next=5)
    emu.reset_stats()
    with pytest.raises(ClientError) as e:  # max_attempts=1: one retry, then the error surfaces
        client(emu, retries={"mode": "standard", "max_attempts": 1}).list_backup_jobs(ByAccountId="*")
    assert error_of(e) == (400, "ThrottlingException")
    assert e.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    with pytest.raises(ClientError) as e:  # no retry at all
        client(emu, retries={"mode": "standard", "total_max_attempts": 1}).list_backup_jobs(ByAccountId="*")
    assert error_of(e) == (400, "ThrottlingException")
    assert e.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert emu.stats()["throttled"] == 3 and emu.stats()["pages"] == {}


def test_random_throttling_is_seeded_and_ridden_out(emu, no_backoff):
    emu.load_jobs("backup", "us-east-1", [job("backup", f"b{i:03d}", "2026-11-26T01:00:00") for i in range(40)])

    def run() -> tuple:
        emu.reset_stats()
        emu.set_faults(throttle_rate=0.3, seed=7)
        c = client(emu, retries={"mode": "standard", "max_attempts": 10})
        got = list_all(c, ByAccountId="*", PaginationConfig={"PageSize": 2})
        s = emu.stats()
        return len(got), s["throttled"], s["requests"][("ListBackupJobs", "us-east-1")]

    first, second = run(), run()
    assert first == second  # same seed, same faults
    assert first[0] == 40 and first[1] > 0 and first[2] == 20 + first[1]


def test_always_throttled_region(emu, no_backoff):
    emu.set_faults(throttle_regions=["eu-west-1"])
    with pytest.raises(ClientError) as e:
        client(emu, "eu-west-1", retries={"mode": "standard", "total_max_attempts": 3}).list_copy_jobs()
    assert error_of(e) == (400, "ThrottlingException")
    assert client(emu, "us-east-1").list_copy_jobs()["CopyJobs"] == []
    assert emu.stats()["throttled_by"] == {("ListCopyJobs", "eu-west-1"): 3}


def test_rate_limit_per_region(emu):
    emu.set_faults(rate_limit_per_second=5)
    c = client(emu, "us-east-1")
    outcomes = []
    t0 = time.monotonic()
    for _ in range(20):
        try:
            c.list_backup_jobs()
            outcomes.append("ok")
        except ClientError as e:
            assert error_of(e) == (400, "ThrottlingException")
            outcomes.append("throttled")
    elapsed = time.monotonic() - t0
    assert outcomes[:5] == ["ok"] * 5  # the burst
    assert outcomes.count("ok") <= 5 + int(elapsed * 5) + 1 and outcomes.count("throttled") >= 10
    assert client(emu, "eu-west-1").list_backup_jobs()["BackupJobs"] == []  # its own bucket
    time.sleep(0.45)
    c.list_backup_jobs()  # refilled
    assert emu.stats()["throttled"] == outcomes.count("throttled")


def test_the_quota_of_a_region_is_shared_by_its_four_operations(emu):
    emu.set_faults(rate_limit_per_second=0.5)  # one call, then one more every two seconds
    east, west = client(emu, "us-east-1"), client(emu, "eu-west-1")
    started = time.monotonic()
    east.list_backup_jobs()
    outcomes = []
    for call in (east.list_copy_jobs, east.list_restore_jobs, east.list_scan_jobs):
        try:
            call()
            outcomes.append("ok")
        except ClientError as e:
            outcomes.append(error_of(e)[1])
    west.list_copy_jobs()  # another region, its own bucket
    if time.monotonic() - started < 2:  # no token could have come back yet
        assert outcomes == ["ThrottlingException"] * 3
        assert emu.stats()["throttled_by"] == {("ListCopyJobs", "us-east-1"): 1,
                                               ("ListRestoreJobs", "us-east-1"): 1, ("ListScanJobs", "us-east-1"): 1}
    assert outcomes.count("ok") <= 1


def test_access_denied_per_region_and_per_operation(emu):
    emu.load_jobs("backup", "us-east-1", [job("backup", "b1", "2026-11-26T01:00:00")])
    emu.set_faults(denied_regions=["eu-west-1"], denied=[["us-east-1", "ListCopyJobs"], ["us-east-1", "scan"]])
    with pytest.raises(ClientError) as e:
        client(emu, "eu-west-1").list_restore_jobs()
    assert error_of(e) == (403, "AccessDeniedException")
    assert "backup:ListRestoreJobs" in e.value.response["Error"]["Message"]
    assert "eu-west-1" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        client(emu, "us-east-1").list_copy_jobs(ByAccountId="*")
    assert error_of(e) == (403, "AccessDeniedException") and "ListCopyJobs" in str(e.value)
    assert ids(client(emu, "us-east-1").list_backup_jobs(ByAccountId="*")["BackupJobs"]) == ["b1"]
    with pytest.raises(ClientError) as e:
        client(emu, "us-east-1").list_scan_jobs(ByAccountId="*", ByState="RUNNING")
    assert error_of(e) == (403, "AccessDeniedException") and "backup:ListScanJobs" in str(e.value)
    stats = emu.stats()
    assert stats["denied"] == 3
    assert stats["denied_by"] == {("ListRestoreJobs", "eu-west-1"): 1, ("ListCopyJobs", "us-east-1"): 1,
                                  ("ListScanJobs", "us-east-1"): 1}
    emu.set_faults()
    assert client(emu, "eu-west-1").list_restore_jobs()["RestoreJobs"] == []


def test_service_unavailable_is_retried(emu, no_backoff):
    emu.set_faults(unavailable_rate=1.0)
    with pytest.raises(ClientError) as e:
        client(emu, retries={"mode": "standard", "total_max_attempts": 2}).list_backup_jobs()
    assert error_of(e) == (503, "ServiceUnavailableException")
    assert emu.stats()["unavailable"] == 2


def test_bad_fault_settings_are_refused(emu):
    with pytest.raises(ValueError):
        emu.set_faults(throttle_rate=1.5)
    with pytest.raises(ValueError):
        emu.set_faults(denied=[["eu-west-1", "DeleteBackupVault"]])


# --------------------------------------------------------------------------- admin and stats


def test_stats_count_requests_pages_and_jobs(emu):
    emu.load_jobs("backup", "us-east-1", [job("backup", f"b{i}", "2026-11-26T01:00:00") for i in range(5)])
    emu.load_jobs("restore", "eu-west-1", [job("restore", "r1", "2026-11-26T01:00:00")])
    list_all(client(emu), ByAccountId="*", PaginationConfig={"PageSize": 2})
    list_all(client(emu, "eu-west-1"), "list_restore_jobs", ByAccountId="*")
    with pytest.raises(ClientError):
        client(emu).list_backup_jobs(ByState="NOPE")
    s = emu.stats()
    assert s["requests"] == {("ListBackupJobs", "us-east-1"): 4, ("ListRestoreJobs", "eu-west-1"): 1}
    assert s["pages"] == {("ListBackupJobs", "us-east-1"): 3, ("ListRestoreJobs", "eu-west-1"): 1}
    assert s["jobs_returned"] == {("ListBackupJobs", "us-east-1"): 5, ("ListRestoreJobs", "eu-west-1"): 1}
    assert (s["invalid"], s["total_requests"], s["total_pages"], s["total_jobs_returned"]) == (1, 5, 4, 6)
    assert s["access_keys"] == {"testing": 5}
    assert s["jobs_loaded"][("backup", "us-east-1")] == 5
    emu.reset_stats()
    assert emu.stats()["requests"] == {} and emu.stats()["total_requests"] == 0


def test_upsert_replaces_a_running_job_with_its_completed_version(emu):
    emu.load_jobs("backup", "us-east-1", [job("backup", "b-late", "2026-11-25T23:59:59.500", "RUNNING"),
                                          job("backup", "b-other", "2026-11-25T10:00:00")])
    c = client(emu)
    assert [j["State"] for j in list_all(c, ByAccountId="*", ByState="RUNNING")] == ["RUNNING"]
    emu.load_jobs("backup", "us-east-1", [job("backup", "b-late", "2026-11-25T23:59:59.500", "COMPLETED",
                                              CompletionDate=epoch("2026-11-26T00:30:00"))])
    jobs = list_all(c, ByAccountId="*")
    assert [(j["BackupJobId"], j["State"]) for j in jobs] == [("b-late", "COMPLETED"), ("b-other", "COMPLETED")]
    assert jobs[0]["CompletionDate"] == datetime(2026, 11, 26, 0, 30, tzinfo=UTC)
    assert list_all(c, ByAccountId="*", ByState="RUNNING") == []
    emu.load_jobs("backup", "us-east-1", [job("backup", "only", "2026-11-25T01:00:00")], replace=True)
    assert ids(list_all(c, ByAccountId="*")) == ["only"]


def test_load_rejects_malformed_jobs(emu):
    with pytest.raises(ValueError):
        emu.load_jobs("backup", "us-east-1", [{"State": "COMPLETED", "CreationDate": 1.0}])
    with pytest.raises(ValueError):
        emu.load_jobs("backup", "us-east-1", [{"BackupJobId": "x", "State": "COMPLETED"}])
    with pytest.raises(ValueError):
        emu.load_jobs("snapshot", "us-east-1", [])
    with pytest.raises(ValueError):
        emu.load_jobs("backup", "not a region", [])
    assert emu.job_count() == 0


def test_http_admin_api_through_the_client(emu):
    admin = EmulatorClient(emu.url)
    admin.wait_ready(5)
    assert admin.health()["management_account_id"] == MGMT
    assert admin.load_jobs("copy", "eu-west-1", [
        job("copy", "c1", "2026-11-26T01:00:00", "RUNNING", StartBy=datetime(2026, 11, 26, 9, tzinfo=UTC))]) == 1
    spec = synthetic.OrgSpec(accounts=synthetic.default_accounts(3), regions=["ap-southeast-2"],
                             backup_jobs_per_day=30, copy_jobs_per_day=20, restore_jobs_per_day=20)
    loaded = admin.generate(spec)
    assert loaded == {"backup/ap-southeast-2": 30, "copy/ap-southeast-2": 20, "restore/ap-southeast-2": 20,
                      "scan/ap-southeast-2": 20}
    c = client(emu, "ap-southeast-2")
    assert len(list_all(c, ByAccountId="*")) == 30
    assert admin.set_faults(throttle_rate=0.5, seed=3)["throttle_rate"] == 0.5
    assert admin.faults()["seed"] == 3
    admin.set_faults()
    list_all(client(emu, "eu-west-1"), "list_copy_jobs", ByAccountId="*")
    stats = admin.stats()
    assert stats["requests"] == {("ListBackupJobs", "ap-southeast-2"): 1, ("ListCopyJobs", "eu-west-1"): 1}
    assert stats["jobs_loaded"][("copy", "eu-west-1")] == 1
    assert admin.settle(seed=1) > 0
    for op, _key, field in (("list_backup_jobs", "BackupJobs", "State"), ("list_copy_jobs", "CopyJobs", "State"),
                           ("list_restore_jobs", "RestoreJobs", "Status"), ("list_scan_jobs", "ScanJobs", "State")):
        states = {j[field] for j in list_all(c, op, ByAccountId="*")}
        assert states <= synthetic.FINAL_STATES[op.split("_")[1]]
    admin.reset_stats()
    assert admin.stats()["total_requests"] == 0
    with pytest.raises(RuntimeError, match="HTTP 400"):
        admin.load_jobs("backup", "us-east-1", [{"nope": 1}])
    admin.reset()
    assert admin.health()["jobs"] == 0


def test_generated_organisation_lists_back_identically(emu):
    spec = synthetic.OrgSpec(accounts=synthetic.default_accounts(4, MGMT), regions=["us-east-1", "eu-west-1"],
                             days=2, backup_jobs_per_day=60, copy_jobs_per_day=50, restore_jobs_per_day=50, seed=5,
                             scan_jobs_per_day=30)
    emu.generate(spec)
    expected = synthetic.generate(spec)
    for (job_type, region), jobs in expected.items():
        op = {"backup": "list_backup_jobs", "copy": "list_copy_jobs", "restore": "list_restore_jobs",
              "scan": "list_scan_jobs"}[job_type]
        got = list_all(client(emu, region), op, ByAccountId="*")
        id_field = synthetic.ID_FIELD[job_type]
        assert sorted(ids(got, id_field)) == sorted(ids(jobs, id_field))
        by_id = {j[id_field]: j for j in got}
        for original in jobs[:25]:
            parsed = by_id[original[id_field]]
            assert parsed["CreationDate"].timestamp() == pytest.approx(original["CreationDate"], abs=1e-6)
            assert parsed.get("StatusMessage") == original.get("StatusMessage")
            assert parsed.get("CreatedBy") == original.get("CreatedBy")
        mine = list_all(client(emu, region), op)
        assert {j["AccountId"] for j in mine} == {MGMT} and 0 < len(mine) < len(jobs)


def test_cli_runs_as_a_process_until_sigterm(tmp_path):
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(synthetic.OrgSpec(regions=["us-east-1"], backup_jobs_per_day=25, copy_jobs_per_day=0,
                                           restore_jobs_per_day=0).to_json())
    port_file = tmp_path / "port"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "glue_jobs"))
    proc = subprocess.Popen([sys.executable, "-m", "backup_report.local.emulator", "--port", "0",
                             "--management-account-id", MGMT, "--generate", str(spec_file),
                             "--port-file", str(port_file)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "no port file"
            time.sleep(0.05)
        url = f"http://127.0.0.1:{int(port_file.read_text())}"
        c = boto3.client("backup", region_name="us-east-1", endpoint_url=url, aws_access_key_id="testing",
                         aws_secret_access_key="testing")
        assert len(list_all(c, ByAccountId="*")) == 25
        assert EmulatorClient(url).stats()["requests"] == {("ListBackupJobs", "us-east-1"): 1}
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert url in out


def test_generate_over_http_takes_a_bare_spec_and_replace(emu):
    emu.load_jobs("backup", "us-east-1", [job("backup", "old", "2026-11-26T01:00:00")])
    spec = synthetic.OrgSpec(regions=["us-east-1"], backup_jobs_per_day=12, copy_jobs_per_day=0,
                             restore_jobs_per_day=0, scan_jobs_per_day=0).to_dict()
    spec["replace"] = True
    req = urllib.request.Request(emu.url + "/_emulator/generate", data=json.dumps(spec).encode(), method="POST")
    with urllib.request.urlopen(req) as resp:
        assert json.loads(resp.read())["total"] == 12
    got = ids(list_all(client(emu), ByAccountId="*"))
    assert len(got) == 12 and "old" not in got
    bad = urllib.request.Request(emu.url + "/_emulator/generate", data=b'{"dayz": 3}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(bad)
    assert h.value.code == 400 and "dayz" in h.value.read().decode()
