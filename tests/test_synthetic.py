"""The synthetic organisation: determinism, the API's exact shape, and the coverage every day carries."""
from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List

import botocore.session
import pytest

from backup_report.local import synthetic as s

MODEL = botocore.session.get_session().get_service_model("backup")
ITEM_SHAPES = {t: MODEL.operation_model(s.OPERATION[t]).output_shape.members[s.RESULT_KEY[t]].member
               for t in s.JOB_TYPES}
GIB4 = 4 * 2**30
#: The job types before scan jobs: their generated jobs keep their fingerprints.
OLD_TYPES = ("backup", "copy", "restore")


def small(**kw: Any) -> s.OrgSpec:
    values = dict(accounts=s.default_accounts(5), regions=["eu-west-1"], first_day=date(2026, 11, 26), days=1,
                  backup_jobs_per_day=50, copy_jobs_per_day=50, restore_jobs_per_day=50, seed=11)
    values.update(kw)
    return s.OrgSpec(**values)


def dump(data: Dict[Any, Any]) -> str:
    """Byte-exact text of a generate() result (tuple keys as text)."""
    return json.dumps({"/".join(k): v for k, v in data.items()}, sort_keys=True, ensure_ascii=False)


def check_shape(value: Any, shape: Any, where: str) -> None:
    """``value`` is what the service would send for ``shape`` (JSON types, epoch timestamps)."""
    t = shape.type_name
    if t == "structure":
        assert isinstance(value, dict), where
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{where}: not in the API's shape: {unknown}"
        for name, v in value.items():
            check_shape(v, shape.members[name], f"{where}.{name}")
    elif t == "map":
        assert isinstance(value, dict) and value, where
        for k, v in value.items():
            check_shape(k, shape.key, f"{where} key")
            check_shape(v, shape.value, f"{where}[{k}]")
    elif t == "string":
        assert isinstance(value, str), where
        if shape.enum:
            assert value in shape.enum, f"{where}: {value!r} not in {shape.enum}"
    elif t in ("long", "integer"):
        assert isinstance(value, int) and not isinstance(value, bool) and value >= 0, where
    elif t == "boolean":
        assert isinstance(value, bool), where
    elif t == "timestamp":
        assert isinstance(value, float), where
        assert abs(value * 1000 - round(value * 1000)) < 1e-3, f"{where}: not whole milliseconds: {value!r}"
    else:  # pragma: no cover
        raise AssertionError(f"{where}: unexpected shape type {t}")


def day_bounds(day: date):
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()
    return start, start + 86400


# --------------------------------------------------------------------------- spec and accounts


def test_default_accounts_are_deterministic_unique_and_twelve_digits():
    accounts = s.default_accounts(25)
    assert accounts == s.default_accounts(25) and accounts[:5] == s.default_accounts(5)
    assert accounts[0] == ("123456789012", "management")
    assert len({a for a, _ in accounts}) == 25 and len({n for _, n in accounts}) == 25
    assert all(re.fullmatch(r"\d{12}", a) for a, _ in accounts)
    assert s.default_accounts(2, "111122223333")[0] == ("111122223333", "management")


def test_spec_json_round_trip_and_validation():
    spec = small(days=3, seed=42)
    again = s.OrgSpec.from_json(spec.to_json())
    assert again == spec and isinstance(again.first_day, date) and isinstance(again.accounts[0], tuple)
    assert s.OrgSpec.from_json(json.loads(spec.to_json())) == spec
    assert spec.total_jobs() == 3 * (50 + 50 + 50 + 20) and spec.total_jobs("copy") == 150
    with pytest.raises(ValueError):
        s.OrgSpec.from_json('{"acounts": []}')
    with pytest.raises(ValueError):
        small(backup_jobs_per_day=-1)
    with pytest.raises(ValueError):
        small(regions=[])


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_jobs_other_seed_other_jobs():
    spec = small(regions=["us-east-1", "eu-west-1"], days=2)
    one, two = s.generate(spec), s.generate(small(regions=["us-east-1", "eu-west-1"], days=2))
    assert dump(one) == dump(two)
    other = s.generate(small(regions=["us-east-1", "eu-west-1"], days=2, seed=12))
    ids = {j["BackupJobId"] for j in one[("backup", "us-east-1")]}
    assert ids.isdisjoint({j["BackupJobId"] for j in other[("backup", "us-east-1")]})


