"""Fetch: one day's jobs of the whole organisation in the fewest pages; the accounts' names."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
from collections import Counter

import boto3
import botocore.parsers
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from backup_report import aws, fetch, schema
from backup_report.fetch import account_names
from backup_report.local.synthetic import OrgSpec, default_accounts

from .builders import MANAGEMENT_ACCOUNT, UTC, api_job

DAY = dt.date(2026, 11, 26)
MEMBER = "210987654321"


def listed(day: dt.date = DAY, table: schema.Table = schema.BACKUP_JOBS):
    """The pages fetch.list_jobs yields for ``day`` in us-east-1, as lists of job ids."""
    client = fetch.backup_client(boto3.Session(), "us-east-1")
    id_field = table.columns[0].source
    return [[job[id_field] for job in page] for page in fetch.list_jobs(client, table, day)]


def test_a_report_day_is_the_utc_day_leap_day_included():
    assert fetch.day_bounds(dt.date(2028, 2, 29)) == (dt.datetime(2028, 2, 29, tzinfo=UTC),
                                                       dt.datetime(2028, 3, 1, tzinfo=UTC))


def test_a_day_holds_every_accounts_jobs_created_in_it_and_no_other(emulator, local_aws):
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", "before", MEMBER, "2026-11-25T23:59:59.500", "COMPLETED"),  # inside the margin
        api_job("backup", "first", MEMBER, "2026-11-26T00:00:00", "COMPLETED"),
        api_job("backup", "own", MANAGEMENT_ACCOUNT, "2026-11-26T12:00:00", "FAILED"),
        api_job("backup", "last", MEMBER, "2026-11-26T23:59:59.999", "RUNNING"),
        api_job("backup", "after", MEMBER, "2026-11-27T00:00:00", "COMPLETED"),
        api_job("backup", "later", MEMBER, "2026-11-27T00:00:00.500", "COMPLETED"),
    ])
    emulator.load_jobs("backup", "eu-west-1", [
        api_job("backup", "other-region", MEMBER, "2026-11-26T12:00:00", "COMPLETED")])
    assert sorted(job_id for page in listed() for job_id in page) == ["first", "last", "own"]
    emulator.load_jobs("copy", "us-east-1", [api_job("copy", "c-1", MEMBER, "2026-11-26T01:00:00", "FAILED")])
    assert listed(table=schema.COPY_JOBS) == [["c-1"]]


def test_a_day_is_listed_in_pages_of_a_thousand(emulator, local_aws):
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", [
        api_job("backup", f"b-{i:04d}", MEMBER, f"2026-11-26T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}",
                "COMPLETED") for i in range(2001)])
    emulator.reset_stats()
    assert [len(page) for page in listed()] == [1000, 1000, 1]
    assert emulator.stats()["requests"][("ListBackupJobs", "us-east-1")] == 3


def test_account_names_come_from_organizations(local_aws):
    org = boto3.client("organizations")
    try:
        org.create_organization(FeatureSet="ALL")
    except org.exceptions.AlreadyInOrganizationException:
        pass
    org.create_account(Email="fetch-names@example.com", AccountName="fetch, \"names\"")
    expected = {a["Id"]: a["Name"] for p in org.get_paginator("list_accounts").paginate() for a in p["Accounts"]}
    names = account_names(boto3.Session())
    assert names == expected and "fetch, \"names\"" in names.values() and names[MANAGEMENT_ACCOUNT]


def test_account_names_denied_gives_a_warning_and_no_names(caplog):
    session = boto3.Session(region_name="us-east-1")
    client = session.client("organizations")
    stub = Stubber(client)
    stub.add_client_error("list_accounts", "AccessDeniedException", "not allowed")
    session.client = lambda *a, **k: client
    with stub, caplog.at_level("WARNING"):
        assert account_names(session) == {}
    assert "organizations:ListAccounts" in caplog.text and "AccessDeniedException" in caplog.text


# --------------------------------------------------------------------------- parsing pages


def job_session() -> boto3.Session:
    """A session whose botocore parses timestamps as the job's management session does."""
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=aws.parse_api_timestamp)
    return boto3.Session(botocore_session=core, region_name="us-east-1")


