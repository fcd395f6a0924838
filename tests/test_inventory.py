"""The AWS Config inventory (``--CONFIG_AGGREGATOR``): the mapping Config type -> AWS Backup type
and ARN, the local Config emulator on the wire, and the job's ``resources`` snapshot (replaced by
a rerun, kept when the aggregator fails, recorded in ``report_runs``, absent when off)."""
from __future__ import annotations

import datetime as dt
import json
import re

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from backup_report import inventory, permissions, resource_types
from backup_report.local.athena import LocalAthena
from backup_report.local.emulator.config import Query
from backup_report.queries import find_query

from .builders import api_job, catalog_partitions, objects, read_rows

MEMBER = "210987654321"
AGGREGATOR = "org-aggregator"
NOW = "2026-11-26T23:00:00"
REGION = "us-east-1"


# --------------------------------------------------------------------------- the mapping

def test_every_mapped_type_is_one_aws_backup_documents():
    """The names AWS Backup's ListBackupJobs documents for ByResourceType (botocore's model)."""
    doc = botocore.session.get_session().get_service_model("backup").operation_model(
        "ListBackupJobs").input_shape.members["ByResourceType"].documentation
    documented = set(re.findall(r"<code>([^<]+)</code>", doc))
    mapped = {t.backup_type for t in resource_types.RESOURCE_TYPES} | {"DocumentDB", "Neptune", "RDS"}
    assert mapped <= documented
    assert set(resource_types.NOT_IN_CONFIG) <= documented
    assert len(resource_types.CONFIG_TYPES) == len(set(resource_types.CONFIG_TYPES))


@pytest.mark.parametrize("config_type, engine, expected", [
    ("AWS::RDS::DBCluster", "aurora", "Aurora"),
    ("AWS::RDS::DBCluster", "aurora-mysql", "Aurora"),
    ("AWS::RDS::DBCluster", "aurora-postgresql", "Aurora"),
    ("AWS::RDS::DBCluster", "docdb", "DocumentDB"),
    ("AWS::RDS::DBCluster", "neptune", "Neptune"),
    ("AWS::RDS::DBCluster", "postgres", "RDS"),  # a Multi-AZ DB cluster
    ("AWS::RDS::DBInstance", "postgres", "RDS"),
    ("AWS::RDS::DBInstance", "aurora-mysql", None),  # a cluster member: protected through its cluster
    ("AWS::RDS::DBInstance", "docdb", None),
    ("AWS::RDS::DBInstance", "neptune", None),
    ("AWS::EC2::Instance", None, "EC2"),
    ("AWS::EC2::Volume", None, "EBS"),
    ("AWS::S3::Bucket", None, "S3"),
    ("AWS::EC2::SecurityGroup", None, None),
])
def test_the_engine_rule_tells_clusters_apart(config_type, engine, expected):
    assert resource_types.backup_type(config_type, engine) == expected


A, R = "111122223333", "eu-west-1"
#: Per Config type: (resourceId, resourceName, the ARN AWS Backup reports for that resource).
ARNS = {
    "AWS::EC2::Instance": ("i-0abc1234def567890", None, f"arn:aws:ec2:{R}:{A}:instance/i-0abc1234def567890"),
    "AWS::EC2::Volume": ("vol-0abc1234def567890", None, f"arn:aws:ec2:{R}:{A}:volume/vol-0abc1234def567890"),
    "AWS::RDS::DBInstance": ("db-ABCDEFGHIJKLMNOPQRSTUVWXY0", "orders-db", f"arn:aws:rds:{R}:{A}:db:orders-db"),
    "AWS::RDS::DBCluster": ("cluster-ABCDEFGHIJKLMNOPQRSTU", "orders-aurora",
                            f"arn:aws:rds:{R}:{A}:cluster:orders-aurora"),
    "AWS::DynamoDB::Table": ("orders_table", "orders_table", f"arn:aws:dynamodb:{R}:{A}:table/orders_table"),
    "AWS::EFS::FileSystem": ("fs-0abc1234", None, f"arn:aws:elasticfilesystem:{R}:{A}:file-system/fs-0abc1234"),
    "AWS::S3::Bucket": ("orders-bucket", "orders-bucket", "arn:aws:s3:::orders-bucket"),
    "AWS::FSx::FileSystem": ("fs-0abc1234def567890", None, f"arn:aws:fsx:{R}:{A}:file-system/fs-0abc1234def567890"),
    "AWS::Redshift::Cluster": ("orders-dw", "orders-dw", f"arn:aws:redshift:{R}:{A}:cluster:orders-dw"),
    "AWS::CloudFormation::Stack": (f"arn:aws:cloudformation:{R}:{A}:stack/orders/0a1b2c3d-1111-2222-3333-444455556666",
                                   "orders", f"arn:aws:cloudformation:{R}:{A}:stack/orders/"
                                             "0a1b2c3d-1111-2222-3333-444455556666"),
    "AWS::EKS::Cluster": ("orders-eks", "orders-eks", f"arn:aws:eks:{R}:{A}:cluster/orders-eks"),
}


