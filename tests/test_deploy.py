"""scripts/deploy.py and scripts/build_package.py: a dry run makes no call, and a real deploy
against moto's server uploads the artifacts, creates both stacks, updates idempotently,
starts the backfill run and tears down."""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import List, Tuple

import boto3
import pytest

from .builders import ROOT, load_script

build_package = load_script("build_package")
deploy = load_script("deploy")

DRY_CALL = re.compile(r"^\[dry-run\] (\w+): (\w+)[. ](?:waiter )?(\w+)\(")


def dry_run(argv: List[str], capsys) -> Tuple[int, List[str], List[Tuple[str, str, str]]]:
    lines: List[str] = []
    code = deploy.main(argv + ["--dry-run"], out=lines.append)
    calls = [m.groups() for m in map(DRY_CALL.match, lines) if m]
    return code, lines, calls


def test_dry_run_prints_every_call_of_a_first_deploy_and_makes_none(capsys):
    # the autouse fixture points every endpoint at a closed port: a real call would fail
    code, lines, calls = dry_run(["deploy", "--region", "eu-west-1", "--param", "AlertEmail=ops@example.com",
                                  "--external-id", "do-not-print-me"], capsys)
    assert code == 0, capsys.readouterr().err
    bucket = "backup-report-artifacts-<reporting-account-id>-eu-west-1"
    assert calls == [
        ("reporting", "sts", "get_caller_identity"),
        ("management", "sts", "get_caller_identity"),
        ("management", "cloudformation", "describe_stacks"),
        ("reporting", "cloudformation", "describe_stacks"),
        ("management", "cloudformation", "create_stack"),
        ("management", "cloudformation", "stack_create_complete"),
        ("reporting", "s3", "head_bucket"),
        ("reporting", "s3", "create_bucket"),
        ("reporting", "s3", "put_public_access_block"),
        ("reporting", "s3", "put_bucket_encryption"),
        ("reporting", "s3", "put_bucket_policy"),
        ("reporting", "s3", "put_object"),
        ("reporting", "s3", "put_object"),
        ("reporting", "s3", "put_object"),
        ("reporting", "cloudformation", "create_stack"),
        ("reporting", "cloudformation", "stack_create_complete"),
        ("reporting", "glue", "start_job_run"),
    ]
    text = "\n".join(lines)
    assert "do-not-print-me" not in text and "ExternalId=****" in text
    assert "Key='backup-report/artifacts/backup_report_job.py'" in text
    assert "Key='backup-report/artifacts/backup_report-" in text
    assert "AlertEmail=ops@example.com" in text
    assert "ManagementRoleArn=<backup-report-management.ManagementRoleArn>" in text
    assert f"TemplateURL='https://s3.eu-west-1.amazonaws.com/{bucket}/backup-report/artifacts/templates/" in text
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert f'"--LOOKBACK_DAYS": "30", "--REPORT_DATE": "{today}"' in text


def test_dry_run_with_an_existing_management_role_and_bucket(capsys):
    code, lines, calls = dry_run([
        "deploy", "--region", "us-east-1", "--management-role-arn", "arn:aws:iam::111122223333:role/Read",
        "--external-id", "x" * 20, "--artifacts-bucket", "my-artifacts", "--reporting-account-id",
        "444455556666", "--first-run", "never"], capsys)
    assert code == 0, capsys.readouterr().err
    assert ("management", "cloudformation", "create_stack") not in calls
    assert not [c for c in calls if c[0] == "management"]
    assert ("reporting", "s3", "create_bucket") not in calls
    assert ("reporting", "glue", "start_job_run") not in calls
    assert "ManagementRoleArn=arn:aws:iam::111122223333:role/Read" in "\n".join(lines)


def test_quicksight_waits_for_the_tables_of_the_first_run(capsys):
    code, _, calls = dry_run(["deploy", "--region", "us-east-1", "--param",
                              "QuickSightPrincipalArn=arn:aws:quicksight:us-east-1:123456789012:user/default/a"],
                             capsys)
    assert code == 0, capsys.readouterr().err
    reporting = [c[1:] for c in calls if c[0] == "reporting" and c[1] in ("glue", "cloudformation")]
    assert reporting[1:3] == [("glue", "get_table"), ("glue", "get_table")]
    assert reporting[-6:] == [
        ("cloudformation", "create_stack"), ("cloudformation", "stack_create_complete"),
        ("glue", "start_job_run"), ("glue", "get_job_run"),
        ("cloudformation", "update_stack"), ("cloudformation", "stack_update_complete")]


