"""``backup-report doctor`` against the local AWS (moto's server + the emulator): one line per check."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional
from urllib.parse import parse_qs

import boto3
import pytest
from botocore.stub import Stubber

from backup_report import aws, catalog, cli, doctor, doctor_checks, write
from backup_report.arguments import ARGUMENT_NAMES, parse_arguments
from backup_report.errors import BucketError, CatalogError, ConfigurationError, RoleError
from backup_report.resources import glue_pins

from .builders import MANAGEMENT_ACCOUNT, REGION, ROLE_ARN, ROOT, TrustingSts, api_job

MEMBER = "210987654321"
EXTERNAL_ID = "doctor-secret-external-id-7f3a"


class StsRouter:
    """STS for the doctor: AssumeRole goes to a TrustingSts (trust policy + ExternalId enforced),
    every other action (GetCallerIdentity) to moto's STS."""

    def __init__(self, trust: Dict[str, Optional[str]], moto_url: str):
        self.trusting = TrustingSts(trust)
        router = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                action = parse_qs(body.decode()).get("Action", [""])[0]
                target = router.trusting.url if action == "AssumeRole" else moto_url
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "authorization")}
                request = urllib.request.Request(target + "/", data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, data = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, data = error.code, error.read()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def requests(self) -> List[Dict[str, str]]:
        return self.trusting.requests

    def stop(self) -> None:
        self.server.shutdown()
        self.trusting.stop()


@pytest.fixture
def organization(local_aws):
    """moto's organisation: the management account and at least one member; Backup trusted access on."""
    org = boto3.client("organizations")
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
        org.create_organization(FeatureSet="ALL")
    accounts = [a["Id"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
    if len(accounts) < 2:
        org.create_account(Email=f"member-{uuid.uuid4().hex[:6]}@example.com", AccountName="Member")
    org.enable_aws_service_access(ServicePrincipal="backup.amazonaws.com")
    return org


@pytest.fixture
def healthy(report, emulator, organization):
    """Jobs of the management account and of a member account, as cross-account monitoring lists them."""
    emulator.load_jobs("backup", REGION, [
        api_job("backup", "b-mgmt", MANAGEMENT_ACCOUNT, "2026-11-26T10:00:00", "COMPLETED"),
        api_job("backup", "b-member", MEMBER, "2026-11-26T11:00:00", "FAILED"),
    ])
    return report


def run_doctor(capsys, argv: List[str]):
    code = doctor.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def line(out: str, name: str) -> str:
    """The one line of the check called ``name``."""
    found = [text for text in out.splitlines()
             if text[:1] in "✓✗⚠·" and text[2:].startswith(name) and text[2 + len(name):][:1] in ("", ":", " ")]
    assert len(found) == 1, f"{name!r} in:\n{out}"
    return found[0]


def test_a_healthy_setup_passes_every_check(healthy, capsys):
    code, out, err = run_doctor(capsys, healthy.args())  # regions: the enabled ones
    assert code == 0, out + err
    lines = out.splitlines()
    assert all(text.startswith("✓") for text in lines[:-1]), out
    assert lines[-1].startswith("backup-report doctor: all")
    assert line(out, "credentials").endswith(f"(account {MANAGEMENT_ACCOUNT})")
    assert line(out, "region").startswith(f"✓ region: {REGION}")
    assert f"s3://{healthy.bucket}/backup-reports/" in line(out, "report bucket")
    assert healthy.database in line(out, "Glue database")
    assert "assumed without an ExternalId" in line(out, "management role")
    assert "eu-west-1" in line(out, "enabled regions")
    listings = line(out, f"job listings (ByAccountId='*') in {REGION}")
    assert "backup, copy, restore, scan: 2 job(s) of 2 account(s) on the first pages" in listings
    assert len([t for t in lines if "job listings" in t]) > 3  # one line per enabled region
    assert f"besides {MANAGEMENT_ACCOUNT}" in line(out, "cross-account monitoring")
    assert "backup.amazonaws.com is enabled" in line(out, "AWS Backup trusted access")


def test_nothing_is_written(healthy, capsys):
    s3 = boto3.client("s3")
    before = s3.list_objects_v2(Bucket=healthy.bucket).get("KeyCount", 0)
    tables = boto3.client("glue").get_tables(DatabaseName=healthy.database)["TableList"]
    assert run_doctor(capsys, healthy.args(REGIONS=REGION))[0] == 0
    assert s3.list_objects_v2(Bucket=healthy.bucket).get("KeyCount", 0) == before == 0
    assert boto3.client("glue").get_tables(DatabaseName=healthy.database)["TableList"] == tables == []


def test_a_wrong_external_id_is_named_and_no_external_id_is_ever_printed(healthy, moto_url, monkeypatch, capsys):
    sts = StsRouter({ROLE_ARN: EXTERNAL_ID}, moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
    wrong = "not-the-right-external-id-91c2"
    try:
        code, out, err = run_doctor(capsys, healthy.args(REGIONS=REGION, EXTERNAL_ID=wrong))
        assert code == 1
        role = line(out, "management role")
        with pytest.raises(RoleError) as job_error:  # what the job says, doctor says
            aws.assume_management_session(boto3.Session(), ROLE_ARN, wrong, "doctor")
        assert role.startswith(f"✗ management role: {job_error.value}; the caller here is ")
        assert role.startswith(f"✗ management role: Cannot assume --MANAGEMENT_ROLE_ARN {ROLE_ARN}: AccessDenied")
        assert "--EXTERNAL_ID equals the role's sts:ExternalId" in role and "trust policy" in role
        assert "OperatorRoleArns" in role
        assert sts.requests[-1]["ExternalId"] == wrong  # what was tried: the argument, never printed
        for name in ("enabled regions", "job listings per region", "cross-account monitoring"):
            assert line(out, name).startswith("·")  # not checked without the role
        assert line(out, "report bucket").startswith("✓")  # the rest still ran
        assert wrong not in out + err and EXTERNAL_ID not in out + err

        code, out, err = run_doctor(capsys, healthy.args(REGIONS=REGION, EXTERNAL_ID=EXTERNAL_ID))
        assert code == 0, out
        assert "assumed with the ExternalId" in line(out, "management role")
        assert sts.requests[-1]["ExternalId"] == EXTERNAL_ID
        assert EXTERNAL_ID not in out + err
    finally:
        sts.stop()


def test_a_missing_bucket_is_named_with_the_fix(healthy, capsys):
    code, out, _ = run_doctor(capsys, healthy.args(REGIONS=REGION, REPORT_BUCKET="no-such-bucket-doctor"))
    assert code == 1
    bucket = line(out, "report bucket")
    with pytest.raises(BucketError) as job_error:  # what the job says, doctor says
        write.check_bucket(boto3.Session(), "no-such-bucket-doctor")
    assert bucket == f"✗ report bucket: {job_error.value}"
    assert bucket.startswith("✗ report bucket: Cannot use --REPORT_BUCKET no-such-bucket-doctor: 404")
    assert "— no such bucket: check --REPORT_BUCKET, or deploy the reporting stack" in bucket
    assert line(out, "Glue database").startswith("✓") and line(out, "management role").startswith("✓")
    assert "1 check(s) failed" in out.splitlines()[-1]


def test_a_missing_database_is_named_with_the_fix(healthy, capsys):
    code, out, _ = run_doctor(capsys, healthy.args(REGIONS=REGION, GLUE_DATABASE="no_such_doctor_db"))
    assert code == 1
    database = line(out, "Glue database")
    with pytest.raises(CatalogError) as job_error:  # what the job says, doctor says
        catalog.check_database(boto3.Session(), "no_such_doctor_db")
    assert database == f"✗ Glue database: {job_error.value}"
    assert database.startswith(f"✗ Glue database: --GLUE_DATABASE no_such_doctor_db does not exist in {REGION}: "
                               "EntityNotFoundException")
    assert "— check --GLUE_DATABASE" in database and "deploy the reporting stack" in database


def test_a_denied_region_fails_that_region_only(healthy, emulator, capsys):
    emulator.set_faults(denied_regions=["eu-west-1"])
    code, out, _ = run_doctor(capsys, healthy.args(REGIONS=f"{REGION},eu-west-1"))
    assert code == 1
    denied = line(out, "job listings (ByAccountId='*') in eu-west-1")
    assert denied.startswith("✗ job listings (ByAccountId='*') in eu-west-1: refused: backup (ListBackupJobs: "
                             "AccessDeniedException") and "AccessDeniedException" in denied
    assert "grant backup:ListBackupJobs, backup:ListCopyJobs, backup:ListRestoreJobs, backup:ListScanJobs" in denied
    assert "SCP" in denied
    assert line(out, f"job listings (ByAccountId='*') in {REGION}").startswith("✓")
    assert line(out, "cross-account monitoring").startswith("✓")  # us-east-1 still shows the member


def test_a_refused_job_type_is_named_and_the_others_still_listed(healthy, emulator, capsys):
    emulator.set_faults(denied=[[REGION, "ListScanJobs"]])
    code, out, _ = run_doctor(capsys, healthy.args(REGIONS=REGION))
    assert code == 1
    refused = line(out, f"job listings (ByAccountId='*') in {REGION}")
    assert refused.startswith(f"✗ job listings (ByAccountId='*') in {REGION}: refused: scan (ListScanJobs: "
                              "AccessDeniedException")
    assert "; listed: backup, copy, restore — grant backup:ListScanJobs to the management role" in refused
    assert "leave those job types out of --JOB_TYPES" in refused
    assert line(out, "cross-account monitoring").startswith("✓")  # what was listed still counts
    code, out, _ = run_doctor(capsys, healthy.args(REGIONS=REGION, JOB_TYPES="backup,copy,restore"))
    assert code == 0, out  # scans not chosen: not listed, not refused
    assert line(out, f"job listings (ByAccountId='*') in {REGION}").startswith(
        f"✓ job listings (ByAccountId='*') in {REGION}: backup, copy, restore: ")


def test_invisible_member_accounts_mean_cross_account_monitoring_is_off(healthy, emulator, capsys):
    emulator.set_faults(cross_account_monitoring_off=True)
    code, out, _ = run_doctor(capsys, healthy.args(REGIONS=REGION))
    assert code == 1
    assert "1 job(s) of 1 account(s)" in line(out, f"job listings (ByAccountId='*') in {REGION}")
    monitoring = line(out, "cross-account monitoring")
    assert monitoring.startswith(f"✗ cross-account monitoring: only {MANAGEMENT_ACCOUNT}'s own jobs are listed")
    assert "member account(s)" in monitoring and "probably off" in monitoring
    assert "AWS Backup console → Settings → Cross-account monitoring" in monitoring
    assert "management account" in monitoring


def test_trusted_access_off_fails_with_the_fix(healthy, organization, capsys):
    organization.disable_aws_service_access(ServicePrincipal="backup.amazonaws.com")
    try:
        code, out, _ = run_doctor(capsys, healthy.args(REGIONS=REGION))
    finally:
        organization.enable_aws_service_access(ServicePrincipal="backup.amazonaws.com")
    assert code == 1
    trusted = line(out, "AWS Backup trusted access")
    assert trusted.startswith("✗") and "enable-aws-service-access --service-principal backup.amazonaws.com" in trusted


class _FakeSession:
    def __init__(self, client):
        self._client = client

    def client(self, *_args, **_kwargs):
        return self._client


def test_trusted_access_that_may_not_be_read_is_a_warning(local_aws):
    client = boto3.client("organizations")
    with Stubber(client) as stub:
        stub.add_client_error("list_aws_service_access_for_organization", "AccessDeniedException",
                              "not authorized to perform organizations:ListAWSServiceAccessForOrganization")
        check = doctor_checks.check_trusted_access(_FakeSession(client))
    assert check.status == doctor_checks.WARN
    assert check.line().startswith("⚠ AWS Backup trusted access in Organizations: cannot tell: AccessDeniedException")
    assert doctor.summary([doctor_checks.Check("x", doctor_checks.OK), check]).endswith(
        "all 1 checks passed, 1 warning(s)")


def test_a_bucket_the_caller_may_not_use_is_named_as_the_job_names_it(local_aws):
    client = boto3.client("s3")
    with Stubber(client) as stub:
        stub.add_client_error("head_bucket", "403", "Forbidden", 403)
        check = doctor_checks.check_bucket(_FakeSession(client), "their-bucket", "backup-reports")
    assert check.line() == ("✗ report bucket: Cannot use --REPORT_BUCKET their-bucket: 403: Forbidden — the caller "
                            "may not use it: check --REPORT_BUCKET, and that the caller (on Glue: the job's role) "
                            "may s3:ListBucket it")


def test_regions_that_may_not_be_listed_fail_only_without_regions(local_aws):
    """The job's own message (aws.enabled_regions); a warning when --REGIONS makes the list unneeded."""
    client = boto3.client("ec2")
    with Stubber(client) as stub:
        stub.add_client_error("describe_regions", "UnauthorizedOperation", "not authorized")
        with pytest.raises(ConfigurationError) as job_error:
            aws.enabled_regions(_FakeSession(client))
        stub.add_client_error("describe_regions", "UnauthorizedOperation", "not authorized")
        failed, regions = doctor_checks.check_enabled_regions(_FakeSession(client), None)
        stub.add_client_error("describe_regions", "UnauthorizedOperation", "not authorized")
        warned, given = doctor_checks.check_enabled_regions(_FakeSession(client), (REGION,))
    assert failed.line() == f"✗ enabled regions: {job_error.value}" and regions == ()
    assert "UnauthorizedOperation: not authorized — grant ec2:DescribeRegions" in failed.line()
    assert warned.status == doctor_checks.WARN and given == (REGION,)
    assert warned.line().startswith(f"⚠ enabled regions: {job_error.value.problem}; not needed while --REGIONS")


def test_no_region_is_named_with_the_standard_settings(local_aws, monkeypatch, tmp_path, capsys):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    code, out, _ = run_doctor(capsys, ["--REPORT_BUCKET", "b-b-b", "--MANAGEMENT_ROLE_ARN", ROLE_ARN,
                                       "--GLUE_DATABASE", "d"])
    assert code == 1
    assert line(out, "region") == ("✗ region: no AWS region is configured — set AWS_DEFAULT_REGION (boto3 does not "
                                   "read AWS_REGION), or region in your profile (aws configure set region <region> "
                                   "--profile <profile>)")


def test_the_region_advice_of_the_doctor_works(local_aws, monkeypatch, tmp_path, capsys):
    """What the advice says to set is what boto3 reads: following it clears the check."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    _code, out, _ = run_doctor(capsys, ["--REPORT_BUCKET", "b-b-b", "--MANAGEMENT_ROLE_ARN", ROLE_ARN,
                                        "--GLUE_DATABASE", "d"])
    assert line(out, "region") == "✓ region: eu-west-1"


def create_glue_job(report, modules: Dict[str, str], library_set: Optional[str] = "analytics", **job_args: str) -> str:
    name = f"backup-report-{uuid.uuid4().hex[:8]}"
    arguments = {"--REPORT_BUCKET": report.bucket, "--MANAGEMENT_ROLE_ARN": ROLE_ARN,
                 "--GLUE_DATABASE": report.database, "--EXTERNAL_ID": EXTERNAL_ID,
                 "--REPORT_PREFIX": "backup-reports", "--REGIONS": REGION, "--LOOKBACK_DAYS": "3",
                 "--additional-python-modules": ",".join(f"{n}=={v}" for n, v in modules.items()),
                 "--extra-py-files": "s3://artifacts/backup-report/artifacts/backup_report-1-py3-none-any.whl"}
    arguments.update({f"--{k}": v for k, v in job_args.items()})
    if library_set:
        arguments["library-set"] = library_set
    boto3.client("glue").create_job(
        Name=name, Role="arn:aws:iam::123456789012:role/backup-report-job",
        Command={"Name": "pythonshell", "ScriptLocation": "s3://artifacts/backup_report_job.py",
                 "PythonVersion": "3.9"},
        DefaultArguments=arguments, MaxCapacity=0.0625)
    return name


def test_job_name_reads_the_deployed_job_and_passes_with_the_pins(healthy, moto_url, monkeypatch, capsys):
    sts = StsRouter({ROLE_ARN: EXTERNAL_ID}, moto_url)  # the job's ExternalId comes from its DefaultArguments
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
    try:
        name = create_glue_job(healthy, glue_pins())
        code, out, err = run_doctor(capsys, ["--job-name", name])
    finally:
        sts.stop()
    assert code == 0, out + err
    assert "role arn:aws:iam::123456789012:role/backup-report-job" in line(out, f"Glue job {name}")
    assert "assumed with the ExternalId" in line(out, "management role")
    assert line(out, "--additional-python-modules") == (
        f"✓ --additional-python-modules: the {len(glue_pins())} pins of requirements-glue.txt")
    assert line(out, "library-set") == "✓ library-set: analytics"
    assert EXTERNAL_ID not in out + err


def test_job_name_with_another_pin_fails_naming_the_package(healthy, capsys):
    modules = dict(glue_pins(), pyarrow="21.0.0")
    name = create_glue_job(healthy, modules, library_set=None)
    code, out, err = run_doctor(capsys, ["--job-name", name, "--EXTERNAL_ID", "x" * 8])
    assert code == 1
    pins = line(out, "--additional-python-modules")
    assert pins.startswith("✗ --additional-python-modules: pyarrow==21.0.0 (requirements-glue.txt pins "
                           f"{glue_pins()['pyarrow']})")
    assert "redeploy the reporting stack" in pins and "numpy" not in pins
    assert line(out, "library-set").startswith("✗ library-set: not set")
    assert "x" * 8 not in out + err and EXTERNAL_ID not in out + err


def test_an_unknown_glue_job_is_named(healthy, capsys):
    code, out, _ = run_doctor(capsys, ["--job-name", "no-such-job"])
    assert code == 1
    assert line(out, "Glue job no-such-job").startswith(f"✗ Glue job no-such-job: not found in {REGION}")


def test_through_the_cli(healthy, capsys):
    assert cli.main(["doctor", *healthy.args(REGIONS=REGION)]) == 0
    out = capsys.readouterr().out
    assert line(out, "cross-account monitoring").startswith("✓")
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "doctor" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        cli.main(["doctor", "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out == doctor.build_parser().format_help()


def test_the_help_names_every_job_argument_and_doctors_own():
    text = doctor.build_parser().format_help()
    for name in ARGUMENT_NAMES + ("job-name", "profile"):
        assert f"--{name} " in text, name


def test_options_take_both_spellings_and_check_the_job_arguments_unless_a_job_is_named():
    options = doctor.parse_options(["--REPORT_BUCKET=b-b-b", "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", "d",
                                    "--profile=reporting"])
    assert (options.job_name, options.profile) == (None, "reporting")
    assert parse_arguments(options.job_argv).bucket == "b-b-b"
    named = doctor.parse_options(["--job-name", "backup-report", "--LOOKBACK_DAYS", "40"])  # checked with the job's
    assert (named.job_name, named.job_argv) == ("backup-report", ["--LOOKBACK_DAYS", "40"])


@pytest.mark.parametrize("argv, named", [
    (["--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", "d"], "--REPORT_BUCKET is required"),
    (["--REPORT_BUCKET", "b-b-b", "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", "d", "--REGION", "x"],
     "unknown argument --REGION; did you mean --REGIONS?"),
    (["--job-name", "backup-report", "--job-nme", "x"], "unknown argument --job-nme: doctor takes"),
    (["--job-name"], "argument --job-name: expected one argument"),
    (["--job-name", " "], "argument --job-name: needs a value"),
    (["--job-name", "backup-report", "stray"], "unexpected 'stray'"),
])
def test_bad_arguments_exit_2_before_any_call(argv, named):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_REGION=REGION, AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
               PYTHONPATH=str(ROOT / "glue_jobs"))
    result = subprocess.run([sys.executable, "-m", "backup_report.cli", "doctor", *argv], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_emulator_cross_account_monitoring_off_lists_only_the_callers_own_jobs(report, emulator):
    emulator.load_jobs("backup", REGION, [
        api_job("backup", "b-own", MANAGEMENT_ACCOUNT, "2026-11-26T10:00:00", "COMPLETED"),
        api_job("backup", "b-member", MEMBER, "2026-11-26T11:00:00", "COMPLETED"),
    ])
    backup = boto3.client("backup", endpoint_url=emulator.url)

    def listed():
        pages = backup.get_paginator("list_backup_jobs").paginate(ByAccountId="*", PaginationConfig={"PageSize": 1})
        return sorted(j["BackupJobId"] for page in pages for j in page["BackupJobs"])

    assert listed() == ["b-member", "b-own"]
    assert emulator.set_faults(cross_account_monitoring_off=True)["cross_account_monitoring_off"] is True
    assert listed() == ["b-own"]
    assert emulator.faults()["cross_account_monitoring_off"] is True
    assert backup.list_backup_jobs(ByAccountId=MEMBER)["BackupJobs"][0]["BackupJobId"] == "b-member"
    emulator.set_faults()  # no argument: monitoring back on
    assert listed() == ["b-member", "b-own"]
    assert emulator.faults()["cross_account_monitoring_off"] is False


def test_a_region_of_regions_that_is_not_enabled_is_named(healthy, capsys):
    code, out, _ = run_doctor(capsys, healthy.args(REGIONS=f"{REGION},eu-south-2"))  # not among moto's regions
    assert code == 1
    enabled = line(out, "enabled regions")
    assert enabled.startswith("✗") and "--REGIONS names eu-south-2, not enabled" in enabled


def test_a_bad_argument_of_the_deployed_job_is_a_finding_not_exit_2(healthy, capsys):
    name = create_glue_job(healthy, dict(glue_pins(), numpy="1.26.4"), LOOKBACK_DAYS="40")
    code, out, err = run_doctor(capsys, ["--job-name", name])
    assert code == 1
    arguments = line(out, "job arguments")
    assert arguments.startswith("✗ job arguments: --LOOKBACK_DAYS 40 must be between 1 and 30")
    assert "fix the job's DefaultArguments" in arguments
    assert "numpy==1.26.4" in line(out, "--additional-python-modules")  # the job's own checks still run
    assert EXTERNAL_ID not in out + err


def test_an_unknown_profile_is_named(local_aws, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    code, out, _ = run_doctor(capsys, ["--profile", "no-such-profile", "--REPORT_BUCKET", "b-b-b",
                                       "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", "d"])
    assert code == 1
    assert line(out, "credentials").startswith("✗ credentials: ProfileNotFound")
    assert "check --profile / AWS_PROFILE" in line(out, "credentials")