def test_every_mapped_type_has_an_arn_case():
    assert set(ARNS) == set(resource_types.CONFIG_TYPES)


@pytest.mark.parametrize("config_type", sorted(ARNS))
def test_resource_arn_is_the_arn_aws_backup_reports(config_type):
    resource_id, name, expected = ARNS[config_type]
    item = {"resourceType": config_type, "resourceId": resource_id, "accountId": A, "awsRegion": R}
    if name:
        item["resourceName"] = name
    assert resource_types.backup_arn(item) == expected  # built when Config gives no arn
    assert resource_types.backup_arn(dict(item, arn=expected)) == expected  # Config's own when it has it
    # an arn of another form (not AWS Backup's) is not taken as is
    assert resource_types.backup_arn(dict(item, arn=f"{expected}/odd:form!")) == expected
    china = dict(item, arn=expected.replace("arn:aws:", "arn:aws-cn:"))
    assert resource_types.backup_arn(china) == china["arn"]


def test_an_s3_bucket_arn_has_no_region_or_account():
    item = {"resourceType": "AWS::S3::Bucket", "resourceId": "logs", "resourceName": "logs", "accountId": A,
            "awsRegion": R}
    assert resource_types.backup_arn(item) == "arn:aws:s3:::logs"
    assert resource_types.backup_arn(item, default_partition="aws-us-gov") == "arn:aws-us-gov:s3:::logs"
    assert resource_types.backup_arn({"resourceType": "AWS::EC2::Volume", "accountId": A}) is None


def test_the_query_is_the_subset_the_emulator_evaluates():
    text = inventory.expression()
    assert text.startswith("SELECT resourceId, resourceName, resourceType, arn, accountId, awsRegion, tags, "
                           "configuration.engine WHERE resourceType IN ('AWS::EC2::Instance', ")
    parsed = Query(text)
    assert tuple(parsed.fields) == inventory.QUERY_FIELDS
    assert parsed.matches({"resourceType": "AWS::S3::Bucket"}) and not parsed.matches({"resourceType": "AWS::IAM::Role"})


def test_tags_become_one_json_object():
    assert inventory.tags_of({"tags": [{"key": "env", "value": "prod"}, {"key": "empty", "value": None}]}) == {
        "env": "prod", "empty": ""}
    assert inventory.tags_of({"tags": {"a": "b"}}) == {"a": "b"} and inventory.tags_of({}) == {}


def test_the_mapping_table_is_documented():
    from .builders import ROOT

    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert resource_types.markdown_table() in reference


# --------------------------------------------------------------------------- the arguments

ARGS = ["--REPORT_BUCKET", "reports", "--MANAGEMENT_ROLE_ARN", "arn:aws:iam::123456789012:role/BackupReportRead",
        "--GLUE_DATABASE", "backup_report", "--EXTERNAL_ID", "mgmt-secret"]
NOW_DT = dt.datetime(2026, 11, 26, 12, tzinfo=dt.timezone.utc)


def test_the_inventory_is_off_by_default_and_uses_the_management_role_unless_told():
    from backup_report.arguments import parse_arguments

    off = parse_arguments(ARGS, now=NOW_DT)
    assert (off.config_aggregator, off.config_role_arn, off.config_external_id) == (None, None, None)
    empty = parse_arguments(ARGS + ["--CONFIG_AGGREGATOR", "", "--CONFIG_ROLE_ARN", ""], now=NOW_DT)
    assert empty.config_aggregator is None  # an empty value (a stack parameter left empty) is off
    default = parse_arguments(ARGS + ["--CONFIG_AGGREGATOR", "org-aggregator"], now=NOW_DT)
    assert (default.config_role_arn, default.config_external_id) == (default.role_arn, "mgmt-secret")
    other = parse_arguments(ARGS + ["--CONFIG_AGGREGATOR", "org-aggregator", "--CONFIG_ROLE_ARN",
                                    f"arn:aws:iam::{MEMBER}:role/ConfigRead"], now=NOW_DT)
    assert (other.config_role_arn, other.config_external_id) == (f"arn:aws:iam::{MEMBER}:role/ConfigRead", None)


