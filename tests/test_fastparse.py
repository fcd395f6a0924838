"""Page parsing: List*Jobs pages parsed fast give exactly botocore's result, or are left to botocore and counted."""
from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing

import boto3
import botocore.parsers
import botocore.session

from backup_report import aws, fastparse, schema
from backup_report.local.synthetic import OrgSpec, default_accounts

from .builders import api_job

DAY = dt.date(2026, 11, 26)
MEMBER = "210987654321"
LISTINGS = ["ListBackupJobs", "ListCopyJobs", "ListRestoreJobs", "ListScanJobs"]


def job_session() -> boto3.Session:
    """A session whose botocore parses timestamps as the job's management session does."""
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=aws.parse_api_timestamp)
    return boto3.Session(botocore_session=core, region_name="us-east-1")


def emulator_client(emulator):
    """A client of the AWS Backup emulator alone (no moto needed), timestamps parsed as the job's."""
    return job_session().client("backup", endpoint_url=emulator.url)


def exact(value):
    """``value`` with its types spelled out (a datetime's time zone included), dict keys sorted."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [exact(v) for v in value]
    return (type(value).__name__, repr(value))


def without_metadata(page: dict) -> dict:
    return {k: v for k, v in page.items() if k != "ResponseMetadata"}


def counted_since(before: fastparse.PageCounts) -> fastparse.PageCounts:
    now = fastparse.page_counts()
    return fastparse.PageCounts(now.fast - before.fast, now.fallback - before.fallback)


def test_the_fast_parser_gives_botocores_result_on_every_field_the_emulator_produces(emulator):
    emulator.reset()
    emulator.generate(OrgSpec(accounts=default_accounts(3), regions=("us-east-1",), first_day=DAY, days=1,
                              backup_jobs_per_day=120, copy_jobs_per_day=60, restore_jobs_per_day=60, seed=5))
    botocores, fast = emulator_client(emulator), emulator_client(emulator)
    parser = fastparse.install(fast, LISTINGS)
    bodies = []
    botocores.meta.events.register("before-parse.backup", lambda response_dict, **_: bodies.append(response_dict["body"]))
    before, pages = fastparse.page_counts(), 0
    for table in schema.JOB_TABLES:
        name = botocores.meta.method_to_api_mapping[table.operation]
        fields, timestamps = set(), set()
        listings = [c.get_paginator(table.operation).paginate(ByAccountId="*", PaginationConfig={"PageSize": 25})
                    for c in (botocores, fast)]
        for page, fast_page in zip(*listings):
            raw = bodies.pop()
            expected = exact(without_metadata(page))
            assert exact(without_metadata(fast_page)) == expected, name  # through the client's hook
            assert exact(parser.parse(name, raw)) == expected, name
            # the emulator writes no null: the converter for pages that may hold one gives the same
            assert raw.rstrip().endswith(b"}")
            assert exact(parser.parse(name, raw.rstrip()[:-1] + b', "NotModelled": "null"}')) == expected, name
            pages += 1
            items = json.loads(raw)[table.result_key]
            fields.update(k for item in items for k in item)
            timestamps.update(k for item in page[table.result_key] for k, v in item.items()
                              if isinstance(v, dt.datetime))
        assert len(fields) > 15 and {"CreationDate", "CompletionDate"} <= timestamps, (name, fields, timestamps)
    assert pages >= 10
    assert counted_since(before) == (3 * pages, 0)


def botocore_parse(client, operation: str, body: bytes) -> dict:
    """What botocore's rest-json parser makes of a successful ``operation`` response ``body``."""
    factory = botocore.parsers.ResponseParserFactory()
    factory.set_parser_defaults(timestamp_parser=aws.parse_api_timestamp)
    output = client.meta.service_model.operation_model(operation).output_shape
    parsed = factory.create_parser("rest-json").parse({"status_code": 200, "headers": {}, "body": body}, output)
    del parsed["ResponseMetadata"]
    return parsed


def offline_client():
    return boto3.Session(region_name="us-east-1").client("backup", aws_access_key_id="x", aws_secret_access_key="y")


def offline_parser(operations=tuple(LISTINGS)):
    client = offline_client()
    return client, fastparse.FastPageParser(client.meta.service_model, list(operations))


