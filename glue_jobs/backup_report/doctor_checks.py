"""The preflight's checks: each asks one read-only question and answers with a ``Check`` line.

Where the job checks something itself before it lists (the bucket, the database, the
management role, the enabled regions), the check here calls the job's own function and
shows the job's named error: doctor and a failed run say the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from . import aws, catalog, listing, org, write
from .arguments import Settings
from .aws import AWS_ERRORS
from .errors import BackupReportError, BucketError, CatalogError, ConfigurationError, RoleError
from .resources import glue_pins
from .schema import JOB_TABLES, Table

OK, FAIL, WARN, SKIP = "ok", "fail", "warn", "skip"
MARKS = {OK: "✓", FAIL: "✗", WARN: "⚠", SKIP: "·"}
#: The service principal whose trusted access AWS Backup's cross-account features need.
BACKUP_PRINCIPAL = "backup.amazonaws.com"
MONITORING_FIX = ("in the management account, AWS Backup console → Settings → Cross-account monitoring → "
                  "Turn on (it needs trusted access for AWS Backup in Organizations)")
TRUSTED_ACCESS_FIX = ("in the management account: Organizations console → Services → AWS Backup → Enable "
                      "trusted access, or aws organizations enable-aws-service-access --service-principal "
                      + BACKUP_PRINCIPAL)
REDEPLOY_FIX = "redeploy the reporting stack (python scripts/deploy.py deploy ...)"


@dataclass
class Check:
    """One checked fact: ``ok``, ``fail``, ``warn`` or ``skip``, with the cause and the fix."""

    name: str
    status: str
    detail: str = ""
    fix: str = ""

    def line(self) -> str:
        text = f"{MARKS[self.status]} {self.name}"
        if self.detail:
            text += f": {self.detail}"
        if self.fix and self.status != OK:
            text += f" — {self.fix}"
        return text


def failed(name: str, error: BackupReportError, more_fix: str = "") -> Check:
    """The ✗ line of a job's named error: its message, and its fix (then ``more_fix``)."""
    fix = "; ".join(part for part in (error.fix, more_fix) if part)
    return Check(name, FAIL, error.problem or str(error), fix)


def check_region(session: boto3.Session) -> Check:
    """The region the SDK resolves (AWS_DEFAULT_REGION, else the profile's ``region``; boto3
    does not read AWS_REGION)."""
    if session.region_name:
        return Check("region", OK, session.region_name)
    return Check("region", FAIL, "no AWS region is configured",
                 "set AWS_DEFAULT_REGION (boto3 does not read AWS_REGION), or region in your profile "
                 "(aws configure set region <region> --profile <profile>)")


