#!/usr/bin/env python3
"""Deploy backup-report into two AWS accounts, or tear it down.

    # management (or AWS Backup delegated admin) account + reporting account
    python scripts/deploy.py deploy --management-profile org-admin --reporting-profile reporting \\
        --region eu-west-1 [--param AlertEmail=ops@example.com] [--param Regions=eu-west-1,us-east-1]
    python scripts/deploy.py deploy ... --dry-run    # print every AWS call, make none
    python scripts/deploy.py teardown --management-profile org-admin --reporting-profile reporting --region eu-west-1
        [--yes]                                      # --yes: also empty and delete the kept buckets

``deploy``:

1. builds the job's wheel (scripts/build_package.py) unless ``--wheel`` names one;
2. creates or updates the management stack (cloudformation/template-management.yml) with the
   management profile: the read-only role the job assumes;
3. makes sure the artifacts bucket exists in the reporting account (by default
   ``backup-report-artifacts-<account>-<region>``, created encrypted, private and TLS-only),
   and uploads the entry script glue_jobs/backup_report_job.py and the wheel to it;
4. creates or updates the reporting stack (cloudformation/template-reporting.yml);
5. after a first deploy, starts one run with ``--REPORT_DATE <today> --LOOKBACK_DAYS 30``:
   the backfill of the ~30 days of jobs AWS Backup still holds.

Re-running ``deploy`` is safe: a stack without changes is left as it is ("no updates"), and
parameters not given again keep their previous values. ``teardown`` deletes both stacks; the
report bucket (the only history older than AWS Backup's 30 days) and the artifacts bucket
are kept, and it prints the command that empties each, then offers to run it (a confirmation
per bucket; ``--yes`` answers yes). Endpoints come from the standard SDK
configuration, so ``AWS_ENDPOINT_URL`` points everything at a local emulator (moto's server).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "glue_jobs"))
sys.path.insert(0, str(ROOT / "scripts"))

MANAGEMENT_TEMPLATE = ROOT / "cloudformation" / "template-management.yml"
REPORTING_TEMPLATE = ROOT / "cloudformation" / "template-reporting.yml"
ENTRY_SCRIPT = ROOT / "glue_jobs" / "backup_report_job.py"
#: CloudFormation takes a template body up to this size; larger ones go through S3.
MAX_TEMPLATE_BODY = 51200
STACK_TAGS = [{"Key": "project", "Value": "backup-report"}]
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]
TERMINAL_RUN_STATES = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}


class DeployError(Exception):
    """The deployment cannot go on; the message says why and what to do."""


# ---------------------------------------------------------------- AWS calls, real or printed
@dataclass
class Call:
    """One AWS call of the deployment, in the account it is made in."""

    account: str  # "management" | "reporting"
    service: str
    operation: str
    params: Dict[str, Any]


def _show(value: Any) -> str:
    if isinstance(value, _ParameterList):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    text = json.dumps(value, default=str, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 400 else text[:380] + f"...<{len(text)} chars>"


def _masked(params: Dict[str, Any]) -> Dict[str, Any]:
    """``params`` with secret-ish values (ExternalId) and template bodies shortened for printing."""
    shown = dict(params)
    if "TemplateBody" in shown:
        shown["TemplateBody"] = f"<{len(shown['TemplateBody'])} chars>"
    if "Parameters" in shown:
        shown["Parameters"] = _ParameterList(
            (p["ParameterKey"], "<previous value>" if p.get("UsePreviousValue") else
             "****" if p["ParameterKey"] == "ExternalId" else p.get("ParameterValue", ""))
            for p in shown["Parameters"])
    return shown


class _ParameterList(list):
    """Stack parameters as printed by a dry run: every one, in full, ExternalId masked."""

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}={v}" for k, v in self) + "}"


class Aws:
    """Every AWS call of the deployment goes through ``call``; with ``dry_run`` it is printed instead.
    ``out`` prints a line, ``ask`` asks the person at the terminal (None: nobody to ask).

    Sessions honour profiles, the region and the SDK's own endpoint settings (``AWS_ENDPOINT_URL``,
    ``AWS_ENDPOINT_URL_<SERVICE>``).
    """

    def __init__(self, profiles: Dict[str, Optional[str]], region: Optional[str], dry_run: bool = False,
                 out: Callable[[str], None] = print, ask: Optional[Callable[[str], str]] = None):
        self.profiles, self.dry_run, self.out, self.ask = profiles, dry_run, out, ask
        self.calls: List[Call] = []
        self._sessions: Dict[str, Any] = {}
        self._clients: Dict[Tuple[str, str], Any] = {}
        self.region = region
        if not dry_run:
            self.region = region or self.session("reporting").region_name
        else:
            self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not self.region:
            raise DeployError("No region: pass --region (or set AWS_REGION / the profile's region)")

    def session(self, account: str):
        if account not in self._sessions:
            import boto3  # only a real run needs boto3

            self._sessions[account] = boto3.Session(profile_name=self.profiles.get(account),
                                                    region_name=self.region)
        return self._sessions[account]

    def client(self, account: str, service: str):
        key = (account, service)
        if key not in self._clients:
            from botocore.config import Config

            config = Config(retries={"mode": "standard", "max_attempts": 10},
                            user_agent_extra="backup-report-deploy")
            self._clients[key] = self.session(account).client(service, region_name=self.region, config=config)
        return self._clients[key]

    def say(self, done: str, would: str) -> None:
        """Print ``done`` (what the deployment does now), or ``would`` in a dry run: nothing happens."""
        self.out(would if self.dry_run else done)

    def call(self, account: str, service: str, operation: str, dry_answer: Any = None, **params: Any) -> Any:
        self.calls.append(Call(account, service, operation, params))
        if self.dry_run:
            shown = ", ".join(f"{k}={_show(v)}" for k, v in _masked(params).items())
            self.out(f"[dry-run] {account}: {service}.{operation}({shown})")
            return dry_answer if dry_answer is not None else {}
        return getattr(self.client(account, service), operation)(**params)

    def wait(self, account: str, service: str, waiter: str, delay: int, **params: Any) -> None:
        self.calls.append(Call(account, service, "wait:" + waiter, params))
        if self.dry_run:
            shown = ", ".join(f"{k}={_show(v)}" for k, v in params.items())
            self.out(f"[dry-run] {account}: {service} waiter {waiter}({shown})")
            return
        self.client(account, service).get_waiter(waiter).wait(
            WaiterConfig={"Delay": delay, "MaxAttempts": max(1, 3600 // max(delay, 1))}, **params)

    def s3_endpoint(self, account: str) -> str:
        if self.dry_run:
            return f"https://s3.{self.region}.amazonaws.com"
        return self.client(account, "s3").meta.endpoint_url.rstrip("/")


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def error_message(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(error)


# ---------------------------------------------------------------- templates and stacks
def template_parameters(path: Path) -> Dict[str, Dict[str, Any]]:
    from render_named_queries import load_template

    return load_template(path).get("Parameters") or {}


@dataclass
class Stack:
    name: str
    status: str
    parameters: Dict[str, str] = field(default_factory=dict)
    outputs: Dict[str, str] = field(default_factory=dict)


def describe_stack(aws: Aws, account: str, name: str) -> Optional[Stack]:
    """The stack, or None when it does not exist (in a dry run: assumed not to exist)."""
    if aws.dry_run:
        aws.call(account, "cloudformation", "describe_stacks", StackName=name)
        return None
    from botocore.exceptions import ClientError

    try:
        answer = aws.call(account, "cloudformation", "describe_stacks", StackName=name)
    except ClientError as error:
        if "does not exist" in error_message(error):
            return None
        raise
    raw = answer["Stacks"][0]
    if raw["StackStatus"] == "DELETE_COMPLETE":
        return None
    return Stack(
        name=name,
        status=raw["StackStatus"],
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in raw.get("Parameters", [])},
        outputs={o["OutputKey"]: o["OutputValue"] for o in raw.get("Outputs", [])},
    )


def failure_reasons(aws: Aws, account: str, name: str, limit: int = 5) -> str:
    """The first failure reasons of a stack's recent events, for an error message."""
    try:
        events = aws.call(account, "cloudformation", "describe_stack_events", StackName=name)["StackEvents"]
    except Exception:  # noqa: BLE001 - best effort: the waiter's error is reported anyway
        return ""
    reasons = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}" for e in events
               if e.get("ResourceStatus", "").endswith("FAILED") and e.get("ResourceStatusReason")]
    return "; ".join(reasons[:limit])