def exact(value):
    """``value`` with its types spelled out (a datetime's time zone included), dict keys sorted."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [exact(v) for v in value]
    return (type(value).__name__, repr(value))


def test_the_fast_parser_gives_botocores_result_on_every_field_the_emulator_produces(emulator, local_aws):
    emulator.reset()
    emulator.generate(OrgSpec(accounts=default_accounts(3), regions=("us-east-1",), first_day=DAY, days=1,
                              backup_jobs_per_day=120, copy_jobs_per_day=60, restore_jobs_per_day=60, seed=5))
    client = fetch.backup_client(job_session(), "us-east-1", fast_parse=False)
    bodies = []
    client.meta.events.register("before-parse.backup", lambda response_dict, **_: bodies.append(response_dict["body"]))
    fast = fetch.FastPageParser(client.meta.service_model, ["ListBackupJobs", "ListCopyJobs", "ListRestoreJobs"])
    assert sorted(fast.converters) == ["ListBackupJobs", "ListCopyJobs", "ListRestoreJobs"]
    for table in schema.JOB_TABLES:
        name = client.meta.method_to_api_mapping[table.operation]
        fields, timestamps = set(), set()
        for page in client.get_paginator(table.operation).paginate(ByAccountId="*",
                                                                   PaginationConfig={"PageSize": 25}):
            raw = bodies.pop()
            expected = {k: v for k, v in page.items() if k != "ResponseMetadata"}
            assert exact(fast.parse(name, raw)) == exact(expected), name
            # the emulator writes no null: the converter for pages that hold one gives the same
            assert exact(fast.converters[name][0](json.loads(raw))) == exact(expected), name
            items = json.loads(raw)[table.result_key]
            fields.update(k for item in items for k in item)
            timestamps.update(k for item in expected[table.result_key] for k, v in item.items()
                              if isinstance(v, dt.datetime))
        assert len(fields) > 15 and {"CreationDate", "CompletionDate"} <= timestamps, (name, fields, timestamps)
    assert fast.fallback == 0


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


def test_the_fast_parser_drops_unknown_and_null_members_and_converts_types_like_botocore():
    client = offline_client()
    fast = fetch.FastPageParser(client.meta.service_model, ["ListBackupJobs", "ListCopyJobs"])
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
    assert fast.fallback == 0


def test_the_fast_parser_gives_botocores_timestamps():
    """Epoch seconds however precise (half microseconds to even), before 1970 or late, in strings too."""
    client = offline_client()
    fast = fetch.FastPageParser(client.meta.service_model, ["ListBackupJobs"])
    halves = [0.0000005, 0.0000015, 0.0000025, -0.0000005]  # x.5 microseconds exactly, once in microseconds
    stamps = halves + [1795651200, 1795651200.0, 1795651200.123, 1795651200.0000005, 1795651200.9999995, 0,
                       -1.5, -86400.25, 4102444800.000001, 253402300799, True, "1795651200",
                       "2026-11-26T01:02:03.5Z", "2026-11-26T02:02:03+01:00"]
    body = json.dumps({"BackupJobs": [{"BackupJobId": str(i), "CreationDate": stamp, "StartBy": stamp}
                                      for i, stamp in enumerate(stamps)]}).encode()
    expected = botocore_parse(client, "ListBackupJobs", body)
    assert exact(fast.parse("ListBackupJobs", body)) == exact(expected)
    assert {type(job["CreationDate"].tzinfo) for job in expected["BackupJobs"]} == {dt.timezone}
    assert [job["CreationDate"].microsecond for job in expected["BackupJobs"][:4]] == [0, 2, 2, 0]  # to even
    assert fast.fallback == 0


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
    client = offline_client()
    operations = [client.meta.method_to_api_mapping[t.operation] for t in schema.JOB_TABLES]
    fast = fetch.FastPageParser(client.meta.service_model, operations)
    for name in operations:
        output = client.meta.service_model.operation_model(name).output_shape
        for variant in (0, 1, 2):
            body = json.dumps(_sample(output, variant)).encode()
            expected = botocore_parse(client, name, body)
            assert exact(fast.parse(name, body)) == exact(expected), (name, variant)
            assert len(str(expected)) > 1000  # every member of the jobs was there
    assert fast.fallback == 0


def test_what_botocore_fails_on_or_decodes_otherwise_is_left_to_it():
    client = offline_client()
    fast = fetch.FastPageParser(client.meta.service_model, ["ListBackupJobs", "ListCopyJobs"])
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
    for operation, body in left:
        assert fast.parse(operation, body) is None, body
    assert fast.fallback == len(left)
    assert botocore_parse(client, "ListBackupJobs", left[8][1]) == {}
    assert botocore_parse(client, "ListBackupJobs", left[10][1])["BackupJobs"][0]["BackupSizeInBytes"] == \
        123456789012345678901234567890


def test_integers_up_to_64_bits_are_parsed_fast_and_exactly():
    client = offline_client()
    fast = fetch.FastPageParser(client.meta.service_model, ["ListBackupJobs"])
    body = (b'{"BackupJobs": [{"BackupSizeInBytes": 18446744073709551615, "BytesTransferred": -9223372036854775808,'
            b' "RecoveryPointLifecycle": {"DeleteAfterDays": 9223372036854775807}}]}')
    assert exact(fast.parse("ListBackupJobs", body)) == exact(botocore_parse(client, "ListBackupJobs", body))
    assert fast.fallback == 0
    assert fast.parse("ListProtectedResources", b"{}") is None


def test_errors_and_retries_stay_botocores(emulator, local_aws):
    emulator.reset()
    emulator.set_faults(throttle_next=2)
    client = fetch.backup_client(boto3.Session(), "us-east-1")
    assert client.list_backup_jobs(ByAccountId="*")["BackupJobs"] == []  # retried twice, then parsed here
    assert emulator.stats()["throttled"] == 2
    emulator.set_faults(denied_regions=["us-east-1"])
    with pytest.raises(ClientError) as denied:
        client.list_backup_jobs(ByAccountId="*")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    emulator.set_faults()


# --------------------------------------------------------------------------- windows and pace

def crowded_day(spread: int, cluster: int, ties: int, burst: int = 0):
    """Backup jobs on DAY: ``spread`` over the whole day and ``cluster`` within ten minutes at
    noon, ``ties`` of them at each instant (equal creation dates), from the day's first to its
    last millisecond, and ``burst`` more at 18:00 exactly; and two jobs just outside the day."""
    start, noon = dt.datetime(2026, 11, 26, tzinfo=UTC), dt.datetime(2026, 11, 26, 12, tzinfo=UTC)
    instants = [start + i * dt.timedelta(days=1) / (spread // ties) for i in range(spread // ties)]
    instants += [noon + i * dt.timedelta(minutes=10) / (cluster // ties) for i in range(cluster // ties)]
    instants.append(start + dt.timedelta(days=1) - dt.timedelta(milliseconds=1))
    jobs = [api_job("backup", f"b-{n:03d}-{k}", MEMBER, at.strftime("%Y-%m-%dT%H:%M:%S.%f"), "COMPLETED")
            for n, at in enumerate(instants) for k in range(ties)]
    jobs += [api_job("backup", f"burst-{k}", MEMBER, "2026-11-26T18:00:00", "COMPLETED") for k in range(burst)]
    outside = [api_job("backup", "x-before", MEMBER, "2026-11-25T23:59:59.999", "COMPLETED"),
               api_job("backup", "x-after", MEMBER, "2026-11-27T00:00:00", "COMPLETED")]
    return jobs, outside


def test_a_busy_day_is_listed_in_windows_and_every_job_comes_once(emulator, local_aws):
    jobs, outside = crowded_day(spread=700, cluster=1400, ties=7, burst=25)
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", jobs + outside)
    client = fetch.backup_client(boto3.Session(), "us-east-1", fetch.RateLimiter(rate=1000, burst=1000))
    emulator.reset_stats()
    listing = fetch.DayListing(client, schema.BACKUP_JOBS, DAY, max_windows=4, page_size=10)
    seen = Counter(job["BackupJobId"] for page in listing.pages() for job in page)
    assert set(seen) == {j["BackupJobId"] for j in jobs} and set(seen.values()) == {1}
    # the day was split, then the window holding the cluster was split again
    assert len(listing.splits) >= 2 and listing.windows == 1 + sum(n - 1 for n in listing.splits) > 4
    # each window ends with a partial page: a few calls more than the minimum, not many
    calls = emulator.stats()["requests"][("ListBackupJobs", "us-east-1")]
    assert len(jobs) / 10 <= calls <= len(jobs) / 10 + 1 + 2 * listing.windows


def test_windows_within_the_quota_and_throttled_beyond_it_still_list_every_job_once(emulator, local_aws):
    jobs, outside = crowded_day(spread=300, cluster=150, ties=3)
    emulator.reset()
    emulator.load_jobs("backup", "us-east-1", jobs + outside)
    emulator.set_faults(rate_limit_per_second=10)  # half what the client assumes
    limiter = fetch.RateLimiter(rate=20, burst=10)
    client = fetch.backup_client(boto3.Session(), "us-east-1", limiter)
    listing = fetch.DayListing(client, schema.BACKUP_JOBS, DAY, max_windows=6, page_size=10)
    seen = Counter(job["BackupJobId"] for page in listing.pages() for job in page)
    emulator.set_faults()
    assert set(seen) == {j["BackupJobId"] for j in jobs} and set(seen.values()) == {1}
    assert listing.windows > 1
    if emulator.stats()["throttled"]:  # told to slow down: it did
        assert limiter.current_rate < 20


def test_one_failing_window_fails_the_listing():
    class Windows:
        """Full pages for the day; one window of the split fails."""

        def __init__(self):
            self.calls = []

        def get_paginator(self, _operation):
            return self

        def paginate(self, ByCreatedAfter, ByCreatedBefore, **_params):
            self.calls.append((ByCreatedAfter, ByCreatedBefore))
            if len(self.calls) == 3:
                raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListBackupJobs")
            top = ByCreatedBefore - dt.timedelta(seconds=2)
            yield {"BackupJobs": [{"BackupJobId": f"{len(self.calls)}-{i}", "CreationDate":
                                   top - dt.timedelta(seconds=i)} for i in range(10)], "NextToken": "more"}
            yield {"BackupJobs": []}

    listing = fetch.DayListing(Windows(), schema.BACKUP_JOBS, DAY, max_windows=3, page_size=10)
    with pytest.raises(ClientError, match="AccessDenied"):
        list(listing.pages())


def test_the_rate_limiter_is_one_bucket_for_every_thread_and_process_sharing_it():
    context = multiprocessing.get_context()
    lock, state = context.Lock(), context.RawArray("d", 3)
    first = fetch.RateLimiter(rate=1, burst=2, lock=lock, state=state)
    second = fetch.RateLimiter(rate=1, burst=2, lock=lock, state=state)  # as in another process
    assert first.acquire() == 0 and second.acquire() == 0  # the burst
    assert first.acquire() > 0.5  # the bucket is empty for both: wait for a token
    second.throttled()
    assert first.current_rate == second.current_rate < 1
    with pytest.raises(ValueError):
        fetch.RateLimiter(rate=0)