def check_caller(session: boto3.Session) -> Tuple[Check, Optional[Mapping[str, Any]]]:
    """Who calls: sts:GetCallerIdentity (needs no permission, so only bad credentials fail it)."""
    fix = ("configure credentials of the reporting account: AWS_PROFILE / --profile, aws sso login, "
           "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    try:
        if session.get_credentials() is None:
            return Check("credentials", FAIL, "no AWS credentials found", fix), None
        identity = session.client("sts", config=aws.botocore_config()).get_caller_identity()
    except AWS_ERRORS as error:
        return Check("credentials", FAIL, aws.describe_error(error), fix), None
    return Check("credentials", OK, f"{identity['Arn']} (account {identity['Account']})"), identity


def load_job(session: boto3.Session, name: str) -> Tuple[Check, Optional[Mapping[str, Any]]]:
    """The deployed Glue job (glue:GetJob): its DefaultArguments and role."""
    check = f"Glue job {name}"
    try:
        job = session.client("glue", config=aws.botocore_config()).get_job(JobName=name)["Job"]
    except ClientError as error:
        if aws.error_code(error) == "EntityNotFoundException":
            return Check(check, FAIL, f"not found in {session.region_name}",
                         "check --job-name and the region (AWS_DEFAULT_REGION), or deploy the reporting stack"), None
        return Check(check, FAIL, aws.describe_error(error),
                     "allow glue:GetJob to the caller, or pass the job's arguments instead of --job-name"), None
    except BotoCoreError as error:
        return Check(check, FAIL, aws.describe_error(error), "check your network and region"), None
    return Check(check, OK, f"arguments read, role {job.get('Role', '?')}"), job


def check_bucket(session: boto3.Session, bucket: str, prefix: str) -> Check:
    """The report bucket, as the job checks it (``write.check_bucket``: HeadBucket, allowed by s3:ListBucket).

    Read-only on purpose: s3:PutObject cannot be proven without writing an object, so it is
    not checked (the job's role is granted it on ``<bucket>/<prefix>/*`` by the stack).
    """
    try:
        write.check_bucket(session, bucket)
    except BucketError as error:
        return failed("report bucket", error)
    return Check("report bucket", OK, f"s3://{bucket}/{prefix}/ (writing is not tested: doctor never writes)")


def check_database(session: boto3.Session, database: str) -> Check:
    """The Glue database, as the job checks it (``catalog.check_database``: glue:GetDatabase)."""
    try:
        catalog.check_database(session, database)
    except CatalogError as error:
        return failed("Glue database", error)
    return Check("Glue database", OK, database)


def check_role(session: boto3.Session, settings: Settings, caller_arn: str, job_role: str = ""
               ) -> Tuple[Check, Optional[boto3.Session]]:
    """The management role, assumed as the job assumes it (``aws.assume_management_session``)."""
    try:
        management = aws.assume_management_session(session, settings.role_arn, settings.external_id, "doctor")
    except RoleError as error:
        more = [f"the caller here is {caller_arn}"] if caller_arn else []
        if aws.error_code(error.__cause__ or error) in ("AccessDenied", "AccessDeniedException"):
            # The management stack's trust policy names the job's role (aws:PrincipalArn) and
            # the roles of its OperatorRoleArns: other credentials are refused even with the
            # right ExternalId.
            more.append("the management stack's role admits the Glue job's role" + (f" {job_role}" if job_role else "")
                        + " and the roles of its OperatorRoleArns parameter: add yours there to run doctor")
        return failed("management role", error, "; ".join(more)), None
    how = "with the ExternalId" if settings.external_id else "without an ExternalId"
    return Check("management role", OK, f"{settings.role_arn} assumed {how}"), management


def check_enabled_regions(management: boto3.Session, requested: Optional[Tuple[str, ...]]
                          ) -> Tuple[Check, Tuple[str, ...]]:
    """The regions enabled for the management account, as the job reads them (``aws.enabled_regions``),
    against --REGIONS."""
    check = "enabled regions"
    try:
        enabled = aws.enabled_regions(management)
    except ConfigurationError as error:
        if requested:  # the job lists --REGIONS and never asks for the enabled ones
            return Check(check, WARN, f"{error.problem}; not needed while --REGIONS is given", error.fix), requested
        return failed(check, error), ()
    if requested:
        missing = [r for r in requested if r not in enabled]
        if missing:
            return Check(check, FAIL, f"--REGIONS names {', '.join(missing)}, not enabled for the management "
                                      "account",
                         "enable the region (Account → AWS Regions) or leave it out of --REGIONS"), requested
        return Check(check, OK, f"the {len(requested)} region(s) of --REGIONS are enabled"), requested
    return Check(check, OK, f"{len(enabled)} region(s): {', '.join(enabled)}"), enabled


def check_listing(client, region: str, tables: Sequence[Table] = JOB_TABLES) -> Tuple[Check, Optional[Set[str]]]:
    """Each job type of ``tables`` can be listed with ByAccountId='*' in ``region`` (its List*Jobs'
    first page); the accounts of those pages, None when every listing was refused."""
    check = f"job listings (ByAccountId='*') in {region}"
    accounts: Set[str] = set()
    listed: List[str] = []
    refused: Dict[str, str] = {}  # operation -> why
    jobs, more = 0, ""
    for table in tables:
        operation = client.meta.method_to_api_mapping[table.operation]
        try:
            page = getattr(client, table.operation)(ByAccountId="*", MaxResults=listing.PAGE_SIZE)
        except AWS_ERRORS as error:
            refused[operation] = f"{table.job_type} ({operation}: {aws.describe_error(error)})"
            continue
        listed.append(table.job_type)
        items = page.get(table.result_key, [])
        jobs += len(items)
        more = ", more pages" if page.get("NextToken") else more
        accounts |= {str(j.get("AccountId")) for j in items if j.get("AccountId")}
    if refused:
        also = f"; listed: {', '.join(listed)}" if listed else ""
        return Check(check, FAIL, "refused: " + "; ".join(refused.values()) + also,
                     "grant " + ", ".join(f"backup:{op}" for op in refused) + " to the management role, check that "
                     "no SCP denies the region, or leave those job types out of --JOB_TYPES or the region out of "
                     "--REGIONS"), (accounts if listed else None)
    return Check(check, OK, f"{', '.join(listed)}: {jobs} job(s) of {len(accounts)} account(s) on the first "
                            f"pages{more}"), accounts


def organization_accounts(management: boto3.Session) -> Tuple[Check, Optional[Set[str]]]:
    """The organisation's account ids (organizations:ListAccounts); None when it cannot be read."""
    check = "organisation accounts (organizations:ListAccounts)"
    try:
        ids = set(org.list_accounts(management))
    except ClientError as error:
        if aws.error_code(error) == "AWSOrganizationsNotInUseException":
            return Check(check, FAIL, "the management account is not in an organisation",
                         "create the organisation (all features) or use its management account"), None
        return Check(check, WARN, f"{aws.describe_error(error)}: account_name will be empty in the reports",
                     "grant organizations:ListAccounts to the management role"), None
    except BotoCoreError as error:
        return Check(check, WARN, aws.describe_error(error), "check the network"), None
    return Check(check, OK, f"{len(ids)} account(s)"), ids


def check_cross_account(own: str, seen: Set[str], members: Optional[Set[str]]) -> Check:
    """Whether other accounts' jobs appear: without cross-account monitoring, ByAccountId='*'
    returns the caller's own jobs only."""
    check = "cross-account monitoring"
    others = seen - {own}
    if others:
        return Check(check, OK, f"jobs of {len(others)} account(s) besides {own} are listed")
    listed = f"only {own}'s own jobs are listed" if seen else "no job of any account is listed"
    if members is None:
        return Check(check, WARN, f"{listed}, and the organisation's accounts are unknown",
                     f"if member accounts run backups, turn cross-account monitoring on: {MONITORING_FIX}")
    if members - {own}:
        return Check(check, FAIL,
                     f"{listed} while Organizations lists {len(members - {own})} member account(s): "
                     "cross-account monitoring is probably off (or no member account ran a backup lately)",
                     MONITORING_FIX)
    return Check(check, OK, "the organisation has no member account")


def check_trusted_access(management: boto3.Session) -> Check:
    """backup.amazonaws.com is among the organisation's trusted services, where that may be read."""
    check = "AWS Backup trusted access in Organizations"
    client = management.client("organizations", config=aws.botocore_config())
    try:
        principals = {s["ServicePrincipal"] for page in
                      client.get_paginator("list_aws_service_access_for_organization").paginate()
                      for s in page["EnabledServicePrincipals"]}
    except ClientError as error:
        code = aws.error_code(error)
        if code in ("AccessDeniedException", "AccessDenied"):
            # The job itself never needs this permission: a denial only means doctor cannot tell.
            return Check(check, WARN, f"cannot tell: {aws.describe_error(error)}",
                         "check it in the management account: aws organizations "
                         "list-aws-service-access-for-organization")
        if code == "AWSOrganizationsNotInUseException":
            return Check(check, FAIL, "the management account is not in an organisation",
                         "create the organisation (all features), then " + TRUSTED_ACCESS_FIX)
        return Check(check, WARN, f"cannot tell: {aws.describe_error(error)}", TRUSTED_ACCESS_FIX)
    except BotoCoreError as error:
        return Check(check, WARN, f"cannot tell: {aws.describe_error(error)}", "check the network")
    if BACKUP_PRINCIPAL in principals:
        return Check(check, OK, f"{BACKUP_PRINCIPAL} is enabled")
    return Check(check, FAIL, f"{BACKUP_PRINCIPAL} is not a trusted service", TRUSTED_ACCESS_FIX)


def parse_modules(text: str) -> Dict[str, str]:
    """``--additional-python-modules`` (``a==1,b==2``) as ``{name: version}`` (``""``: unpinned)."""
    modules: Dict[str, str] = {}
    for item in text.split(","):
        item = item.strip()
        if item:
            name, _, version = item.partition("==")
            modules[name.strip().lower().replace("_", "-")] = version.strip()
    return modules


def check_modules(default_arguments: Dict[str, str]) -> Check:
    """The job installs exactly the pins of requirements-glue.txt."""
    check = "--additional-python-modules"
    pins = glue_pins()
    fix = f"{REDEPLOY_FIX}: the job must install exactly the pins of requirements-glue.txt"
    if "--additional-python-modules" not in default_arguments:
        return Check(check, FAIL, "not set: Glue would run the job with its preinstalled versions", fix)
    modules = parse_modules(default_arguments["--additional-python-modules"])
    problems = []
    for name in sorted(set(pins) | set(modules)):
        want, have = pins.get(name), modules.get(name)
        if want is None:
            problems.append(f"{name}=={have} is not in requirements-glue.txt" if have else f"{name} is unpinned")
        elif have is None:
            problems.append(f"{name} is missing (requirements-glue.txt pins {want})")
        elif have != want:
            problems.append(f"{name}=={have or '(unpinned)'} (requirements-glue.txt pins {want})")
    if problems:
        return Check(check, FAIL, "; ".join(problems), fix)
    return Check(check, OK, f"the {len(pins)} pins of requirements-glue.txt")


def check_library_set(default_arguments: Dict[str, str]) -> Check:
    """Glue's ``library-set`` job parameter is set (Python shell 3.9)."""
    value = (default_arguments.get("library-set") or "").strip()
    if value:
        return Check("library-set", OK, value)
    return Check("library-set", FAIL, "not set in the job's DefaultArguments",
                 f"{REDEPLOY_FIX}, or set the job parameter library-set")
