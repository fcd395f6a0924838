"""``backup-report doctor``: a read-only preflight of a deployment, one line per check.

    backup-report doctor --REPORT_BUCKET b --MANAGEMENT_ROLE_ARN arn --GLUE_DATABASE d [--EXTERNAL_ID x] [...]
    backup-report doctor --job-name backup-report [--REGIONS eu-west-1] [--profile reporting]

It runs with the operator's credentials (not the job's role) and checks what the job
needs before its first run: the caller's credentials and region, the report bucket and
Glue database, the management role (assumed with the ExternalId), ``ListBackupJobs``
with ``ByAccountId='*'`` in every region, whether member accounts' jobs are visible
(cross-account monitoring), AWS Backup trusted access in Organizations, the enabled
regions, and with ``--job-name`` the deployed Glue job's arguments and pinned modules.

Every line is ``✓ <check>`` or ``✗ <check>: <cause> — <fix>`` (``⚠`` for a warning that
does not fail the preflight, ``·`` for a check that could not run). It never writes
anything and never prints a credential or the ExternalId. Exit status: 0 when every check
passed, 1 when one failed, 2 for a bad argument.
"""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from . import aws, listing
from .arguments import (
    ARGUMENT_NAMES,
    ARGUMENTS,
    Settings,
    parse_arguments,
    refuse_unknown_arguments,
)
from .aws import AWS_ERRORS
from .errors import ArgumentError, BackupReportError, report
from .resources import glue_pins

OK, FAIL, WARN, SKIP = "ok", "fail", "warn", "skip"
MARKS = {OK: "✓", FAIL: "✗", WARN: "⚠", SKIP: "·"}
#: Doctor's own options, besides the job's arguments.
OPTIONS = ("job-name", "profile")
#: The service principal whose trusted access AWS Backup's cross-account features need.
BACKUP_PRINCIPAL = "backup.amazonaws.com"
#: Regions listed at once (each is one small call).
PARALLEL_REGIONS = 8
MONITORING_FIX = ("in the management account, AWS Backup console → Settings → Cross-account monitoring → "
                  "Turn on (it needs trusted access for AWS Backup in Organizations)")
TRUSTED_ACCESS_FIX = ("in the management account: Organizations console → Services → AWS Backup → Enable "
                      "trusted access, or aws organizations enable-aws-service-access --service-principal "
                      + BACKUP_PRINCIPAL)
REDEPLOY_FIX = "redeploy the reporting stack (python scripts/deploy.py deploy ...)"

USAGE = """usage: backup-report doctor --REPORT_BUCKET b --MANAGEMENT_ROLE_ARN arn --GLUE_DATABASE d [--NAME value ...]
       backup-report doctor --job-name NAME [--NAME value ...]

A read-only preflight of a deployment: one line per check, exit 0 when all pass.

  --job-name NAME         read the job's arguments from the deployed Glue job (glue:GetJob) and
                          also check its pinned modules; --NAME value given here override them
  --profile PROFILE       AWS CLI profile of the reporting account (default: the standard SDK chain)

The job's arguments:"""


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


@dataclass
class Options:
    """What doctor was asked: a Glue job to read, a profile, and the job's arguments given here."""

    job_name: Optional[str] = None
    profile: Optional[str] = None
    job_argv: List[str] = field(default_factory=list)


def parse_options(argv: Sequence[str]) -> Options:
    """Split doctor's own options from the job's arguments; unknown ``--X`` is an ArgumentError."""
    options = Options()
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if not token.startswith("--"):
            options.job_argv.append(token)
            continue
        name, sep, value = token[2:].partition("=")
        if name in OPTIONS:
            if not sep:
                if i >= len(tokens) or tokens[i].startswith("--"):
                    raise ArgumentError(f"--{name} needs a value")
                value = tokens[i]
                i += 1
            if not value.strip():
                raise ArgumentError(f"--{name} needs a value")
            setattr(options, name.replace("-", "_"), value.strip())
        elif name in ARGUMENT_NAMES:
            options.job_argv.append(token)
        else:
            refuse_unknown_arguments([token])  # a misspelt job argument: names the closest one
            raise ArgumentError(f"unknown argument --{name}: doctor takes the job's arguments "
                                f"({', '.join('--' + n for n in ARGUMENT_NAMES)}) or --job-name NAME")
    if options.job_name is None:
        parse_arguments(options.job_argv)  # a bad argument is exit 2 before any AWS call
    return options