@pytest.mark.parametrize("extra, message", [
    (["--CONFIG_AGGREGATOR", "org aggregator"], "--CONFIG_AGGREGATOR 'org aggregator' is not an AWS Config"),
    (["--CONFIG_AGGREGATOR", "a", "--CONFIG_ROLE_ARN", "ConfigRead"], "--CONFIG_ROLE_ARN 'ConfigRead' is not"),
    (["--CONFIG_AGGREGATOR", "a", "--CONFIG_EXTERNAL_ID", "x"], "--CONFIG_EXTERNAL_ID must be 2 to 1224"),
    (["--CONFIG_ROLE_ARN", f"arn:aws:iam::{MEMBER}:role/ConfigRead"], "need --CONFIG_AGGREGATOR"),
])
def test_bad_inventory_arguments_stop_the_run_before_any_call(extra, message):
    from backup_report.arguments import parse_arguments
    from backup_report.errors import ArgumentError

    with pytest.raises(ArgumentError, match=re.escape(message)):
        parse_arguments(ARGS + extra, now=NOW_DT)


# --------------------------------------------------------------------------- the emulator on the wire

def _client(local_aws, **config):
    return boto3.client("config", region_name=REGION, config=Config(**config) if config else None)


def test_the_emulator_pages_with_opaque_tokens_and_json_results(local_aws, emulator):
    emulator.reset()
    items = [{"resourceType": "AWS::EC2::Volume", "resourceId": f"vol-{i:017x}", "accountId": A, "awsRegion": R,
              "arn": f"arn:aws:ec2:{R}:{A}:volume/vol-{i:017x}", "tags": []} for i in range(230)]
    items.append({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "accountId": A, "awsRegion": R})
    assert emulator.load_config(AGGREGATOR, items) == 231
    client = _client(local_aws)
    expression = "SELECT resourceId, arn WHERE resourceType IN ('AWS::EC2::Volume')"
    first = client.select_aggregate_resource_config(ConfigurationAggregatorName=AGGREGATOR, Expression=expression,
                                                    Limit=100)
    assert len(first["Results"]) == 100 and isinstance(first["Results"][0], str)
    assert set(json.loads(first["Results"][0])) == {"resourceId", "arn"}
    assert first["QueryInfo"]["SelectFields"] == [{"Name": "resourceId"}, {"Name": "arn"}]
    assert "vol-" not in first["NextToken"] and "100" not in first["NextToken"]
    pages = list(client.get_paginator("select_aggregate_resource_config").paginate(
        ConfigurationAggregatorName=AGGREGATOR, Expression=expression, PaginationConfig={"PageSize": 100}))
    ids = [json.loads(r)["resourceId"] for p in pages for r in p["Results"]]
    assert len(pages) == 3 and len(ids) == len(set(ids)) == 230
    default = client.select_aggregate_resource_config(ConfigurationAggregatorName=AGGREGATOR, Expression=expression)
    assert len(default["Results"]) == 25  # no Limit: AWS Config's default page of 25

    def error(**params):
        with pytest.raises(ClientError) as caught:
            client.select_aggregate_resource_config(**dict({"ConfigurationAggregatorName": AGGREGATOR,
                                                            "Expression": expression}, **params))
        return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]

    assert error(Limit=101)[0] == "InvalidLimitException"
    assert error(NextToken=first["NextToken"][:-2] + "xx")[0] == "InvalidNextTokenException"
    assert error(NextToken=first["NextToken"], Expression="SELECT resourceId")[0] == "InvalidNextTokenException"
    assert error(ConfigurationAggregatorName="nope")[0] == "NoSuchConfigurationAggregatorException"
    for unsupported in ("SELECT * WHERE resourceType = 'AWS::EC2::Volume'",
                        "SELECT resourceId WHERE resourceType LIKE 'AWS::EC2::%'",
                        "SELECT resourceType, COUNT(*) GROUP BY resourceType",
                        "SELECT resourceId WHERE resourceType = 'x' ORDER BY resourceId"):
        code, message = error(Expression=unsupported)
        assert code == "InvalidExpressionException" and "local AWS Config emulator" in message, unsupported
    emulator.set_config_faults(denied=True)
    assert error()[0] == "AccessDeniedException"
    emulator.set_config_faults(throttle_next=2)
    assert len(client.select_aggregate_resource_config(ConfigurationAggregatorName=AGGREGATOR,
                                                       Expression=expression)["Results"]) == 25  # retried
    assert emulator.config_stats()["throttled"] == 2