def test_dry_run_teardown_deletes_the_reporting_stack_first(capsys):
    code, _, calls = dry_run(["teardown", "--region", "us-east-1"], capsys)
    assert code == 0
    assert [c for c in calls if c[2] == "delete_stack"] == [
        ("reporting", "cloudformation", "delete_stack"), ("management", "cloudformation", "delete_stack")]


def test_bad_parameters_are_refused_before_any_call(capsys):
    assert deploy.main(["deploy", "--region", "us-east-1", "--dry-run", "--param", "AlertEmail"]) == 1
    assert "expected KEY=VALUE" in capsys.readouterr().err
    assert deploy.main(["deploy", "--region", "us-east-1", "--dry-run", "--param", "ExternalId=x"]) == 1
    assert "--external-id" in capsys.readouterr().err
    assert deploy.main(["deploy", "--region", "us-east-1", "--dry-run", "--param", "NoSuch=1",
                        "--external-id", "abcdefgh"]) == 1
    assert "has no parameter NoSuch" in capsys.readouterr().err


# ---------------------------------------------------------------- the wheel
@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    return build_package.build_wheel(tmp_path_factory.mktemp("dist"))


# ---------------------------------------------------------------- against moto's server
@pytest.fixture
def moto_aws(moto_url, monkeypatch):
    """The standard SDK settings pointed at moto (``localhost``: moto reads TemplateURLs by that name)."""
    url = moto_url.replace("127.0.0.1", "localhost")
    for key, value in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_BACKUP", raising=False)
    return url