def _code(error: Exception) -> str:
    return aws.error_code(error)


def _cause(error: BaseException) -> str:
    """The AWS cause of a wrapped error (RoleError, ConfigurationError) or of the error itself."""
    inner = error.__cause__ if isinstance(error, BackupReportError) and error.__cause__ else error
    return aws.describe_error(inner) if isinstance(inner, Exception) else str(inner)


# --------------------------------------------------------------------------- checks


def check_region(session: boto3.Session) -> Check:
    """The region the SDK resolves (AWS_DEFAULT_REGION, else the profile's ``region``; boto3
    does not read AWS_REGION)."""
    if session.region_name:
        return Check("region", OK, session.region_name)
    return Check("region", FAIL, "no AWS region is configured",
                 "set AWS_DEFAULT_REGION (boto3 does not read AWS_REGION), or region in your profile "
                 "(aws configure set region <region> --profile <profile>)")


def check_caller(session: boto3.Session) -> Tuple[Check, Optional[dict]]:
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


def load_job(session: boto3.Session, name: str) -> Tuple[Check, Optional[dict]]:
    """The deployed Glue job (glue:GetJob): its DefaultArguments and role."""
    check = f"Glue job {name}"
    try:
        job = session.client("glue", config=aws.botocore_config()).get_job(JobName=name)["Job"]
    except ClientError as error:
        if _code(error) == "EntityNotFoundException":
            return Check(check, FAIL, f"not found in {session.region_name}",
                         "check --job-name and the region (AWS_DEFAULT_REGION), or deploy the reporting stack"), None
        return Check(check, FAIL, aws.describe_error(error),
                     "allow glue:GetJob to the caller, or pass the job's arguments instead of --job-name"), None
    except BotoCoreError as error:
        return Check(check, FAIL, aws.describe_error(error), "check your network and region"), None
    return Check(check, OK, f"arguments read, role {job.get('Role', '?')}"), job


def job_arguments(job: dict, overrides: Sequence[str]) -> List[str]:
    """The job's own arguments from its DefaultArguments, then those given on the command line."""
    argv: List[str] = []
    for key, value in (job.get("DefaultArguments") or {}).items():
        if key.startswith("--") and key[2:] in ARGUMENT_NAMES:
            argv += [key, value]
    return argv + list(overrides)


def check_bucket(session: boto3.Session, bucket: str, prefix: str) -> Check:
    """The bucket exists and the caller can list under the prefix.

    Read-only on purpose: s3:PutObject cannot be proven without writing an object, so it is
    not checked (the job's role is granted it on ``<bucket>/<prefix>/*`` by the stack).
    """
    check = f"report bucket s3://{bucket}/{prefix}/"
    try:
        page = session.client("s3", config=aws.botocore_config()).list_objects_v2(
            Bucket=bucket, Prefix=prefix + "/", MaxKeys=1)
    except ClientError as error:
        code = _code(error)
        if code in ("NoSuchBucket", "404"):
            return Check(check, FAIL, "NoSuchBucket: the bucket does not exist",
                         "check --REPORT_BUCKET, or deploy the reporting stack (it creates the bucket)")
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return Check(check, FAIL, f"{aws.describe_error(error)}: the caller may not list it",
                         "run doctor with credentials of the reporting account that may s3:ListBucket it, "
                         "or check --REPORT_BUCKET")
        return Check(check, FAIL, aws.describe_error(error), "check --REPORT_BUCKET")
    except BotoCoreError as error:
        return Check(check, FAIL, aws.describe_error(error), "check your network and region")
    held = "holds reports" if page.get("KeyCount", 0) else "empty: the first run fills it"
    return Check(check, OK, f"listable, {held} (writing is not tested: doctor never writes)")


def check_database(session: boto3.Session, database: str) -> Check:
    """The Glue database exists (glue:GetDatabase)."""
    check = f"Glue database {database}"
    try:
        session.client("glue", config=aws.botocore_config()).get_database(Name=database)
    except ClientError as error:
        if _code(error) == "EntityNotFoundException":
            return Check(check, FAIL, f"EntityNotFoundException: it does not exist in {session.region_name}",
                         "check --GLUE_DATABASE and the region, or deploy the reporting stack "
                         "(it creates the database)")
        return Check(check, FAIL, aws.describe_error(error), "allow glue:GetDatabase to the caller")
    except BotoCoreError as error:
        return Check(check, FAIL, aws.describe_error(error), "check your network and region")
    return Check(check, OK)