# --------------------------------------------------------------------------- the job's snapshot

def _org_items():
    """One Config item of every mapped type in the member account, plus what is left out."""
    items = []
    for config_type, (resource_id, name, arn) in ARNS.items():
        item = {"resourceType": config_type, "resourceId": resource_id, "accountId": MEMBER, "awsRegion": R,
                "arn": arn.replace(A, MEMBER), "tags": [{"key": "env", "value": "prod"},
                                                       {"key": "Name", "value": f"{config_type[5:]}-name"}]}
        if name:
            item["resourceName"] = name
        if config_type == "AWS::RDS::DBCluster":
            item["configuration"] = {"engine": "aurora-postgresql"}
        if config_type == "AWS::RDS::DBInstance":
            item["configuration"] = {"engine": "postgres"}
        items.append(item)
    for engine, name in (("docdb", "docs"), ("neptune", "graph"), ("mysql", "multi-az")):
        items.append({"resourceType": "AWS::RDS::DBCluster", "resourceId": f"cluster-{name.upper()}",
                      "resourceName": name, "accountId": MEMBER, "awsRegion": R,
                      "arn": f"arn:aws:rds:{R}:{MEMBER}:cluster:{name}", "configuration": {"engine": engine}})
    items.append({"resourceType": "AWS::RDS::DBInstance", "resourceId": "db-MEMBER", "resourceName": "aurora-1",
                  "accountId": MEMBER, "awsRegion": R, "arn": f"arn:aws:rds:{R}:{MEMBER}:db:aurora-1",
                  "configuration": {"engine": "aurora-postgresql"}})
    items.append({"resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-0abc", "accountId": MEMBER,
                  "awsRegion": R, "arn": f"arn:aws:ec2:{R}:{MEMBER}:security-group/sg-0abc"})
    return items


def _expected_types():
    out = {arn.replace(A, MEMBER): resource_types.RESOURCE_TYPES_BY_CONFIG[t].backup_type
           for t, (_i, _n, arn) in ARNS.items()}
    out.update({f"arn:aws:rds:{R}:{MEMBER}:cluster:docs": "DocumentDB",
                f"arn:aws:rds:{R}:{MEMBER}:cluster:graph": "Neptune",
                f"arn:aws:rds:{R}:{MEMBER}:cluster:multi-az": "RDS"})
    return out


def _args(report, **extra):
    return report.args(REGIONS=R, LOOKBACK_DAYS="1", CONFIG_AGGREGATOR=AGGREGATOR, **extra)


def _ledger(report, job_type="inventory"):
    return [r for r in read_rows(report.session, report.bucket, "report_runs") if r["job_type"] == job_type]