def fingerprint(value: Any) -> str:
    """sha256 of the JSON text, keys in the generator's order (the emulator sends them so)."""
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, default=str).encode()).hexdigest()


def test_a_seed_gives_the_same_bytes_release_after_release():
    """Fingerprints of fixed seeds: the demo's story, the tests' expectations and the benchmark's
    volumes stand on them; a change here changes every generated organisation."""
    utc = timezone.utc
    coverage = s.OrgSpec(accounts=s.default_accounts(5), regions=["us-east-1", "eu-west-1"],
                         first_day=date(2026, 11, 26), days=1, backup_jobs_per_day=120, copy_jobs_per_day=60,
                         restore_jobs_per_day=60, seed=11, now=datetime(2026, 11, 26, 18, 0, tzinfo=utc))
    jobs = s.generate(coverage, OLD_TYPES)
    accounts = s.default_accounts(12)
    story = s.OrgSpec(accounts=accounts, regions=["us-east-1", "eu-west-1", "ap-southeast-2"],
                      first_day=date(2026, 11, 17), days=10, seed=7, story=True, backup_jobs_per_day=60,
                      copy_jobs_per_day=24, restore_jobs_per_day=20, incident=(accounts[5][0], date(2026, 11, 21), 2),
                      now=datetime(2026, 11, 26, 23, 59, tzinfo=utc))
    told = s.generate(story, OLD_TYPES)
    inv = s.inventory(story, told)
    keyed = lambda data: {"/".join(k): v for k, v in data.items()}  # noqa: E731
    assert {
        "plain": fingerprint(keyed(s.generate(s.OrgSpec(days=2), OLD_TYPES))),
        "coverage": fingerprint(keyed(jobs)),
        "settled": fingerprint(keyed(s.settle(jobs, seed=3))),
        "story": fingerprint(keyed(told)),
        "inventory": fingerprint([inv.items, keyed(inv.jobs), inv.never, inv.stopped, inv.not_protectable,
                                  inv.types]),
    } == {
        "plain": "51b79e623bc1af1e9d498383a5d9ab6320f5feff1a88095a252213f8a510dfe0",
        "coverage": "96f435a2570a7fc71a8472217c034e4780029b4c4a67bc105cccc8123ada78d5",
        "settled": "5892cab2c6fa38db7390d8872fa895b77ff8cd519697f820e074eed7c7302617",
        "story": "dac6c7578654791b93a8d48bae4c7eb1117625f35cee0d4c1739ae9bedec31c7",
        "inventory": "7c34dc7ff94e2e4afc77eaa89d476de46967fdc491a24dc48507c711ad85399e",
    }
    # scans came later: the other job types above did not move
    assert {"coverage": fingerprint(keyed(s.generate(coverage, ["scan"]))),
            "story": fingerprint(keyed(s.generate(story, ["scan"])))} == {
        "coverage": "d8fd7ce71886ee843231accb7cf25b611f6decf72997627f3afe60bbb9c17f55",
        "story": "44cbfc1991d12633b601e56a28c5819b28acb3d90b511c9a60f7bb8749671267"}


def test_streaming_matches_generate_and_a_day_stands_alone():
    spec = small(regions=["us-east-1", "ap-southeast-2"], days=3, backup_jobs_per_day=70)
    full = s.generate(spec)
    streamed: Dict[Any, List[Dict[str, Any]]] = {}
    for job_type, region, _day, jobs in s.iter_chunks(spec):
        streamed.setdefault((job_type, region), []).extend(jobs)
    assert streamed == full
    assert set(full) == {(t, r) for t in s.JOB_TYPES for r in spec.regions}
    day3 = list(s.iter_jobs(spec, "copy", "ap-southeast-2", date(2026, 11, 28)))
    assert day3 == full[("copy", "ap-southeast-2")][100:150]
    # a job does not depend on how many days the spec has
    assert list(s.iter_jobs(small(days=1), "backup", "eu-west-1", date(2026, 11, 26))) == \
        s.generate(small(days=5))[("backup", "eu-west-1")][:50]