def check_role(session: boto3.Session, settings: Settings, caller_arn: str, job_role: str = ""
               ) -> Tuple[Check, Optional[boto3.Session]]:
    """The management role can be assumed (sts:AssumeRole with the ExternalId, as the job does)."""
    check = f"management role {settings.role_arn}"
    try:
        management = aws.assume_management_session(session, settings.role_arn, settings.external_id, "doctor")
    except BackupReportError as error:
        external = ("--EXTERNAL_ID equals the role's sts:ExternalId condition" if settings.external_id
                    else "the role requires no ExternalId (--EXTERNAL_ID was not given)")
        fix = f"check that {external} and that the role's trust policy admits {caller_arn or 'the caller'}"
        if _code(error.__cause__ or error) in ("AccessDenied", "AccessDeniedException"):
            # The management stack's trust policy names the job's role (aws:PrincipalArn) and
            # the roles of its OperatorRoleArns: other credentials are refused even with the
            # right ExternalId.
            fix += (" (the management stack's role admits the Glue job's role"
                    + (f" {job_role}" if job_role else "")
                    + " and the roles of its OperatorRoleArns parameter: add yours there to run doctor)")
        return Check(check, FAIL, _cause(error), fix), None
    how = "with the ExternalId" if settings.external_id else "without an ExternalId"
    return Check(check, OK, f"assumed {how}"), management


def check_enabled_regions(management: boto3.Session, requested: Optional[Tuple[str, ...]]
                          ) -> Tuple[Check, Tuple[str, ...]]:
    """The regions enabled for the management account (ec2:DescribeRegions) against --REGIONS."""
    check = "enabled regions (ec2:DescribeRegions)"
    try:
        enabled = aws.enabled_regions(management)
    except BackupReportError as error:
        if requested:  # the job lists --REGIONS and never asks for the enabled ones
            return Check(check, WARN, f"{_cause(error)}; not needed while --REGIONS is given",
                         "grant ec2:DescribeRegions to the management role to use the default regions"
                         ), requested
        return Check(check, FAIL, _cause(error),
                     "grant ec2:DescribeRegions to the management role, or pass --REGIONS"), ()
    if requested:
        missing = [r for r in requested if r not in enabled]
        if missing:
            return Check(check, FAIL, f"--REGIONS names {', '.join(missing)}, not enabled for the management "
                                      "account",
                         "enable the region (Account → AWS Regions) or leave it out of --REGIONS"), requested
        return Check(check, OK, f"the {len(requested)} region(s) of --REGIONS are enabled"), requested
    return Check(check, OK, f"{len(enabled)} region(s): {', '.join(enabled)}"), enabled


def check_listing(client, region: str) -> Tuple[Check, Optional[Set[str]]]:
    """ListBackupJobs with ByAccountId='*' answers in ``region``; the accounts of its first page."""
    check = f"ListBackupJobs(ByAccountId='*') in {region}"
    try:
        page = client.list_backup_jobs(ByAccountId="*", MaxResults=listing.PAGE_SIZE)
    except AWS_ERRORS as error:
        return Check(check, FAIL, aws.describe_error(error),
                     "grant backup:List{Backup,Copy,Restore}Jobs to the management role, check that no SCP "
                     "denies the region, or leave the region out of --REGIONS"), None
    jobs = page.get("BackupJobs", [])
    accounts = {str(j.get("AccountId")) for j in jobs if j.get("AccountId")}
    more = ", more pages" if page.get("NextToken") else ""
    return Check(check, OK, f"{len(jobs)} job(s) of {len(accounts)} account(s) on the first page{more}"), accounts