def test_the_fast_parser_drops_unknown_and_null_members_and_converts_types_like_botocore():
    client, fast = offline_parser()
    job = {"BackupJobId": "b-1", "CreationDate": 1795651200.123, "CompletionDate": "2026-11-26T01:02:03.5Z",
           "NotModelled": "x", "BackupSizeInBytes": 5.0, "BytesTransferred": "7", "IsEncrypted": "true",
           "IsParent": 1, "CreatedBy": {"BackupPlanId": "p", "Other": 1}, "BackupOptions": {"WindowsVSS": "enabled"},
           "RecoveryPointLifecycle": {"DeleteAfterDays": "30", "OptInToArchiveForSupportedResources": "false",
                                      "Other": 2}}
    with_nulls = {**job, "State": None, "CreatedBy": {"BackupPlanId": "p", "Other": 1, "BackupRuleId": None},
                  "BackupOptions": {"WindowsVSS": None}, "RecoveryPointLifecycle": {"DeleteAfterDays": None}}
    pages = [
        {"BackupJobs": [with_nulls, None,
                        {"BackupJobId": "b-3", "CreatedBy": {"BackupPlanId": "p", "BackupRuleId": None}}],
         "NextToken": None, "Unknown": [1]},
        {"BackupJobs": [job, {"BackupJobId": "b-2", "CreatedBy": {"BackupPlanId": "p"}}], "Unknown": [1]},
        # "null" in a string only: converted as a page that may hold nulls, with the same result
        {"BackupJobs": [{**job, "StatusMessage": "null"}, {"BackupJobId": "b-2", "IsParent": False}]},
        {"BackupJobs": []},
    ]
    before = fastparse.page_counts()
    for page in pages:
        body = json.dumps(page).encode()
        expected = botocore_parse(client, "ListBackupJobs", body)
        assert exact(fast.parse("ListBackupJobs", body)) == exact(expected), page
    expected = botocore_parse(client, "ListBackupJobs", json.dumps(pages[0]).encode())
    assert expected["BackupJobs"][0]["IsParent"] is False and expected["BackupJobs"][1] is None
    copies = {"CopyJobs": [{"CopyJobId": "c-1", "ChildJobsInState": {"CREATED": 2, "FAILED": "1"},
                            "NumberOfChildJobs": 3,
                            "DestinationRecoveryPointLifecycle": {"MoveToColdStorageAfterDays": 7.0}}]}
    body = json.dumps(copies).encode()
    assert exact(fast.parse("ListCopyJobs", body)) == exact(botocore_parse(client, "ListCopyJobs", body))
    assert counted_since(before) == (len(pages) + 1, 0)


def test_the_fast_parser_gives_botocores_timestamps():
    """Epoch seconds however precise (half microseconds to even), before 1970 or late, in strings too."""
    client, fast = offline_parser(["ListBackupJobs"])
    halves = [0.0000005, 0.0000015, 0.0000025, -0.0000005]  # x.5 microseconds exactly, once in microseconds
    stamps = halves + [1795651200, 1795651200.0, 1795651200.123, 1795651200.0000005, 1795651200.9999995, 0,
                       -1.5, -86400.25, 4102444800.000001, 253402300799, True, "1795651200",
                       "2026-11-26T01:02:03.5Z", "2026-11-26T02:02:03+01:00"]
    body = json.dumps({"BackupJobs": [{"BackupJobId": str(i), "CreationDate": stamp, "StartBy": stamp}
                                      for i, stamp in enumerate(stamps)]}).encode()
    expected = botocore_parse(client, "ListBackupJobs", body)
    before = fastparse.page_counts()
    assert exact(fast.parse("ListBackupJobs", body)) == exact(expected)
    assert counted_since(before) == (1, 0)
    assert {type(job["CreationDate"].tzinfo) for job in expected["BackupJobs"]} == {dt.timezone}
    assert [job["CreationDate"].microsecond for job in expected["BackupJobs"][:4]] == [0, 2, 2, 0]  # to even


def _sample(shape, variant: int, depth: int = 0):
    """A JSON value of ``shape`` holding every member: native types (variant 0), types botocore
    converts (1), every other member null (2)."""
    kind = shape.type_name
    if kind == "structure":
        value = {"NotModelled": {"x": 1}} if variant else {}
        for i, (name, member) in enumerate(sorted(shape.members.items())):
            value[name] = None if variant == 2 and depth and (i + depth) % 2 else _sample(member, variant, depth + 1)
        return value
    if kind == "list":
        return [_sample(shape.member, variant, depth + 1), _sample(shape.member, variant, depth + 2),
                _sample(shape.member, 0, depth + 1)]
    if kind == "map":
        return {"k": _sample(shape.value, variant, depth + 1), "l": _sample(shape.value, 0, depth + 1)}
    converted = variant == 1
    return {"string": "s\nnull", "timestamp": "2026-11-26T01:02:03.5Z" if converted else 1795651200.25 + depth,
            "integer": "7" if converted else 7, "long": 8.0 if converted else 2 ** 40,
            "float": 2 if converted else 1.5, "double": "2.5" if converted else 2.5,
            "boolean": "true" if converted else False}[kind]


def test_every_structure_of_the_listings_converts_as_botocore_does():
    client, fast = offline_parser()
    before = fastparse.page_counts()
    for name in LISTINGS:
        output = client.meta.service_model.operation_model(name).output_shape
        for variant in (0, 1, 2):
            body = json.dumps(_sample(output, variant)).encode()
            expected = botocore_parse(client, name, body)
            assert exact(fast.parse(name, body)) == exact(expected), (name, variant)
            assert len(str(expected)) > 1000  # every member of the jobs was there
    assert counted_since(before) == (3 * len(LISTINGS), 0)