def stack_parameters(name: str, template: Path, parameters: Dict[str, Optional[str]],
                     existing: Optional[Stack]) -> List[Dict[str, Any]]:
    """CloudFormation's ``Parameters`` for ``template``: a value given, else the previous one if the stack has it."""
    known = template_parameters(template)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise DeployError(f"{template.name} has no parameter {', '.join(unknown)} "
                          f"(it has: {', '.join(sorted(known))})")
    cfn_params: List[Dict[str, Any]] = []
    for key in known:
        if key in parameters and parameters[key] is not None:
            cfn_params.append({"ParameterKey": key, "ParameterValue": str(parameters[key])})
        elif existing and key in existing.parameters:
            cfn_params.append({"ParameterKey": key, "UsePreviousValue": True})
        elif key in parameters:
            raise DeployError(f"{name}: no value for parameter {key}")
    return cfn_params


def deploy_stack(aws: Aws, account: str, name: str, template: Path, parameters: Dict[str, Optional[str]],
                 delay: int, template_url: Optional[str] = None, existing: Optional[Stack] = None,
                 look_up: bool = True) -> Tuple[Stack, str]:
    """Create ``name`` or update it; return (stack, "created" | "updated" | "unchanged").

    ``parameters`` maps a key to its value, or to None for "keep the previous value".
    Parameters of the template not in ``parameters`` keep their previous value on update.
    """
    from botocore.exceptions import ClientError, WaiterError

    if look_up:
        existing = describe_stack(aws, account, name)
    if existing and existing.status == "ROLLBACK_COMPLETE":
        # A failed first create leaves a stack that can only be deleted.
        aws.say(f"{name}: deleting the stack left by a failed create (ROLLBACK_COMPLETE)",
                f"{name}: would delete the stack left by a failed create (ROLLBACK_COMPLETE)")
        aws.call(account, "cloudformation", "delete_stack", StackName=name)
        aws.wait(account, "cloudformation", "stack_delete_complete", delay, StackName=name)
        existing = None
    cfn_params = stack_parameters(name, template, parameters, existing)
    source: Dict[str, str] = ({"TemplateURL": template_url} if template_url
                              else {"TemplateBody": template.read_text(encoding="utf-8")})
    common = dict(StackName=name, Parameters=cfn_params, Capabilities=CAPABILITIES, Tags=STACK_TAGS, **source)
    try:
        if existing is None:
            aws.say(f"{name}: creating ({account} account)", f"{name}: would create ({account} account)")
            aws.call(account, "cloudformation", "create_stack", OnFailure="ROLLBACK", **common)
            aws.wait(account, "cloudformation", "stack_create_complete", delay, StackName=name)
            outcome = "created"
        else:
            aws.say(f"{name}: updating ({account} account)", f"{name}: would update ({account} account)")
            try:
                aws.call(account, "cloudformation", "update_stack", **common)
            except ClientError as error:
                if "No updates are to be performed" not in error_message(error):
                    raise
                aws.out(f"{name}: no changes")
                return existing, "unchanged"
            aws.wait(account, "cloudformation", "stack_update_complete", delay, StackName=name)
            outcome = "updated"
    except WaiterError as error:
        reasons = failure_reasons(aws, account, name)
        raise DeployError(f"{name} did not reach a complete state: {error}"
                          + (f". Failed resources: {reasons}" if reasons else "")) from error
    except ClientError as error:
        raise DeployError(f"{name}: {error_code(error)}: {error_message(error)}") from error
    stack = describe_stack(aws, account, name) if not aws.dry_run else None
    if stack is None:  # dry run: the outputs are not known yet
        given = {k: v for k, v in parameters.items() if v is not None}
        stack = Stack(name, "DRY_RUN", parameters={k: given.get(k, f"<{k}>") for k in parameters},
                      outputs={k: f"<{name}.{k}>" for k in output_keys(template, given)})
    return stack, outcome