def test_a_snapshot_holds_every_mapped_type_under_aws_backups_arn_and_a_rerun_replaces_it(
        report, run_job, emulator):
    items = _org_items()
    emulator.load_config(AGGREGATOR, items)
    expected = _expected_types()
    # every mapped type has a backup job today, with the ARN AWS Backup reports for it
    jobs = [api_job("backup", f"j{n}", MEMBER, "2026-11-26T05:00:00", "COMPLETED", ResourceArn=arn,
                    ResourceType=kind) for n, (arn, kind) in enumerate(sorted(expected.items()))]
    emulator.load_jobs("backup", R, jobs)
    first = run_job(_args(report), report.env, now=NOW)
    assert first.returncode == 0, first.stderr[-3000:]
    rows = read_rows(report.session, report.bucket, "resources")
    assert {r["resource_arn"]: r["resource_type"] for r in rows} == expected  # members and other types left out
    assert {r["report_date"] for r in rows} == {"2026-11-26"}
    by_arn = {r["resource_arn"]: r for r in rows}
    bucket = by_arn["arn:aws:s3:::orders-bucket"]
    assert (bucket["config_resource_type"], bucket["account_id"], bucket["region"]) == ("AWS::S3::Bucket", MEMBER, R)
    assert json.loads(bucket["tags"]) == {"Name": "S3::Bucket-name", "env": "prod"}
    assert by_arn[ARNS["AWS::EC2::Volume"][2].replace(A, MEMBER)]["resource_name"] == "EC2::Volume-name"
    assert {r["captured_at"] for r in rows} == {"2026-11-26 23:00:00.000000"}
    (ledger,) = _ledger(report)
    assert (ledger["succeeded"], ledger["error"], ledger["job_count"], ledger["region"]) == (
        "true", "", str(len(expected)), REGION)
    stats = emulator.config_stats()
    assert stats["expressions"] == [inventory.expression()] and stats["limits"] == [100]

    # the saved query: a resource backed up by a job is never reported unprotected, whatever its type
    engine = LocalAthena(report.database, today=dt.date(2026, 11, 26))
    unprotected = engine.run(find_query("unprotected_resources").text).frame
    assert unprotected.empty
    coverage = engine.run(find_query("backup_coverage").text).frame
    assert set(coverage["coverage_pct"]) == {100.0} and coverage["resources"].sum() == len(expected)

    emulator.load_config(AGGREGATOR, [i for i in items if i["resourceType"] != "AWS::S3::Bucket"], replace=True)
    second = run_job(_args(report, JOB_RUN_ID="rerun"), report.env, now=NOW)
    assert second.returncode == 0, second.stderr[-3000:]
    rows = read_rows(report.session, report.bucket, "resources")
    assert sorted(r["resource_arn"] for r in rows) == sorted(a for a in expected if ":s3:" not in a)
    assert all("rerun" in r["_key"] for r in rows)  # the first run's objects are gone
    assert catalog_partitions(report.session, report.database, "resources") == {("2026-11-26",)}
    assert len(_ledger(report)) == 2


def test_a_failed_snapshot_keeps_yesterdays_fails_the_run_and_is_recorded(report, run_job, emulator):
    emulator.load_config(AGGREGATOR, _org_items())
    emulator.load_jobs("backup", R, [api_job("backup", "b1", MEMBER, "2026-11-26T05:00:00", "COMPLETED"),
                                     api_job("backup", "b2", MEMBER, "2026-11-27T05:00:00", "COMPLETED")])
    yesterday = run_job(_args(report), report.env, now=NOW)
    assert yesterday.returncode == 0, yesterday.stderr[-3000:]
    before = objects(report.session, report.bucket, "backup-reports/resources/")

    emulator.set_config_faults(denied=True)
    today = run_job(_args(report), report.env, now="2026-11-27T23:00:00")
    assert today.returncode == 1
    assert re.search(rf"AWS Config aggregator {AGGREGATOR}: AccessDeniedException", today.stderr)
    assert objects(report.session, report.bucket, "backup-reports/resources/") == before  # yesterday's kept
    assert catalog_partitions(report.session, report.database, "resources") == {("2026-11-26",)}
    # the job slices were written before the snapshot failed
    assert {r["backup_job_id"] for r in read_rows(report.session, report.bucket, "backup_jobs")} == {"b1", "b2"}
    failed = [r for r in _ledger(report) if r["report_date"] == "2026-11-27"]
    assert len(failed) == 1 and failed[0]["succeeded"] == "false" and "AccessDenied" in failed[0]["error"]
    assert failed[0]["job_count"] == ""
    assert all(r["succeeded"] == "true" for r in _ledger(report, "backup") if r["report_date"] == "2026-11-27")

    # throttling that never clears, on a rerun of yesterday: yesterday's snapshot stays as it was
    emulator.set_config_faults(throttle_always=True)
    again = run_job(_args(report), report.env, now=NOW, extra_env={"AWS_MAX_ATTEMPTS": "2"})
    assert again.returncode == 1 and "ThrottlingException" in again.stderr
    assert objects(report.session, report.bucket, "backup-reports/resources/") == before


def test_a_missing_aggregator_names_the_cause(report, run_job, emulator):
    result = run_job(report.args(REGIONS=R, LOOKBACK_DAYS="1", CONFIG_AGGREGATOR="no-such-aggregator"),
                     report.env, now=NOW)
    assert result.returncode == 1
    assert "AWS Config aggregator no-such-aggregator: NoSuchConfigurationAggregatorException" in result.stderr
    assert "--CONFIG_AGGREGATOR names an aggregator in us-east-1" in result.stderr
    assert objects(report.session, report.bucket, "backup-reports/resources/") == {}


