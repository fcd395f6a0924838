"""``backup-report doctor``, a read-only preflight: its options, the order of its checks, its output.

    backup-report doctor --REPORT_BUCKET b --MANAGEMENT_ROLE_ARN arn --GLUE_DATABASE d [--EXTERNAL_ID x] [...]
    backup-report doctor --job-name backup-report [--REGIONS eu-west-1] [--profile reporting]

It runs with the operator's credentials (not the job's role) and checks what the job
needs before its first run: the caller's credentials and region, the report bucket and
Glue database, the management role (assumed with the ExternalId), the ``List*Jobs`` of
each job type of ``--JOB_TYPES`` with ``ByAccountId='*'`` in every region (naming those
refused), whether member accounts' jobs are visible
(cross-account monitoring), AWS Backup trusted access in Organizations, the enabled
regions, and with ``--job-name`` the deployed Glue job's arguments and pinned modules.
The checks are in ``doctor_checks``; those the job also makes are the job's own functions.

Every line is ``✓ <check>`` or ``✗ <check>: <cause> — <fix>`` (``⚠`` for a warning that
does not fail the preflight, ``·`` for a check that could not run). It never writes
anything and never prints a credential or the ExternalId. Exit status: 0 when every check
passed, 1 when one failed, 2 for a bad argument.
"""
from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, List, Mapping, NoReturn, Optional, Sequence, Set

import boto3
from botocore.exceptions import BotoCoreError

from . import aws, listing
from .arguments import ARGUMENT_NAMES, Settings, add_job_arguments, parse_arguments, refuse_unknown_arguments
from .doctor_checks import (
    FAIL,
    OK,
    REDEPLOY_FIX,
    SKIP,
    WARN,
    Check,
    check_bucket,
    check_caller,
    check_cross_account,
    check_database,
    check_enabled_regions,
    check_library_set,
    check_listing,
    check_modules,
    check_region,
    check_role,
    check_trusted_access,
    load_job,
    organization_accounts,
)
from .errors import ArgumentError, BackupReportError, report

#: Regions listed at once (each is one small call).
PARALLEL_REGIONS = 8
#: The job arguments whose values are never printed.
SECRET_ARGUMENTS = ("--EXTERNAL_ID", "--CONFIG_EXTERNAL_ID")


class _Parser(argparse.ArgumentParser):
    """A bad option is an ArgumentError: one ``backup-report: error:`` line and exit 2, as for the job."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(message)


def _value(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a value")
    return text.strip()


def build_parser() -> argparse.ArgumentParser:
    """``backup-report doctor``'s options: --job-name, --profile and the job's own arguments."""
    parser = _Parser(
        prog="backup-report doctor", allow_abbrev=False,  # --REGION must not pass for --REGIONS
        usage="%(prog)s --REPORT_BUCKET b --MANAGEMENT_ROLE_ARN arn --GLUE_DATABASE d [--NAME VALUE ...]\n"
              "       %(prog)s --job-name NAME [--NAME VALUE ...]",
        description="A read-only preflight of a deployment: one line per check (✓, ✗ with the cause and the "
                    "fix, ⚠ a warning, · not checked), exit 0 when every check passes, 1 when one fails, "
                    "2 for a bad argument.")
    parser.add_argument("--job-name", metavar="NAME", type=_value,
                        help="read the job's arguments from the deployed Glue job (glue:GetJob) and also check "
                             "its pinned modules; the job's arguments given here override them")
    parser.add_argument("--profile", metavar="PROFILE", type=_value,
                        help="AWS CLI profile of the reporting account (default: the standard SDK chain)")
    add_job_arguments(parser, "as the Glue job takes them; with --job-name, read from the deployed job")
    return parser


@dataclass
class Options:
    """What doctor was asked: a Glue job to read, a profile, and the job's arguments given here."""

    job_name: Optional[str] = None
    profile: Optional[str] = None
    job_argv: List[str] = field(default_factory=list)


def parse_options(argv: Sequence[str]) -> Options:
    """Doctor's options and the job's arguments (validated, unless --job-name gives the rest);
    raises ArgumentError for a bad or unknown one."""
    namespace, unknown = build_parser().parse_known_args(list(argv))
    for token in unknown:
        name = token.partition("=")[0]
        if not name.startswith("--"):
            raise ArgumentError(f"unexpected {token!r}: doctor takes --NAME VALUE arguments only")
        refuse_unknown_arguments([name])  # a misspelt job argument: names the closest one
        raise ArgumentError(f"unknown argument {name}: doctor takes the job's arguments "
                            f"({', '.join('--' + n for n in ARGUMENT_NAMES)}), --job-name NAME or --profile PROFILE")
    job_argv = [token for name in ARGUMENT_NAMES if getattr(namespace, name) is not None
                for token in ("--" + name, getattr(namespace, name))]
    options = Options(namespace.job_name, namespace.profile, job_argv)
    if options.job_name is None:
        parse_arguments(options.job_argv)  # a bad argument is exit 2 before any AWS call
    return options