def output_keys(template: Path, values: Dict[str, str]) -> List[str]:
    """The outputs a stack of ``template`` has with parameter ``values`` (the others: their
    defaults): an output whose ``Condition`` is false is left out."""
    from render_named_queries import load_template

    body = load_template(template)
    return [key for key, output in (body.get("Outputs") or {}).items()
            if "Condition" not in output or condition_holds(body, output["Condition"], values) is not False]


def condition_holds(body: Dict[str, Any], name: str, values: Dict[str, str]) -> Optional[bool]:
    """Whether condition ``name`` of a template holds with parameter ``values`` (the others:
    their defaults); None when it uses something else than Ref, Equals, Not, And, Or, Condition."""
    parameters = body.get("Parameters") or {}

    def evaluate(node: Any) -> Any:
        if isinstance(node, (str, int, float)) and not isinstance(node, bool):
            return str(node)
        if not isinstance(node, dict) or len(node) != 1:
            return None
        (function, argument), = node.items()
        if function == "Ref" and argument in parameters:
            return str(values.get(argument, parameters[argument].get("Default", "")))
        if function == "Fn::Condition":
            return evaluate((body.get("Conditions") or {}).get(argument))
        parts = [evaluate(a) for a in argument] if isinstance(argument, list) else []
        if None in parts or not parts:
            return None
        if function == "Fn::Equals" and len(parts) == 2:
            return parts[0] == parts[1]
        if function == "Fn::Not" and len(parts) == 1:
            return not parts[0]
        if function in ("Fn::And", "Fn::Or"):
            return all(parts) if function == "Fn::And" else any(parts)
        return None

    held = evaluate((body.get("Conditions") or {}).get(name))
    return held if isinstance(held, bool) else None