def test_without_an_aggregator_nothing_changes(report, run_job, emulator):
    emulator.load_config(AGGREGATOR, _org_items())
    result = run_job(report.args(REGIONS=R, LOOKBACK_DAYS="1"), report.env, now=NOW)
    assert result.returncode == 0, result.stderr[-3000:]
    assert emulator.config_stats()["requests"] == 0
    glue = report.session.client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName=report.database, Name="resources")
    assert objects(report.session, report.bucket, "backup-reports/resources/") == {}
    assert _ledger(report) == []


def test_another_config_role_is_assumed_and_needs_only_the_config_action(report, run_job, emulator, tmp_path):
    emulator.load_config(AGGREGATOR, _org_items())
    log = tmp_path / "calls.log"
    config_role = f"arn:aws:iam::{MEMBER}:role/ConfigAggregatorRead"
    result = run_job(_args(report, CONFIG_ROLE_ARN=config_role, CONFIG_EXTERNAL_ID="config-secret"), report.env,
                     now=NOW, extra_env={"BACKUP_REPORT_CALL_LOG": str(log)})
    assert result.returncode == 0, result.stderr[-3000:]
    used = permissions.actions_from_call_log(log.read_text().splitlines())
    assert used["config"] == set(permissions.CONFIG_ACTIONS)
    # --REGIONS is given: no ec2:DescribeRegions; the management role never queries Config here
    assert used["management"] == set(permissions.MANAGEMENT_ACTIONS) - {"ec2:DescribeRegions"}
    assert len(read_rows(report.session, report.bucket, "resources")) == len(_expected_types())


# --------------------------------------------------------------------------- the saved queries over a history

def _completed_since(history, days: int):
    from .builders import day

    return {x["resource_arn"] for x in history["rows"] if x["job_type"] == "backup" and x["status"] == "COMPLETED"
            and day(days) < x["report_date"]}


def test_13_unprotected_resources_are_exactly_the_generators(history, ask):
    from .builders import day

    inv = history["inventory"]
    expected = {arn for arn in inv.types if arn not in _completed_since(history, 7)}
    assert set(inv.never) | set(inv.stopped) <= expected  # never backed up; stopped 8 days ago
    result = ask("13_unprotected_resources")
    frame = result.frame.astype(object).where(result.frame.notna(), None)
    got = {r["resource_arn"]: r for r in frame.to_dict("records")}
    assert set(got) == expected
    assert not set(got) & set(inv.not_protectable)
    backups = [x for x in history["rows"] if x["job_type"] == "backup" and day(30) < x["report_date"]]
    for arn, row in got.items():
        mine = [x for x in backups if x["resource_arn"] == arn]
        completed = [x["creation"] for x in mine if x["status"] == "COMPLETED"]
        assert row["last_completed_at"] == (max(completed) if completed else None), arn
        latest = max(mine, key=lambda x: x["creation"]) if mine else None
        assert row["last_attempt_status"] == (latest["status"] if latest else None), arn
        assert row["resource_type"] == inv.types[arn] and row["snapshot_date"] == day(0)
        assert json.loads(row["tags"])["Name"]
    for arn in inv.never:
        assert got[arn]["last_completed_at"] is None and got[arn]["last_attempt_status"] is None
    for arn in inv.stopped:
        assert got[arn]["days_since_completed"] == 8 and got[arn]["last_attempt_status"] == "COMPLETED"
    assert ask("13_unprotected_resources", days=30).frame["resource_arn"].nunique() < len(expected)


def test_14_backup_coverage_equals_the_generators(history, ask):
    inv = history["inventory"]
    account_of = {i["arn"]: i["accountId"] for i in inv.items}
    protected = _completed_since(history, 7)
    expected = {}
    for arn, kind in inv.types.items():
        counts = expected.setdefault((account_of[arn], kind), [0, 0])
        counts[0] += 1
        counts[1] += arn in protected
    result = ask("14_backup_coverage")
    got = {(r["account_id"], r["resource_type"]): r for r in result.frame.to_dict("records")}
    assert set(got) == set(expected)
    for key, (resources, covered) in expected.items():
        row = got[key]
        assert (row["resources"], row["protected"], row["unprotected"]) == (resources, covered, resources - covered)
        assert abs(row["coverage_pct"] - 100 * covered / resources) <= 0.005 + 1e-9
        assert row["account_name"] == history["names"].get(key[0], "")
    pcts = list(result.frame["coverage_pct"])
    assert pcts == sorted(pcts) and pcts[0] < 100  # worst first