def job_arguments(job: Mapping[str, Any], overrides: Sequence[str]) -> List[str]:
    """The job's own arguments from its DefaultArguments, then those given on the command line."""
    argv: List[str] = []
    for key, value in (job.get("DefaultArguments") or {}).items():
        if key.startswith("--") and key[2:] in ARGUMENT_NAMES:
            argv += [key, value]
    return argv + list(overrides)


def _secrets(argv: Sequence[str]) -> List[str]:
    """The values of the ExternalId arguments in ``argv`` (``--NAME value`` pairs)."""
    return [value for name, value in zip(argv[::2], argv[1::2]) if name in SECRET_ARGUMENTS and value.strip()]


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

    job: Optional[Mapping[str, Any]] = None
    argv = options.job_argv
    if options.job_name:
        loaded, job = load_job(session, options.job_name)
        if add(loaded).status != OK or job is None:
            return checks
        argv = job_arguments(job, options.job_argv)
    secrets += _secrets(argv)
    settings = _settings(argv, options, add)
    if settings is not None:
        secrets += [v for v in (settings.external_id, settings.config_external_id) if v]
        _deployment_checks(session, settings, (identity or {}).get("Arn", ""), (job or {}).get("Role", ""),
                           add, skip)

    if job is not None:
        default_arguments = job.get("DefaultArguments") or {}
        add(check_modules(default_arguments))
        add(check_library_set(default_arguments))
    return checks


def _settings(argv: Sequence[str], options: Options, add: Callable[[Check], Check]) -> Optional[Settings]:
    """The job's arguments validated; a deployed job's bad ones are a failed check (None), given ones exit 2."""
    try:
        return parse_arguments(argv)
    except ArgumentError as error:
        if not options.job_name:
            raise
        add(Check("job arguments", FAIL, str(error), "fix the job's DefaultArguments: " + REDEPLOY_FIX))
        return None


def _deployment_checks(session: boto3.Session, settings: Settings, caller_arn: str, job_role: str,
                       add: Callable[[Check], Check], skip: Callable[[str, str], None]) -> None:
    """The checks of what ``settings`` name: bucket, database, the management role and what it sees."""
    add(check_bucket(session, settings.bucket, settings.prefix))
    add(check_database(session, settings.database))
    role_check, management = check_role(session, settings, caller_arn, job_role)
    add(role_check)
    if management is None:
        for name in ("enabled regions", "job listings per region", "cross-account monitoring",
                     "AWS Backup trusted access in Organizations"):
            skip(name, "needs the management role")
    else:
        _management_checks(management, settings, add, skip)


def _management_checks(management: boto3.Session, settings: Settings, add: Callable[[Check], Check],
                       skip: Callable[[str, str], None]) -> None:
    """The checks that need the management role: regions, listing, member accounts, trusted access."""
    region_check, regions = check_enabled_regions(management, settings.regions)
    add(region_check)
    seen: Set[str] = set()
    answered = 0
    if regions:
        clients = [listing.backup_client(management, r) for r in regions]  # created here: sessions are not thread-safe
        with ThreadPoolExecutor(max_workers=min(PARALLEL_REGIONS, len(regions))) as pool:
            results = list(pool.map(check_listing, clients, regions, [settings.job_tables] * len(regions)))
        for check, accounts in results:
            add(check)
            if accounts is not None:
                answered += 1
                seen |= accounts
    else:
        skip("job listings per region", "no region to list")
    accounts_check, members = organization_accounts(management)
    add(accounts_check)
    if answered:
        add(check_cross_account(settings.management_account_id, seen, members))
    else:
        skip("cross-account monitoring", "no region answered a job listing")
    add(check_trusted_access(management))


def summary(checks: Sequence[Check]) -> str:
    """The last line: how many checks failed, passed and warned."""
    failed = sum(c.status == FAIL for c in checks)
    warned = sum(c.status == WARN for c in checks)
    passed = sum(c.status == OK for c in checks)
    warnings = f", {warned} warning(s)" if warned else ""
    if failed:
        return f"backup-report doctor: {failed} check(s) failed, {passed} passed{warnings}"
    return f"backup-report doctor: all {passed} checks passed{warnings}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``backup-report doctor``: returns 0 when every check passed, 1 when one failed, 2 for bad arguments."""
    try:
        options = parse_options(sys.argv[1:] if argv is None else argv)  # --help: prints, exits 0
        checks = run_checks(options, emit=lambda line: print(line, flush=True))
    except BackupReportError as error:
        return report(error)
    print(summary(checks))
    return 1 if any(c.status in (FAIL, SKIP) for c in checks) or not checks else 0


if __name__ == "__main__":
    sys.exit(main())