def test_deploy_update_backfill_and_teardown_against_moto(moto_aws, wheel):
    token = uuid.uuid4().hex[:8]
    mstack, rstack, job_role = f"mgmt-{token}", f"report-{token}", f"job-{token}"
    common = ["--region", "us-east-1", "--poll-seconds", "1", "--management-stack", mstack,
              "--reporting-stack", rstack]
    lines: List[str] = []
    argv = ["deploy", *common, "--wheel", str(wheel), "--job-role-name", job_role,
            "--param", "AlertEmail=ops@example.com", "--param", "Regions=eu-west-1,us-east-1",
            "--management-param", f"RoleName=read-{token}", "--first-run", "never"]
    assert deploy.main(argv, out=lines.append) == 0, lines

    cfn, s3, iam = boto3.client("cloudformation"), boto3.client("s3"), boto3.client("iam")
    stacks = {s["StackName"]: s for s in cfn.describe_stacks()["Stacks"]}
    assert stacks[mstack]["StackStatus"] == stacks[rstack]["StackStatus"] == "CREATE_COMPLETE"
    mparams = {p["ParameterKey"]: p["ParameterValue"] for p in stacks[mstack]["Parameters"]}
    rparams = {p["ParameterKey"]: p["ParameterValue"] for p in stacks[rstack]["Parameters"]}
    assert len(mparams["ExternalId"]) >= 32 and rparams["ExternalId"] == mparams["ExternalId"]
    assert mparams["JobRoleName"] == rparams["JobRoleName"] == job_role
    assert mparams["ReportingAccountId"] == "123456789012"
    role_arn = {o["OutputKey"]: o["OutputValue"] for o in stacks[mstack]["Outputs"]}["ManagementRoleArn"]
    assert role_arn == f"arn:aws:iam::123456789012:role/read-{token}" == rparams["ManagementRoleArn"]

    # the trust policy moto created: the job role and the ExternalId
    trust = iam.get_role(RoleName=f"read-{token}")["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    condition = trust["Statement"][0]["Condition"]
    assert condition["StringEquals"]["sts:ExternalId"] == mparams["ExternalId"]
    assert condition["ArnLike"]["aws:PrincipalArn"] == f"arn:aws:iam::123456789012:role/{job_role}"  # no OperatorRoleArns

    # the artifacts, where the job's ScriptLocation and --extra-py-files point
    bucket, prefix = rparams["ArtifactsBucket"], rparams["ArtifactsPrefix"]
    assert bucket == "backup-report-artifacts-123456789012-us-east-1"
    script = s3.get_object(Bucket=bucket, Key=f"{prefix}/backup_report_job.py")["Body"].read()
    assert script == (ROOT / "glue_jobs" / "backup_report_job.py").read_bytes()
    assert s3.get_object(Bucket=bucket, Key=f"{prefix}/{wheel.name}")["Body"].read() == wheel.read_bytes()
    assert rparams["WheelFileName"] == wheel.name
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[rstack]["Outputs"]}
    assert outputs["ArtifactsLocation"] == f"s3://{bucket}/{prefix}/"
    assert s3.head_bucket(Bucket=outputs["ReportBucketName"])

    # a second deploy without the optional parameters changes nothing and keeps them
    lines.clear()
    assert deploy.main(["deploy", *common, "--wheel", str(wheel), "--job-role-name", job_role,
                        "--first-run", "never"], out=lines.append) == 0, lines
    assert f"{mstack}: no changes" in lines and f"{rstack}: no changes" in lines
    rparams = {p["ParameterKey"]: p["ParameterValue"]
               for p in cfn.describe_stacks(StackName=rstack)["Stacks"][0]["Parameters"]}
    assert rparams["AlertEmail"] == "ops@example.com" and rparams["Regions"] == "eu-west-1,us-east-1"

    # the backfill run (moto's CloudFormation has no AWS::Glue::Job: create the job it would have)
    glue = boto3.client("glue")
    glue.create_job(Name="backup-report", Role=f"arn:aws:iam::123456789012:role/{job_role}",
                    Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/{prefix}/backup_report_job.py"})
    try:
        lines.clear()
        assert deploy.main(["deploy", *common, "--wheel", str(wheel), "--job-role-name", job_role,
                            "--first-run", "always", "--backfill-days", "30"], out=lines.append) == 0, lines
        (run,) = glue.get_job_runs(JobName="backup-report")["JobRuns"]
        today = dt.datetime.now(dt.timezone.utc).date().isoformat()
        assert run["Arguments"] == {"--REPORT_DATE": today, "--LOOKBACK_DAYS": "30"}
    finally:
        glue.delete_job(JobName="backup-report")

    # teardown: both stacks go, the report bucket stays
    lines.clear()
    assert deploy.main(["teardown", *common], out=lines.append) == 0, lines
    remaining = {s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}
    assert not {mstack, rstack} & remaining
    assert any(outputs["ReportBucketName"] in line for line in lines)


def test_an_existing_stack_without_its_external_id_is_refused(moto_aws, wheel, capsys):
    token = uuid.uuid4().hex[:8]
    common = ["--region", "us-east-1", "--poll-seconds", "1", "--management-stack", f"mgmt-{token}",
              "--reporting-stack", f"report-{token}", "--wheel", str(wheel), "--job-role-name", f"job-{token}",
              "--management-param", f"RoleName=read-{token}", "--first-run", "never"]
    lines: List[str] = []
    try:
        # only the management side exists: the reporting side cannot learn its ExternalId
        boto3.client("cloudformation").create_stack(
            StackName=f"mgmt-{token}", TemplateBody=deploy.MANAGEMENT_TEMPLATE.read_text(),
            Capabilities=deploy.CAPABILITIES, Parameters=[
                {"ParameterKey": "ReportingAccountId", "ParameterValue": "123456789012"},
                {"ParameterKey": "ExternalId", "ParameterValue": "an-id-nobody-wrote-down"},
                {"ParameterKey": "JobRoleName", "ParameterValue": f"job-{token}"},
                {"ParameterKey": "RoleName", "ParameterValue": f"read-{token}"}])
        assert deploy.main(["deploy", *common], out=lines.append) == 1
        assert "pass --external-id" in capsys.readouterr().err
    finally:
        deploy.main(["teardown", "--region", "us-east-1", "--poll-seconds", "1", "--management-stack",
                     f"mgmt-{token}", "--reporting-stack", f"report-{token}"], out=lines.append)