def test_job_ids_are_unique_across_days_and_regions():
    spec = small(regions=["us-east-1", "eu-west-1"], days=4, backup_jobs_per_day=200)
    for job_type, id_field in s.ID_FIELD.items():
        ids = [j[id_field] for (t, _r), jobs in s.generate(spec).items() if t == job_type for j in jobs]
        assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[0-9A-F-]{36}", i) for i in ids)


# --------------------------------------------------------------------------- shape


def test_every_job_has_exactly_the_api_shape():
    spec = small(regions=["us-east-1", "eu-west-1"], days=2, backup_jobs_per_day=120)
    for (job_type, region), jobs in s.generate(spec).items():
        for job in jobs:
            check_shape(job, ITEM_SHAPES[job_type], f"{job_type}:{job[s.ID_FIELD[job_type]]}")
            assert job["AccountId"] in spec.account_ids
            for value in (job.get("BackupVaultArn"), job.get("SourceBackupVaultArn")):
                if value:
                    assert value.startswith(f"arn:aws:backup:{region}:{job['AccountId']}:backup-vault:")


def test_timestamps_fall_in_their_day_and_make_sense():
    spec = small(days=2)
    for (job_type, _region), jobs in s.generate(spec).items():
        status = s.STATUS_FIELD[job_type]
        for k, job in enumerate(jobs):
            start, end = day_bounds(spec.first_day + timedelta(days=k // spec.jobs_per_day(job_type)))
            assert start <= job["CreationDate"] < end
            if job[status] in s.FINAL_STATES[job_type]:
                assert job["CompletionDate"] > job["CreationDate"]
            else:
                assert "CompletionDate" not in job


# --------------------------------------------------------------------------- coverage


def coverage_problems(job_type: str, jobs: List[Dict[str, Any]], spec: s.OrgSpec, region: str, day: date) -> List[str]:
    """What one (type, region, day) with >= 50 jobs lacks of the promised coverage."""
    problems = _common_problems(job_type, jobs, spec, day) + _message_problems(jobs)
    if job_type == "scan":
        return problems + _scan_problems(jobs, day)
    problems += _size_and_parent_problems(job_type, jobs)
    if job_type in ("backup", "copy"):
        status = s.STATUS_FIELD[job_type]
        if not any(j[status] == "COMPLETED" and j.get("MessageCategory") not in (None, "SUCCESS") for j in jobs):
            problems.append("completed with issues")
        if not any(j[status] == "COMPLETED" and j.get("MessageCategory") == "SUCCESS" for j in jobs):
            problems.append("clean completion")
    specific = {"backup": _backup_problems, "copy": _copy_problems, "restore": _restore_problems}[job_type]
    return problems + specific(jobs, region)


def _common_problems(job_type: str, jobs: List[Dict[str, Any]], spec: s.OrgSpec, day: date) -> List[str]:
    problems = []
    status = s.STATUS_FIELD[job_type]
    missing = set(s.STATES[job_type]) - {j[status] for j in jobs}
    if missing:
        problems.append(f"states {missing}")
    start, _end = day_bounds(day)
    created = {j["CreationDate"] for j in jobs}
    if start + 0.5 not in created or start + 86399.5 not in created:
        problems.append("00:00:00.500 / 23:59:59.500")
    if not any(j[status] in ("RUNNING",) and "CompletionDate" not in j for j in jobs):
        problems.append("running without CompletionDate")
    if set(spec.account_ids) - {j["AccountId"] for j in jobs}:
        problems.append("every account")
    return problems


def _size_and_parent_problems(job_type: str, jobs: List[Dict[str, Any]]) -> List[str]:
    problems = []
    id_field = s.ID_FIELD[job_type]
    if not any(j.get("BackupSizeInBytes", 0) > GIB4 for j in jobs):
        problems.append("size > 4 GiB")
    parents = {j[id_field] for j in jobs if j.get("IsParent")}
    children = [j for j in jobs if j.get("ParentJobId")]
    if not parents or not children or not all(c["ParentJobId"] in parents for c in children):
        problems.append("parent/child jobs")
    return problems


def _scan_problems(jobs: List[Dict[str, Any]], day: date) -> List[str]:
    problems = []
    threats = {j["State"] for j in jobs if j.get("ScanResult", {}).get("ScanResultStatus") == "THREATS_FOUND"}
    if {"COMPLETED", "COMPLETED_WITH_ISSUES"} - threats:
        problems.append(f"threats found in {threats}")
    modes = {j["ScanMode"] for j in jobs}
    if modes != {"FULL_SCAN", "INCREMENTAL_SCAN"}:
        problems.append(f"scan modes {modes}")
    if any(("ScanBaseRecoveryPointArn" in j) != (j["ScanMode"] == "INCREMENTAL_SCAN") for j in jobs):
        problems.append("incremental scans and their base")
    if not any(j.get("CompletionDate", 0) >= day_bounds(day)[1] for j in jobs):
        problems.append("completed the next day")
    if {j["ResourceType"] for j in jobs} != {"EBS", "EC2", "S3"}:
        problems.append("resource types")
    return problems


def _message_problems(jobs: List[Dict[str, Any]]) -> List[str]:
    problems = []
    messages = [m for j in jobs for m in (j.get("StatusMessage"), j.get("ValidationStatusMessage"),
                                          j.get("DeletionStatusMessage")) if m]
    text = "\n".join(messages)
    for needle, what in ((",", "comma"), ('"', "double quote"), ("\\n", "literal \\n"), ("\\", "backslash"),
                         ("\t", "tab"), ("\r\n", "CRLF"), ("Sauvegarde échouée — 数据库", "non-ASCII")):
        if needle not in text:
            problems.append(what)
    if not any("\n" in m and "\r\n" not in m for m in messages):
        problems.append("bare LF")
    if not any(re.search(r"[ \t]{2,}\n|\n[ \t]{2,}", m) for m in messages):
        problems.append("whitespace run with a line break")
    return problems


def _backup_problems(jobs: List[Dict[str, Any]], _region: str) -> List[str]:
    problems = []
    if not any(j.get("BackupOptions") == {"WindowsVSS": "enabled"} and j.get("BackupType") == "WindowsVSS"
               for j in jobs):
        problems.append("BackupOptions")
    if not any(j.get("RecoveryPointLifecycle", {}).get("DeleteAfterDays") for j in jobs):
        problems.append("RecoveryPointLifecycle")
    failing = [j for j in jobs if s.FAILING_RESOURCE_MARKER in j["ResourceName"]]
    if not failing or any(j["State"] != "FAILED" for j in failing):
        problems.append("always-failing resources")
    types = {j["ResourceType"] for j in jobs}
    if not {"EBS", "EC2", "Aurora", "CloudFormation"} <= types:
        problems.append(f"resource types {types}")
    return problems


def _copy_problems(jobs: List[Dict[str, Any]], region: str) -> List[str]:
    problems = []
    if not any(j.get("ChildJobsInState") and j.get("NumberOfChildJobs") for j in jobs):
        problems.append("ChildJobsInState")
    destinations = [j["DestinationBackupVaultArn"].split(":") for j in jobs]
    if not any(arn[3] != region for arn in destinations):
        problems.append("cross-region copy")
    if not any(arn[4] != j["AccountId"] for arn, j in zip(destinations, jobs)):
        problems.append("cross-account copy")
    return problems


def _restore_problems(jobs: List[Dict[str, Any]], _region: str) -> List[str]:
    problems = []
    tests = [j for j in jobs if j.get("CreatedBy", {}).get("RestoreTestingPlanArn")]
    if not tests:
        problems.append("restore testing")
    if {"SUCCESSFUL", "FAILED", "TIMED_OUT"} - {j.get("ValidationStatus") for j in tests}:
        problems.append("validation statuses")
    if not any(j.get("DeletionStatus") for j in tests):
        problems.append("DeletionStatus")
    return problems


@pytest.mark.parametrize("seed, accounts, per_day", [(0, 5, 50), (11, 3, 50), (99, 1, 64), (7, 8, 500)])
def test_every_day_and_region_with_fifty_jobs_has_the_full_coverage(seed, accounts, per_day):
    spec = small(seed=seed, accounts=s.default_accounts(accounts), regions=["us-east-1", "ap-southeast-2"],
                 days=2, backup_jobs_per_day=per_day, copy_jobs_per_day=per_day, restore_jobs_per_day=per_day,
                 scan_jobs_per_day=per_day)
    if accounts > 5:  # more accounts than coverage slots per account: spread is over the random jobs
        spec.accounts = spec.accounts[:8]
    for job_type, region, day, jobs in s.iter_chunks(spec):
        assert len(jobs) == per_day
        assert coverage_problems(job_type, jobs, spec, region, day) == [], (job_type, region, day)


def test_coverage_check_catches_a_poor_dataset():
    spec = small()
    jobs = [j for j in s.generate(spec)[("backup", "eu-west-1")] if j["State"] == "COMPLETED"]
    problems = coverage_problems("backup", jobs, spec, "eu-west-1", spec.first_day)
    assert any(p.startswith("states") for p in problems) and "double quote" in problems
    assert "parent/child jobs" in coverage_problems("backup", [j for j in jobs if not j.get("ParentJobId")], spec,
                                                    "eu-west-1", spec.first_day)


def test_resources_that_only_ever_fail_and_resources_that_succeed():
    spec = small(days=6, backup_jobs_per_day=300)
    jobs = s.generate(spec)[("backup", "eu-west-1")]
    by_resource: Dict[str, Counter] = {}
    for job in jobs:
        by_resource.setdefault(job["ResourceArn"], Counter())[job["State"]] += 1
    failing = {arn for arn, c in by_resource.items() if set(c) == {"FAILED"} and sum(c.values()) >= 6}
    named = {j["ResourceArn"] for j in jobs if s.FAILING_RESOURCE_MARKER in j["ResourceName"]}
    assert named and named <= failing
    assert sum(1 for c in by_resource.values() if c["COMPLETED"]) > 20


def test_copies_link_to_the_backups_they_copy():
    spec = small(regions=["us-east-1"], backup_jobs_per_day=200, copy_jobs_per_day=80)
    data = s.generate(spec)
    backups = {j["BackupJobId"]: j for j in data[("backup", "us-east-1")]}
    linked = [c for c in data[("copy", "us-east-1")] if c["CreatedByBackupJobId"] in backups]
    assert len(linked) > 40
    for copy_job in linked:
        source = backups[copy_job["CreatedByBackupJobId"]]
        assert source["State"] == "COMPLETED"
        assert copy_job["SourceRecoveryPointArn"] == source["RecoveryPointArn"]
        assert copy_job["ResourceArn"] == source["ResourceArn"] and copy_job["AccountId"] == source["AccountId"]
        assert copy_job["CreationDate"] > source["CompletionDate"]


def test_parent_copy_counts_its_children():
    jobs = s.generate(small())[("copy", "eu-west-1")]
    for parent in [j for j in jobs if j["IsParent"]]:
        children = [j for j in jobs if j.get("ParentJobId") == parent["CopyJobId"]]
        assert parent["NumberOfChildJobs"] == len(children) > 0
        assert parent["ChildJobsInState"] == dict(Counter(c["State"] for c in children))
        assert all(c["AccountId"] == parent["AccountId"] for c in children)


def test_arns_are_realistic():
    jobs = s.generate(small(backup_jobs_per_day=300))[("backup", "eu-west-1")]
    patterns = {
        "EC2": r"arn:aws:ec2:eu-west-1:\d{12}:instance/i-[0-9a-f]{17}",
        "EBS": r"arn:aws:ec2:eu-west-1:\d{12}:volume/vol-[0-9a-f]{17}",
        "RDS": r"arn:aws:rds:eu-west-1:\d{12}:db:[a-z0-9-]+",
        "Aurora": r"arn:aws:rds:eu-west-1:\d{12}:cluster:[a-z0-9-]+",
        "DynamoDB": r"arn:aws:dynamodb:eu-west-1:\d{12}:table/\w+",
        "EFS": r"arn:aws:elasticfilesystem:eu-west-1:\d{12}:file-system/fs-[0-9a-f]{8}",
        "S3": r"arn:aws:s3:::[a-z0-9.-]+",
        "CloudFormation": r"arn:aws:cloudformation:eu-west-1:\d{12}:stack/[\w-]+/[0-9a-f-]{36}",
    }
    seen = set()
    for job in jobs:
        pattern = patterns.get(job["ResourceType"])
        if pattern:
            assert re.fullmatch(pattern, job["ResourceArn"]), job["ResourceArn"]
            seen.add(job["ResourceType"])
        if job["ResourceType"] == "EBS" and "RecoveryPointArn" in job:
            assert re.fullmatch(r"arn:aws:ec2:eu-west-1::snapshot/snap-[0-9a-f]{17}", job["RecoveryPointArn"])
        assert job["IamRoleArn"] == f"arn:aws:iam::{job['AccountId']}:role/service-role/AWSBackupDefaultServiceRole"
    assert seen == set(patterns)


# --------------------------------------------------------------------------- settle


def test_settle_moves_every_open_job_to_a_final_state_deterministically():
    data = s.generate(small(days=2))
    snapshot = dump(data)
    settled = s.settle(data, seed=3)
    assert dump(data) == snapshot  # input untouched
    assert settled == s.settle(data, seed=3) and settled != s.settle(data, seed=4)
    moved = 0
    for key, jobs in data.items():
        job_type = key[0]
        status = s.STATUS_FIELD[job_type]
        for before, after in zip(jobs, settled[key]):
            assert after[status] in s.FINAL_STATES[job_type]
            assert after[s.ID_FIELD[job_type]] == before[s.ID_FIELD[job_type]]
            assert after["CreationDate"] == before["CreationDate"]
            if before[status] in s.FINAL_STATES[job_type]:
                assert after == before
            else:
                moved += 1
                assert after["CompletionDate"] > after["CreationDate"]
                assert "ExpectedCompletionDate" not in after
                if before[status] == "ABORTING":
                    assert after[status] == "ABORTED"
                check_shape(after, ITEM_SHAPES[job_type], "settled")
    assert moved >= 2 * (4 + 2 + 2)  # per day: RUNNING/CREATED/PENDING/ABORTING backups, 2 copies, 2 restores
    as_list = s.settle(data[("backup", "eu-west-1")], seed=3)
    assert as_list == settled[("backup", "eu-west-1")]


def test_generation_is_fast():
    spec = small(backup_jobs_per_day=40_000, copy_jobs_per_day=0, restore_jobs_per_day=0)
    t0 = time.perf_counter()
    n = sum(len(jobs) for *_k, jobs in s.iter_chunks(spec, ["backup"]))
    elapsed = time.perf_counter() - t0
    assert n == 40_000
    assert elapsed < 8, f"{elapsed:.1f}s for 40k jobs: 1M would not be well under a minute"


def test_scans_scan_the_recovery_points_of_completed_backups():
    data = s.generate(small(regions=["us-east-1"], backup_jobs_per_day=200, scan_jobs_per_day=60))
    backups = {j["RecoveryPointArn"]: j for j in data[("backup", "us-east-1")] if j.get("RecoveryPointArn")}
    scans = data[("scan", "us-east-1")]
    linked = [x for x in scans if x["RecoveryPointArn"] in backups]
    assert len(linked) >= 40 and len(scans) - len(linked) <= len(s.COVERAGE_SCAN) + 4
    for scan in linked:
        source = backups[scan["RecoveryPointArn"]]
        assert source["State"] == "COMPLETED" and source["ResourceType"] in ("EBS", "EC2", "S3")
        assert (scan["ResourceArn"], scan["AccountId"], scan["BackupVaultArn"]) == (
            source["ResourceArn"], source["AccountId"], source["BackupVaultArn"])
        assert scan["CreationDate"] > source["CompletionDate"]