def test_what_botocore_fails_on_or_decodes_otherwise_is_left_to_it():
    client, fast = offline_parser(["ListBackupJobs", "ListCopyJobs"])
    left = [("ListBackupJobs", b'{"BackupJobs": {"not": "a list"}}'),
            ("ListBackupJobs", b"not json"),
            ("ListBackupJobs", b'{"BackupJobs": [{"CreatedBy": "not an object"}]}'),
            ("ListBackupJobs", b'{"BackupJobs": [{"CreationDate": [1]}]}'),
            ("ListBackupJobs", b'{"BackupJobs": [{"BackupOptions": ["a list"]}]}'),
            ("ListBackupJobs", b'{"BackupJobs": [{"RecoveryPointLifecycle": [1]}]}'),
            ("ListBackupJobs", b'{"BackupJobs": [{"BytesTransferred": [1]}], "x": null}'),
            ("ListBackupJobs", b'{"BackupJobs": [{"CreationDate": 1e300}]}'),
            ("ListBackupJobs", b'\xef\xbb\xbf{"BackupJobs": []}'),  # botocore: no members
            ("ListCopyJobs", b'{"CopyJobs": [{"ChildJobsInState": {"CREATED": null}}]}'),  # botocore: int(None)
            # integers beyond 64 bits (orjson decodes them as floats; json, and so botocore, exactly)
            ("ListBackupJobs", b'{"BackupJobs": [{"BackupSizeInBytes": 123456789012345678901234567890}]}'),
            ("ListBackupJobs", b'{"BackupJobs": [{"RecoveryPointLifecycle": {"DeleteAfterDays": -9223372036854775809}}]}'),
            ("ListCopyJobs", b'{"CopyJobs": [{"ChildJobsInState": {"CREATED": 18446744073709551616}}]}')]
    before = fastparse.page_counts()
    for operation, body in left:
        assert fast.parse(operation, body) is None, body
    assert counted_since(before) == (0, len(left))
    assert botocore_parse(client, "ListBackupJobs", left[8][1]) == {}
    assert botocore_parse(client, "ListBackupJobs", left[10][1])["BackupJobs"][0]["BackupSizeInBytes"] == \
        123456789012345678901234567890


def test_integers_up_to_64_bits_are_parsed_fast_and_exactly():
    client, fast = offline_parser(["ListBackupJobs"])
    body = (b'{"BackupJobs": [{"BackupSizeInBytes": 18446744073709551615, "BytesTransferred": -9223372036854775808,'
            b' "RecoveryPointLifecycle": {"DeleteAfterDays": 9223372036854775807}}]}')
    before = fastparse.page_counts()
    assert exact(fast.parse("ListBackupJobs", body)) == exact(botocore_parse(client, "ListBackupJobs", body))
    assert counted_since(before) == (1, 0)


def test_an_installed_client_counts_its_fast_and_fallback_pages_and_warns_once_per_operation(emulator, caplog):
    """A restore job's size beyond 64 bits sends its page to botocore (no other test makes a
    ListRestoreJobs page fall back, so its warning is this test's)."""
    emulator.reset()
    huge = 2 ** 70
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", "b-1", MEMBER, "2026-11-26T12:00:00", "COMPLETED", BackupSizeInBytes=7)])
    emulator.load_jobs("restore", "us-east-1", [
        api_job("restore", "huge", MEMBER, "2026-11-26T12:00:00", "COMPLETED", BackupSizeInBytes=huge)])
    client = emulator_client(emulator)
    fastparse.install(client, LISTINGS)
    before = fastparse.page_counts()
    with caplog.at_level(logging.WARNING, logger="backup_report.fastparse"):
        for _ in range(2):
            assert client.list_backup_jobs(ByAccountId="*")["BackupJobs"][0]["BackupSizeInBytes"] == 7
            assert client.list_restore_jobs(ByAccountId="*")["RestoreJobs"][0]["BackupSizeInBytes"] == huge
    assert counted_since(before) == (2, 2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ListRestoreJobs" in warnings[0], warnings


def test_an_operation_without_a_converter_is_logged_and_its_pages_count_as_fallbacks(caplog):
    client = offline_client()
    with caplog.at_level(logging.DEBUG, logger="backup_report.fastparse"):
        fast = fastparse.FastPageParser(client.meta.service_model, ["TagResource"])  # no JSON body to convert
    assert any(r.levelno == logging.DEBUG and "TagResource" in r.getMessage() for r in caplog.records)
    before = fastparse.page_counts()
    assert fast.parse("TagResource", b"{}") is None
    assert fast.parse("ListProtectedResources", b"{}") is None  # not one of its operations
    assert counted_since(before) == (0, 2)


def test_a_forked_process_counts_its_own_pages_from_zero():
    _, fast = offline_parser(["ListBackupJobs"])
    assert fast.parse("ListBackupJobs", b'{"BackupJobs": []}') == {"BackupJobs": []}
    assert fastparse.page_counts().fast >= 1
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(fastparse.page_counts) == (0, 0)