def organization_accounts(management: boto3.Session) -> Tuple[Check, Optional[Set[str]]]:
    """The organisation's account ids (organizations:ListAccounts); None when it cannot be read."""
    check = "organisation accounts (organizations:ListAccounts)"
    client = management.client("organizations", config=aws.botocore_config())
    try:
        ids = {a["Id"] for page in client.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    except ClientError as error:
        if _code(error) == "AWSOrganizationsNotInUseException":
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
        code = _code(error)
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


# --------------------------------------------------------------------------- the preflight


def run_checks(options: Options, emit: Callable[[str], None] = print) -> List[Check]:
    """Run every check in order, emitting each line as it is known; returns the checks."""
    checks: List[Check] = []
    secrets: List[str] = []

    def add(check: Check) -> Check:
        checks.append(check)
        line = check.line()
        for secret in secrets:  # belt and braces: no error text may echo the ExternalId
            line = line.replace(secret, "****")
        emit(line)
        return check

    def skip(name: str, why: str) -> None:
        add(Check(name, SKIP, f"not checked: {why}"))

    try:
        session = boto3.Session(profile_name=options.profile)
    except BotoCoreError as error:  # e.g. ProfileNotFound
        add(Check("credentials", FAIL, aws.describe_error(error), "check --profile / AWS_PROFILE"))
        return checks
    if add(check_region(session)).status != OK:
        return checks
    caller, identity = check_caller(session)
    if add(caller).status != OK:
        return checks

    job: Optional[dict] = None
    argv = options.job_argv
    if options.job_name:
        loaded, job = load_job(session, options.job_name)
        if add(loaded).status != OK or job is None:
            return checks
        argv = job_arguments(job, options.job_argv)
        secrets += [v for k, v in (job.get("DefaultArguments") or {}).items() if k == "--EXTERNAL_ID" and v.strip()]
    secrets += _external_ids(argv)
    try:
        settings = parse_arguments(argv)
    except ArgumentError as error:
        if not options.job_name:
            raise
        add(Check("job arguments", FAIL, str(error), "fix the job's DefaultArguments: " + REDEPLOY_FIX))
        settings = None
    if settings is not None and settings.external_id:
        secrets.append(settings.external_id)

    if settings is not None:
        add(check_bucket(session, settings.bucket, settings.prefix))
        add(check_database(session, settings.database))
        role_check, management = check_role(session, settings, (identity or {}).get("Arn", ""),
                                            (job or {}).get("Role", ""))
        add(role_check)
        if management is None:
            for name in ("enabled regions", "ListBackupJobs per region", "cross-account monitoring",
                         "AWS Backup trusted access in Organizations"):
                skip(name, "needs the management role")
        else:
            _management_checks(management, settings, add, skip)

    if job is not None:
        default_arguments = job.get("DefaultArguments") or {}
        add(check_modules(default_arguments))
        add(check_library_set(default_arguments))
    return checks


def _external_ids(argv: Sequence[str]) -> List[str]:
    """The value of every --EXTERNAL_ID in ``argv``, however it is written."""
    tokens = list(argv)
    values = [tokens[i + 1] for i, t in enumerate(tokens[:-1]) if t == "--EXTERNAL_ID"]
    values += [t.partition("=")[2] for t in tokens if t.startswith("--EXTERNAL_ID=")]
    return [v for v in values if v.strip()]


def _management_checks(management: boto3.Session, settings: Settings, add, skip) -> None:
    region_check, regions = check_enabled_regions(management, settings.regions)
    add(region_check)
    seen: Set[str] = set()
    answered = 0
    if regions:
        clients = [listing.backup_client(management, r) for r in regions]  # created here: sessions are not thread-safe
        with ThreadPoolExecutor(max_workers=min(PARALLEL_REGIONS, len(regions))) as pool:
            results = list(pool.map(check_listing, clients, regions))
        for check, accounts in results:
            add(check)
            if accounts is not None:
                answered += 1
                seen |= accounts
    else:
        skip("ListBackupJobs per region", "no region to list")
    accounts_check, members = organization_accounts(management)
    add(accounts_check)
    if answered:
        add(check_cross_account(settings.management_account_id, seen, members))
    else:
        skip("cross-account monitoring", "no region answered ListBackupJobs")
    add(check_trusted_access(management))


def summary(checks: Sequence[Check]) -> str:
    failed = sum(c.status == FAIL for c in checks)
    warned = sum(c.status == WARN for c in checks)
    passed = sum(c.status == OK for c in checks)
    warnings = f", {warned} warning(s)" if warned else ""
    if failed:
        return f"backup-report doctor: {failed} check(s) failed, {passed} passed{warnings}"
    return f"backup-report doctor: all {passed} checks passed{warnings}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``backup-report doctor``: returns 0 when every check passed, 1 when one failed, 2 for bad arguments."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        for a in ARGUMENTS:
            default = " (required)" if a.required else f" (default: {a.default})" if a.default else ""
            print(f"  --{a.name:<20} {a.help}{default}")
        return 0
    try:
        options = parse_options(argv)
        checks = run_checks(options, emit=lambda line: print(line, flush=True))
    except BackupReportError as error:
        return report(error)
    print(summary(checks))
    return 1 if any(c.status in (FAIL, SKIP) for c in checks) or not checks else 0


if __name__ == "__main__":
    sys.exit(main())