# ---------------------------------------------------------------- artifacts
def default_artifacts_bucket(account_id: str, region: str) -> str:
    return f"backup-report-artifacts-{account_id}-{region}"


def ensure_artifacts_bucket(aws: Aws, bucket: str, create: bool) -> None:
    """Make sure ``bucket`` exists in the reporting account; create it (private, encrypted, TLS only) if allowed."""
    from botocore.exceptions import ClientError

    try:
        aws.call("reporting", "s3", "head_bucket", Bucket=bucket)
        if not aws.dry_run:
            return
    except ClientError as error:
        if error_code(error) not in ("404", "NoSuchBucket", "NotFound"):
            raise DeployError(f"Cannot use the artifacts bucket {bucket}: {error_code(error)} "
                              f"{error_message(error)} (pass --artifacts-bucket with a bucket of the "
                              "reporting account)") from error
    if not create:
        if aws.dry_run:
            return
        raise DeployError(f"The artifacts bucket {bucket} does not exist: create it in the reporting "
                          "account and region, or leave out --artifacts-bucket to use a default one")
    aws.say(f"creating the artifacts bucket {bucket}",
            f"would create the artifacts bucket {bucket} if the head_bucket above answers 404")
    create_args: Dict[str, Any] = {"Bucket": bucket}
    if aws.region != "us-east-1":
        create_args["CreateBucketConfiguration"] = {"LocationConstraint": aws.region}
    aws.call("reporting", "s3", "create_bucket", **create_args)
    aws.call("reporting", "s3", "put_public_access_block", Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    aws.call("reporting", "s3", "put_bucket_encryption", Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    if aws.s3_endpoint("reporting").startswith("http://"):
        aws.out(f"{bucket}: no TLS-only policy: the S3 endpoint ({aws.s3_endpoint('reporting')}) is plain HTTP")
        return
    partition = "aws-cn" if aws.region.startswith("cn-") else ("aws-us-gov" if aws.region.startswith("us-gov-") else "aws")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    aws.call("reporting", "s3", "put_bucket_policy", Bucket=bucket, Policy=json.dumps(policy))


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def upload(aws: Aws, bucket: str, key: str, path: Path) -> None:
    aws.say(f"uploading {_rel(path)} to s3://{bucket}/{key}", f"would upload {_rel(path)} to s3://{bucket}/{key}")
    body: Any = f"<file {_rel(path)}>" if aws.dry_run else path.read_bytes()
    aws.call("reporting", "s3", "put_object", Bucket=bucket, Key=key, Body=body)


# ---------------------------------------------------------------- deploy
def parse_params(items: Sequence[str], flag: str) -> Dict[str, str]:
    params: Dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DeployError(f"{flag} {item!r}: expected KEY=VALUE, e.g. {flag} AlertEmail=ops@example.com")
        params[key.strip()] = value
    return params


def account_id(aws: Aws, account: str, given: Optional[str]) -> str:
    if given:
        return given
    answer = aws.call(account, "sts", "get_caller_identity", dry_answer={"Account": f"<{account}-account-id>"})
    return answer["Account"]


def job_wheel(aws: Aws, given: Optional[str]) -> Path:
    from build_package import DIST, BuildError, build_wheel, check_wheel

    if given:
        wheel = Path(given)
        if not wheel.is_file():
            raise DeployError(f"--wheel {given}: no such file (build it with: python scripts/build_package.py)")
        try:
            check_wheel(wheel)
        except BuildError as error:
            raise DeployError(str(error)) from error
        return wheel
    if aws.dry_run:
        from backup_report import __version__

        wheel = DIST / f"backup_report-{__version__}-py3-none-any.whl"
        aws.out(f"[dry-run] would build {_rel(wheel)} (scripts/build_package.py)")
        return wheel
    try:
        wheel = build_wheel()
    except BuildError as error:
        raise DeployError(str(error)) from error
    aws.out(f"built {_rel(wheel)}")
    return wheel


def tables_exist(aws: Aws, database: str, tables: Sequence[str]) -> bool:
    """Whether the job has created ``tables`` yet (QuickSight datasets need them)."""
    from botocore.exceptions import ClientError

    try:
        for table in tables:
            aws.call("reporting", "glue", "get_table", DatabaseName=database, Name=table)
    except ClientError as error:
        if error_code(error) == "EntityNotFoundException":
            return False
        raise DeployError(f"Cannot read the Glue table {database}: {error_message(error)}") from error
    return not aws.dry_run


def start_backfill(aws: Aws, job_name: str, days: int, today: dt.date) -> Optional[str]:
    """Start one run that rewrites the last ``days`` days; return its run id."""
    from botocore.exceptions import ClientError

    arguments = {"--REPORT_DATE": today.isoformat(), "--LOOKBACK_DAYS": str(days)}
    try:
        answer = aws.call("reporting", "glue", "start_job_run", dry_answer={"JobRunId": "<job-run-id>"},
                          JobName=job_name, Arguments=arguments)
    except ClientError as error:
        if error_code(error) == "ConcurrentRunsExceededException":
            aws.out(f"{job_name} is already running: start the backfill once it has finished with\n"
                    f"  aws glue start-job-run --job-name {job_name} --arguments "
                    f"'{json.dumps(arguments)}'")
            return None
        raise DeployError(f"Cannot start {job_name}: {error_code(error)}: {error_message(error)}") from error
    run_id = answer["JobRunId"]
    shown = " ".join(f"{k} {v}" for k, v in arguments.items())
    aws.say(f"started the backfill run {run_id} of {job_name}: {shown}",
            f"would start the backfill run of {job_name}: {shown}")
    return run_id


def wait_for_run(aws: Aws, job_name: str, run_id: str, delay: int, timeout: float = 3 * 3600) -> str:
    """Poll the run until it ends; return its final state."""
    deadline = time.monotonic() + timeout
    while True:
        run = aws.call("reporting", "glue", "get_job_run", dry_answer={"JobRun": {"JobRunState": "SUCCEEDED"}},
                       JobName=job_name, RunId=run_id)["JobRun"]
        state = run.get("JobRunState", "")
        if state in TERMINAL_RUN_STATES:
            if state != "SUCCEEDED":
                aws.out(f"{job_name} run {run_id} ended {state}: {run.get('ErrorMessage', '')}")
            return state
        if time.monotonic() > deadline:
            return state
        time.sleep(delay)


def resolve_external_id(args: argparse.Namespace, management: Optional[Stack], reporting: Optional[Stack],
                        aws: Aws) -> Optional[str]:
    """The ExternalId to deploy, or None for "keep the one both stacks already have"."""
    if args.external_id:
        return args.external_id
    management_known = bool(args.management_role_arn) or management is not None
    if reporting is not None and management_known:
        return None
    if reporting is None and management is None and not args.management_role_arn:
        kept = "kept, NoEcho, in both stacks' parameters; the job reads it from its --EXTERNAL_ID argument"
        aws.say(f"generated a new ExternalId ({kept})", f"would generate a new ExternalId ({kept})")
        return secrets.token_urlsafe(32)
    raise DeployError("An ExternalId cannot be read back from an existing stack (NoEcho): pass "
                      "--external-id with the value the management side was deployed with")


def check_deploy_options(args: argparse.Namespace, reporting_params: Dict[str, str],
                         management_params: Dict[str, str]) -> None:
    """Refuse parameters deploy.py sets itself and a backfill AWS Backup cannot serve."""
    for reserved in ("ExternalId", "JobRoleName", "ManagementRoleArn", "ArtifactsBucket", "ArtifactsPrefix",
                     "WheelFileName", "ReportingAccountId"):
        if reserved in reporting_params or reserved in management_params:
            raise DeployError(f"{reserved} is set by deploy.py itself: use its own option "
                              "(--external-id, --job-role-name, --artifacts-bucket, ...)")
    if not 1 <= args.backfill_days <= 30:
        raise DeployError("--backfill-days must be between 1 and 30 (AWS Backup keeps about 30 days of jobs)")


def defer_quicksight(aws: Aws, first_run: str, reporting: Optional[Stack],
                     reporting_params: Dict[str, str]) -> Optional[str]:
    """QuickSightPrincipalArn, taken out of ``reporting_params`` when the tables its datasets read do
    not exist yet (the first run creates them); None when the datasets can be deployed now."""
    if not reporting_params.get("QuickSightPrincipalArn"):
        return None
    previous = reporting.parameters.get("GlueDatabaseName") if reporting else None
    database = (reporting_params.get("GlueDatabaseName") or previous
                or template_parameters(REPORTING_TEMPLATE)["GlueDatabaseName"]["Default"])
    if tables_exist(aws, str(database), ("backup_jobs", "report_runs")):
        return None
    if first_run == "never":
        raise DeployError("QuickSight datasets need the tables the first run creates: deploy without "
                          "QuickSightPrincipalArn, let the job run, then deploy again with it")
    deferred = reporting_params["QuickSightPrincipalArn"]
    reporting_params["QuickSightPrincipalArn"] = ""
    aws.say("QuickSight: the tables do not exist yet; the datasets are added after the first run",
            "QuickSight: would add the datasets after the first run, which creates their tables")
    return deferred


def cmd_deploy(args: argparse.Namespace, aws: Aws) -> int:
    delay = args.poll_seconds
    reporting_params = parse_params(args.param, "--param")
    management_params = parse_params(args.management_param, "--management-param")
    check_deploy_options(args, reporting_params, management_params)

    reporting_id = account_id(aws, "reporting", args.reporting_account_id)
    if not args.management_role_arn:
        account_id(aws, "management", None)  # fail early when the management profile does not work
    wheel = job_wheel(aws, args.wheel)

    management = None if args.management_role_arn else describe_stack(aws, "management", args.management_stack)
    reporting = describe_stack(aws, "reporting", args.reporting_stack)
    external_id = resolve_external_id(args, management, reporting, aws)

    deferred_quicksight = defer_quicksight(aws, args.first_run, reporting, reporting_params)

    # 1. the management side: the read-only role
    if args.management_role_arn:
        role_arn = args.management_role_arn
        aws.out(f"using the existing management role {role_arn}")
    else:
        mparams: Dict[str, Optional[str]] = {"ReportingAccountId": reporting_id, "JobRoleName": args.job_role_name,
                                             "ExternalId": external_id, **management_params}
        mstack, _ = deploy_stack(aws, "management", args.management_stack, MANAGEMENT_TEMPLATE, mparams, delay,
                                 existing=management, look_up=False)
        role_arn = mstack.outputs["ManagementRoleArn"]

    # 2. the job's artifacts
    bucket = args.artifacts_bucket or default_artifacts_bucket(reporting_id, aws.region)
    ensure_artifacts_bucket(aws, bucket, create=not args.artifacts_bucket)
    prefix = args.artifacts_prefix.strip("/")
    upload(aws, bucket, f"{prefix}/backup_report_job.py", ENTRY_SCRIPT)
    upload(aws, bucket, f"{prefix}/{wheel.name}", wheel)
    template_url = None
    body = REPORTING_TEMPLATE.read_bytes()
    if len(body) > MAX_TEMPLATE_BODY:
        key = f"{prefix}/templates/template-reporting-{hashlib.sha256(body).hexdigest()[:16]}.yml"
        upload(aws, bucket, key, REPORTING_TEMPLATE)
        template_url = f"{aws.s3_endpoint('reporting')}/{bucket}/{key}"

    # 3. the reporting side
    rparams: Dict[str, Optional[str]] = {
        "ManagementRoleArn": role_arn, "ExternalId": external_id, "JobRoleName": args.job_role_name,
        "ArtifactsBucket": bucket, "ArtifactsPrefix": prefix, "WheelFileName": wheel.name, **reporting_params}
    rstack, outcome = deploy_stack(aws, "reporting", args.reporting_stack, REPORTING_TEMPLATE, rparams, delay,
                                   template_url=template_url, existing=reporting, look_up=False)

    # 4. the backfill run
    job_name = rstack.outputs.get("JobName", "backup-report")
    wanted = {"always": True, "never": False}.get(args.first_run, outcome == "created")
    if wanted or deferred_quicksight:
        run_id = start_backfill(aws, job_name, args.backfill_days, dt.datetime.now(dt.timezone.utc).date())
        if run_id and (args.wait or deferred_quicksight):
            aws.say(f"waiting for run {run_id} (it installs the pinned modules first: a few minutes)",
                    "would wait for that run (it installs the pinned modules first: a few minutes)")
            state = wait_for_run(aws, job_name, run_id, delay)
            if state != "SUCCEEDED":
                raise DeployError(f"the backfill run {run_id} ended {state}: see the job's CloudWatch logs "
                                  "(/aws-glue/python-jobs/error, or /aws-glue/python-jobs-<role>-<security "
                                  "configuration>/error with KmsKeyArn) and the report_runs table")
        if deferred_quicksight:
            rstack, _ = deploy_stack(aws, "reporting", args.reporting_stack, REPORTING_TEMPLATE,
                                     {"QuickSightPrincipalArn": deferred_quicksight}, delay,
                                     template_url=template_url, existing=rstack, look_up=not aws.dry_run)

    aws.out("")
    aws.say(f"reporting stack {args.reporting_stack} ({outcome}):",
            f"reporting stack {args.reporting_stack} (would be {outcome}), its outputs:")
    for key, value in sorted(rstack.outputs.items()):
        aws.out(f"  {key}: {value}")
    aws.out(f"management role: {role_arn}")
    return 0


# ---------------------------------------------------------------- teardown
#: Empties a bucket of every object version and delete marker, then deletes it: the report bucket
#: is versioned, and ``aws s3 rb --force`` would leave its old versions (and the bucket) behind.
EMPTY_BUCKET = ("python -c 'import boto3, sys; profile, region, name = sys.argv[1:]; "
                "bucket = boto3.Session(profile_name=profile or None, region_name=region).resource(\"s3\")"
                ".Bucket(name); bucket.object_versions.delete(); bucket.delete()'")


def empty_bucket_command(profile: Optional[str], region: str, bucket: str) -> str:
    """The shell command that empties every object version of ``bucket``, then deletes the bucket."""
    return " ".join([EMPTY_BUCKET, shlex.quote(profile or ""), shlex.quote(region), shlex.quote(bucket)])


def empty_bucket(aws: Aws, bucket: str) -> None:
    """Delete every object version and delete marker of ``bucket``, then the bucket (reporting account)."""
    from botocore.exceptions import ClientError

    deleted = 0
    try:
        for page in aws.client("reporting", "s3").get_paginator("list_object_versions").paginate(Bucket=bucket):
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if objects:  # a page holds at most 1000: what one DeleteObjects takes
                answer = aws.call("reporting", "s3", "delete_objects", Bucket=bucket,
                                  Delete={"Objects": objects, "Quiet": True})
                if answer.get("Errors"):
                    first = answer["Errors"][0]
                    raise DeployError(f"Cannot empty s3://{bucket}: {len(answer['Errors'])} object version(s) "
                                      f"not deleted, e.g. {first.get('Key')}: {first.get('Code')} "
                                      f"{first.get('Message', '')}")
                deleted += len(objects)
        aws.call("reporting", "s3", "delete_bucket", Bucket=bucket)
    except ClientError as error:
        raise DeployError(f"Cannot empty and delete s3://{bucket}: {error_code(error)}: "
                          f"{error_message(error)}") from error
    aws.out(f"deleted s3://{bucket} and its {deleted} object version(s) and delete marker(s)")


def kept_buckets(stack: Stack, region: str) -> List[Tuple[str, str]]:
    """(bucket, what it holds) of the buckets a reporting stack keeps when it is deleted: the
    report bucket and, when deploy.py created it, the artifacts bucket (not one of your own)."""
    kept = []
    if stack.outputs.get("ReportBucketName"):
        kept.append((stack.outputs["ReportBucketName"], "the report history and the Athena results"))
    artifacts = stack.parameters.get("ArtifactsBucket", "")
    owner = re.search(r":iam::(\d{12}):", stack.outputs.get("JobRoleArn", ""))
    if owner and artifacts == default_artifacts_bucket(owner.group(1), region):
        kept.append((artifacts, "the job's artifacts, created by deploy.py"))
    return kept


def offer_to_empty(aws: Aws, buckets: List[Tuple[str, str]], profile: Optional[str], yes: bool) -> None:
    """Name the kept ``buckets`` and the command that empties each; then empty and delete each one
    whose name answers ``aws.ask`` (every one with ``yes``; none when there is no one to ask)."""
    aws.out("")
    if not buckets:  # a dry run, or a stack that was already gone: their names are not known
        kept = ("the report bucket (DeletionPolicy Retain: the only history older than AWS Backup's 30 days; "
                "the stack's ReportBucketName output) and the artifacts bucket (backup-report-artifacts-<account>-"
                "<region> when deploy.py created it). To delete one, empty every object version, then the bucket:")
        aws.say(f"Kept on purpose: {kept}", f"Would be kept on purpose: {kept}")
        aws.out("  " + empty_bucket_command(profile, aws.region, "<bucket>"))
        if yes:
            aws.say("--yes: their names are not known, nothing was emptied",
                    "--yes: would empty and delete both, every object version, without asking")
        return
    aws.out("Kept on purpose (the report bucket holds the only history older than AWS Backup's 30 days):")
    for bucket, holds in buckets:
        aws.out(f"  s3://{bucket}: {holds}")
    aws.out("To delete one, empty every object version (nothing can bring them back), then the bucket:")
    for bucket, _ in buckets:
        aws.out("  " + empty_bucket_command(profile, aws.region, bucket))
    for bucket, _ in buckets:
        if not yes:
            if aws.ask is None:
                continue
            try:
                answer = aws.ask(f"Empty and delete s3://{bucket} now? Type its name to confirm, Enter keeps it: ")
            except EOFError:
                answer = ""
            if answer.strip() != bucket:
                aws.out(f"kept s3://{bucket}")
                continue
        empty_bucket(aws, bucket)


def cmd_teardown(args: argparse.Namespace, aws: Aws) -> int:
    delay = args.poll_seconds
    targets = [("reporting", args.reporting_stack)]
    if not args.keep_management:
        targets.append(("management", args.management_stack))
    kept: List[Tuple[str, str]] = []
    deleted = 0
    for account, name in targets:
        stack = describe_stack(aws, account, name)
        if stack is None and not aws.dry_run:
            aws.out(f"{name}: no such stack in the {account} account")
            continue
        if stack is not None and account == "reporting":
            kept = kept_buckets(stack, aws.region)
        aws.say(f"{name}: deleting ({account} account)", f"{name}: would delete ({account} account)")
        aws.call(account, "cloudformation", "delete_stack", StackName=name)
        try:
            aws.wait(account, "cloudformation", "stack_delete_complete", delay, StackName=name)
        except Exception as error:  # noqa: BLE001 - WaiterError; report the stack's own reasons
            reasons = failure_reasons(aws, account, name)
            raise DeployError(f"{name} was not deleted: {error}" + (f". {reasons}" if reasons else "")) from error
        deleted += 1
    if deleted:
        offer_to_empty(aws, kept, aws.profiles.get("reporting"), args.yes)
    return 0


# ---------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--region", help="region of both stacks (default: the profile's or AWS_REGION)")
    common.add_argument("--profile", help="AWS profile of both accounts, unless the two below are given")
    common.add_argument("--management-profile",
                        help="profile of the Organizations management or AWS Backup delegated admin account")
    common.add_argument("--reporting-profile", help="profile of the reporting account")
    common.add_argument("--management-stack", default="backup-report-management", help="(default: %(default)s)")
    common.add_argument("--reporting-stack", default="backup-report", help="(default: %(default)s)")
    common.add_argument("--dry-run", action="store_true", help="print every AWS call instead of making it")
    common.add_argument("--poll-seconds", type=int, default=10, help=argparse.SUPPRESS)

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    deploy = commands.add_parser("deploy", parents=[common], help="create or update both stacks, upload, backfill")
    deploy.add_argument("--external-id", help="ExternalId of the role trust (default: generated on first deploy, "
                                              "kept afterwards)")
    deploy.add_argument("--job-role-name", default="backup-report-job", help="(default: %(default)s)")
    deploy.add_argument("--management-role-arn",
                        help="use a management role deployed some other way; skip the management stack")
    deploy.add_argument("--reporting-account-id", help="skip the sts:GetCallerIdentity look-up")
    deploy.add_argument("--artifacts-bucket",
                        help="existing bucket for the job's artifacts (default: backup-report-artifacts-"
                             "<account>-<region>, created when missing)")
    deploy.add_argument("--artifacts-prefix", default="backup-report/artifacts", help="(default: %(default)s)")
    deploy.add_argument("--wheel", help="the job's wheel (default: built with scripts/build_package.py)")
    deploy.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a reporting stack parameter, e.g. AlertEmail=ops@example.com (repeatable)")
    deploy.add_argument("--management-param", action="append", default=[], metavar="KEY=VALUE",
                        help="a management stack parameter, e.g. RoleName=BackupReportRead (repeatable)")
    deploy.add_argument("--first-run", choices=("auto", "always", "never"), default="auto",
                        help="start the backfill run: after a first deploy (auto), every time, or never")
    deploy.add_argument("--backfill-days", type=int, default=30, help="--LOOKBACK_DAYS of that run (default 30)")
    deploy.add_argument("--wait", action="store_true", help="wait for the backfill run to end")
    deploy.set_defaults(handler=cmd_deploy)

    teardown = commands.add_parser("teardown", parents=[common],
                                   help="delete both stacks (the report bucket is kept)")
    teardown.add_argument("--keep-management", action="store_true", help="delete the reporting stack only")
    teardown.add_argument("--yes", action="store_true",
                          help="also empty and delete the kept buckets (the report history!) without asking")
    teardown.set_defaults(handler=cmd_teardown)
    return parser


def main(argv: Optional[Sequence[str]] = None, out: Callable[[str], None] = print,
         ask: Optional[Callable[[str], str]] = None) -> int:
    """Run a command; ``out`` prints, ``ask`` asks a question (default: ``input`` on a terminal,
    else no question is asked)."""
    args = build_parser().parse_args(argv)
    if ask is None and sys.stdin is not None and sys.stdin.isatty():
        ask = input
    profiles = {"management": args.management_profile or args.profile,
                "reporting": args.reporting_profile or args.profile}
    try:
        aws = Aws(profiles, args.region, dry_run=args.dry_run, out=out, ask=ask)
        return args.handler(args, aws)
    except DeployError as error:
        print(f"deploy: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # botocore's own errors: name them, no traceback
        if type(error).__module__.startswith("botocore"):
            print(f"deploy: error: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
