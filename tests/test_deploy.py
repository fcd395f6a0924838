"""scripts/deploy.py and scripts/build_package.py: a dry run makes no call, and a real deploy
against moto's server uploads the artifacts, creates both stacks, updates idempotently,
starts the backfill run and tears down."""
from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import subprocess
import sys
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
    # what it says speaks of what would happen: nothing did
    said = [line for line in lines if not line.startswith("[dry-run]")]
    assert "backup-report-management: would create (management account)" in said
    assert "backup-report: would create (reporting account)" in said
    assert f"would start the backfill run of <backup-report.JobName>: --REPORT_DATE {today} --LOOKBACK_DAYS 30" in said
    assert "reporting stack backup-report (would be created), its outputs:" in said
    done = re.compile(r"^(started|creating|uploading|generated|waiting)\b|: (creating|updating|deleting) \(|\((created|updated)\)")
    assert [line for line in said if done.search(line)] == []
    assert not [line for line in said if "QuickSight" in line]  # QuickSight is off: no QuickSight output
    assert "  ReportBucketName: <backup-report.ReportBucketName>" in said


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
    code, lines, calls = dry_run(["deploy", "--region", "us-east-1", "--param",
                              "QuickSightPrincipalArn=arn:aws:quicksight:us-east-1:123456789012:user/default/a"],
                             capsys)
    assert code == 0, capsys.readouterr().err
    reporting = [c[1:] for c in calls if c[0] == "reporting" and c[1] in ("glue", "cloudformation")]
    assert reporting[1:3] == [("glue", "get_table"), ("glue", "get_table")]
    assert reporting[-6:] == [
        ("cloudformation", "create_stack"), ("cloudformation", "stack_create_complete"),
        ("glue", "start_job_run"), ("glue", "get_job_run"),
        ("cloudformation", "update_stack"), ("cloudformation", "stack_update_complete")]
    assert "QuickSight: would add the datasets after the first run, which creates their tables" in lines
    assert "would wait for that run (it installs the pinned modules first: a few minutes)" in lines
    assert "  QuickSightDataSourceArn: <backup-report.QuickSightDataSourceArn>" in lines


def test_dry_run_teardown_deletes_the_reporting_stack_first(capsys):
    code, lines, calls = dry_run(["teardown", "--region", "us-east-1", "--reporting-profile", "reporting", "--yes"],
                                 capsys)
    assert code == 0
    assert [c for c in calls if c[2] == "delete_stack"] == [
        ("reporting", "cloudformation", "delete_stack"), ("management", "cloudformation", "delete_stack")]
    assert "backup-report: would delete (reporting account)" in lines
    assert lines[-3].startswith("Would be kept on purpose: the report bucket (DeletionPolicy Retain")
    assert lines[-2] == "  " + deploy.empty_bucket_command("reporting", "us-east-1", "<bucket>")
    assert lines[-1] == "--yes: would empty and delete both, every object version, without asking"


def test_the_tear_down_docs_give_the_command_teardown_prints():
    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    teardown = page[page.index("## Tear down"):]
    assert deploy.empty_bucket_command("reporting", "eu-west-1", "<bucket>") in teardown
    assert "--yes" in teardown


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

    # teardown: both stacks go; the buckets are kept unless their names answer the question
    report_bucket = outputs["ReportBucketName"]
    history_with_versions(s3, report_bucket)
    asked: List[str] = []

    def answer(question: str) -> str:
        asked.append(question)
        return bucket if f"s3://{bucket} " in question else ""  # the artifacts bucket only

    lines.clear()
    assert deploy.main(["teardown", *common], out=lines.append, ask=answer) == 0, lines
    remaining = {s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}
    assert not {mstack, rstack} & remaining
    assert asked == [f"Empty and delete s3://{name} now? Type its name to confirm, Enter keeps it: "
                     for name in (report_bucket, bucket)]
    assert f"kept s3://{report_bucket}" in lines and f"  s3://{bucket}: the job's artifacts, created by deploy.py" in lines
    assert any(line.startswith(f"deleted s3://{bucket} and its ") for line in lines)
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert len(s3.list_object_versions(Bucket=report_bucket)["Versions"]) == 3  # the history is still there

    # the command it printed for the kept bucket empties every version, then deletes the bucket
    [command] = [line.strip() for line in lines if line.strip().startswith("python -c ") and report_bucket in line]
    assert command == deploy.empty_bucket_command(None, "us-east-1", report_bucket)
    argv = shlex.split(command)
    ran = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert report_bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def history_with_versions(s3, bucket: str) -> None:
    """Objects with old versions and a delete marker, as a versioned report bucket holds them."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket=bucket, Key="backup-reports/backup_jobs/report_date=2026-11-26/a.csv", Body=body)
    s3.put_object(Bucket=bucket, Key="athena-results/q.csv", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="athena-results/q.csv")


def test_teardown_yes_empties_and_deletes_the_kept_buckets(moto_aws, wheel):
    token = uuid.uuid4().hex[:8]
    common = ["--region", "us-east-1", "--poll-seconds", "1", "--management-stack", f"mgmt-{token}",
              "--reporting-stack", f"report-{token}"]
    lines: List[str] = []
    assert deploy.main(["deploy", *common, "--wheel", str(wheel), "--job-role-name", f"job-{token}",
                        "--management-param", f"RoleName=read-{token}", "--first-run", "never"],
                       out=lines.append) == 0, lines
    s3 = boto3.client("s3")
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in boto3.client("cloudformation").describe_stacks(StackName=f"report-{token}")["Stacks"][0]["Outputs"]}
    report_bucket, artifacts = outputs["ReportBucketName"], "backup-report-artifacts-123456789012-us-east-1"
    history_with_versions(s3, report_bucket)

    def nobody_asks(question: str) -> str:
        raise AssertionError(f"--yes asked: {question}")

    lines.clear()
    assert deploy.main(["teardown", *common, "--yes"], out=lines.append, ask=nobody_asks) == 0, lines
    assert f"deleted s3://{report_bucket} and its 4 object version(s) and delete marker(s)" in lines
    assert any(line.startswith(f"deleted s3://{artifacts} and its ") for line in lines)
    assert not {report_bucket, artifacts} & {b["Name"] for b in s3.list_buckets()["Buckets"]}


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
