"""Job arguments (docs/reference.md), read the Glue way and validated before any I/O."""
from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .errors import ArgumentError
from .schema import JOB_TABLES, Table

#: AWS Backup keeps job records for about 30 days: a window reaching further back
#: would replace reported history with an incomplete listing.
MAX_LOOKBACK_DAYS = 30
#: The longest --ALERT_MAX_AGE_HOURS: the longest window.
MAX_ALERT_AGE_HOURS = 24 * MAX_LOOKBACK_DAYS


@dataclass(frozen=True)
class Argument:
    """One job argument: its name (without --), whether required, its default, its help."""

    name: str
    required: bool
    default: Optional[str]
    help: str


ARGUMENTS: Tuple[Argument, ...] = (
    Argument("REPORT_BUCKET", True, None, "S3 bucket the reports are written to"),
    Argument("MANAGEMENT_ROLE_ARN", True, None,
             "role in the management or Backup delegated administrator account"),
    Argument("GLUE_DATABASE", True, None, "Glue database holding the report tables"),
    Argument("EXTERNAL_ID", False, None, "passed to sts:AssumeRole when given"),
    Argument("REPORT_PREFIX", False, "backup-reports", "key prefix of the report tables"),
    Argument("REGIONS", False, None,
             "comma-separated regions; default every region enabled for the management account"),
    Argument("REPORT_DATE", False, None, "last UTC day of the window, YYYY-MM-DD; default today"),
    Argument("LOOKBACK_DAYS", False, "3", "days in the window, 1..30"),
    Argument("JOB_TYPES", False, None,
             "comma-separated job types to list, any of " + ", ".join(t.job_type for t in JOB_TABLES) + "; default all"),
    Argument("CONFIG_AGGREGATOR", False, None,
             "AWS Config organisation aggregator to snapshot the resources AWS Backup can protect from"),
    Argument("CONFIG_ROLE_ARN", False, None,
             "role to assume for the aggregator's account; default --MANAGEMENT_ROLE_ARN"),
    Argument("CONFIG_EXTERNAL_ID", False, None,
             "passed to sts:AssumeRole for --CONFIG_ROLE_ARN; default --EXTERNAL_ID when the role is the default"),
    Argument("EVENT_BUS_NAME", False, "default",
             "EventBridge bus (name or ARN) the attention events go to; none: no events"),
    Argument("ALERT_TOPIC_ARN", False, None, "SNS topic of the attention digest; none when absent"),
    Argument("ALERT_MAX_AGE_HOURS", False, "48",
             f"jobs that finished longer ago are never announced, 1..{MAX_ALERT_AGE_HOURS}"),
)
ARGUMENT_NAMES = tuple(a.name for a in ARGUMENTS)


def add_job_arguments(parser: argparse.ArgumentParser, description: Optional[str] = None) -> None:
    """The job's arguments as ``--NAME VALUE`` options of ``parser``, in a group of their own with
    their help, for the commands that take them; their values are validated by ``parse_arguments``."""
    group = parser.add_argument_group("the job's arguments", description)
    for a in ARGUMENTS:
        default = " (required)" if a.required else f" (default: {a.default})" if a.default else ""
        group.add_argument("--" + a.name, metavar="VALUE", help=(a.help + default).replace("%", "%%"))


#: Arguments Glue itself passes to a job's script, or reads from its DefaultArguments
#: (the "job parameters used by AWS Glue"), that are not named in Glue's lowercase-hyphen
#: style: they are not ours, but must not be refused.
GLUE_ARGUMENTS = frozenset({
    "JOB_ID", "JOB_RUN_ID", "JOB_NAME", "WORKFLOW_NAME", "WORKFLOW_RUN_ID", "TempDir",
    "scriptLocation", "RedshiftTempDir", "class", "conf",
})
#: Glue's own parameters are lowercase words joined by hyphens (``--job-bookmark-option``,
#: ``--enable-metrics``, ``--additional-python-modules``, ``--extra-py-files``, ...): such a
#: name is Glue's unless it spells one of ours.
_GLUE_STYLE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

_BUCKET = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_DATABASE = re.compile(r"^[a-z0-9_]{1,255}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_AGGREGATOR = re.compile(r"^[\w-]{1,256}$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/=-]{1,512}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EVENT_BUS = re.compile(r"^([/.\w-]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[/.\w-]{1,256})$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$")


@dataclass(frozen=True)
class Settings:
    """Validated job settings."""

    bucket: str
    role_arn: str
    database: str
    external_id: Optional[str]
    prefix: str
    regions: Optional[Tuple[str, ...]]
    report_date: dt.date
    lookback_days: int
    run_id: str
    run_started_at: dt.datetime
    #: AWS Config inventory (off when None): aggregator name, role to assume, its ExternalId.
    config_aggregator: Optional[str] = None
    config_role_arn: Optional[str] = None
    config_external_id: Optional[str] = None
    #: Attention announcements: the EventBridge bus (None: no events), the digest's SNS topic
    #: (None: no digest), the age after which a job is never announced.
    event_bus: Optional[str] = "default"
    alert_topic_arn: Optional[str] = None
    alert_max_age_hours: int = 48
    #: The job types a run lists (and settles, reconciles and announces): ``--JOB_TYPES``.
    job_types: Tuple[str, ...] = field(default_factory=lambda: tuple(t.job_type for t in JOB_TABLES))

    @property
    def job_tables(self) -> Tuple[Table, ...]:
        """The job tables of ``job_types``, in the schema's order (the largest type first)."""
        return tuple(t for t in JOB_TABLES if t.job_type in self.job_types)

    @property
    def days(self) -> Tuple[dt.date, ...]:
        """The report days of the window, oldest first."""
        first = self.report_date - dt.timedelta(days=self.lookback_days - 1)
        return tuple(first + dt.timedelta(days=i) for i in range(self.lookback_days))

    @property
    def management_account_id(self) -> str:
        match = _ROLE_ARN.match(self.role_arn)
        return match.group(1) if match else ""


def utc_now() -> dt.datetime:
    """The job's clock. ``BACKUP_REPORT_NOW`` (ISO 8601, UTC) pins it for tests and replays."""
    pinned = os.environ.get("BACKUP_REPORT_NOW")
    if pinned:
        value = dt.datetime.fromisoformat(pinned.replace("Z", "+00:00"))
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value
    return dt.datetime.now(dt.timezone.utc)


def read_raw_arguments(argv: Sequence[str]) -> Dict[str, str]:
    """Argument values by name, the way Glue's ``getResolvedOptions`` reads them.

    Uses ``awsglue.utils.getResolvedOptions`` inside Glue; elsewhere an equivalent
    parser (``--NAME value`` or ``--NAME=value``). Other arguments (Glue's own
    ``--JOB_ID``, ``--TempDir``, ...) are skipped here (``refuse_unknown_arguments`` refuses
    the ones that are not Glue's); ``JOB_RUN_ID`` is kept for the run id.
    """
    wanted = ARGUMENT_NAMES + ("JOB_RUN_ID",)
    try:
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]  # only inside Glue
    except ImportError:
        getResolvedOptions = None  # noqa: N806
    if getResolvedOptions is not None:
        present = [n for n in wanted if _present(argv, n)]
        return dict(getResolvedOptions(list(argv), present))
    values: Dict[str, str] = {}
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if not token.startswith("--"):
            continue
        name, sep, value = token[2:].partition("=")
        if not sep:
            if i < len(tokens) and not tokens[i].startswith("--"):
                value = tokens[i]
                i += 1
            else:
                value = ""
        if name in wanted:
            values[name] = value
    return values


def _normal(name: str) -> str:
    return name.upper().replace("-", "_")


def refuse_unknown_arguments(argv: Sequence[str]) -> None:
    """Raise ArgumentError for an argument that is neither ours nor Glue's, naming the closest of ours.

    A typo (``--LOOKBAK_DAYS 30``) must never silently run with a default. Names in Glue's
    own style are let through unless they spell one of ours in another case or with hyphens.
    """
    errors = []
    for token in argv:
        if not token.startswith("--") or len(token) == 2:
            continue
        name = token[2:].partition("=")[0]
        if name in ARGUMENT_NAMES or name in GLUE_ARGUMENTS:
            continue
        spelled = [known for known in ARGUMENT_NAMES if _normal(name) == known]
        if _GLUE_STYLE.match(name) and not spelled:
            continue
        close = spelled or difflib.get_close_matches(_normal(name), ARGUMENT_NAMES, n=1, cutoff=0.6)
        hint = f"; did you mean --{close[0]}?" if close else f"; the job's arguments are --{', --'.join(ARGUMENT_NAMES)}"
        errors.append(f"unknown argument --{name}{hint}")
    if errors:
        raise ArgumentError("; ".join(dict.fromkeys(errors)))


def _present(argv: Sequence[str], name: str) -> bool:
    flag = "--" + name
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def parse_arguments(argv: Sequence[str], now: Optional[dt.datetime] = None) -> Settings:
    """Validate the job's arguments; raise ArgumentError naming every bad one."""
    refuse_unknown_arguments(argv)
    raw = read_raw_arguments(argv)
    now = now or utc_now()
    errors: List[str] = []

    def value(name: str) -> str:
        spec = next(a for a in ARGUMENTS if a.name == name)
        text = raw.get(name, "").strip()
        if not text and spec.required:
            errors.append(f"--{name} is required ({spec.help})")
        return text or (spec.default or "")

    bucket = value("REPORT_BUCKET")
    role_arn = value("MANAGEMENT_ROLE_ARN")
    database = value("GLUE_DATABASE")
    external_id = value("EXTERNAL_ID") or None
    prefix = value("REPORT_PREFIX").strip("/")
    regions_text = value("REGIONS")
    date_text = value("REPORT_DATE")
    lookback_text = value("LOOKBACK_DAYS")
    aggregator = value("CONFIG_AGGREGATOR") or None
    config_role_arn = value("CONFIG_ROLE_ARN") or None
    config_external_id = value("CONFIG_EXTERNAL_ID") or None

    for text, pattern, problem in (
        (bucket, _BUCKET, f"--REPORT_BUCKET {bucket!r} is not a valid S3 bucket name"),
        (role_arn, _ROLE_ARN, f"--MANAGEMENT_ROLE_ARN {role_arn!r} is not an IAM role ARN "
                              "(expected arn:<partition>:iam::<12-digit account>:role/<name>)"),
        (database, _DATABASE, f"--GLUE_DATABASE {database!r} must be lowercase letters, digits and _ "
                              "(the names Athena can query)"),
        (external_id, _EXTERNAL_ID, "--EXTERNAL_ID must be 2 to 1224 characters of letters, digits and +=,.@:/-"),
        (aggregator, _AGGREGATOR, f"--CONFIG_AGGREGATOR {aggregator!r} is not an AWS Config aggregator name "
                                  "(1 to 256 letters, digits, _ and -)"),
        (config_role_arn, _ROLE_ARN, f"--CONFIG_ROLE_ARN {config_role_arn!r} is not an IAM role ARN "
                                     "(expected arn:<partition>:iam::<12-digit account>:role/<name>)"),
        (config_external_id, _EXTERNAL_ID,
         "--CONFIG_EXTERNAL_ID must be 2 to 1224 characters of letters, digits and +=,.@:/-"),
    ):
        if text and not pattern.match(text):
            errors.append(problem)
    if aggregator is None and (config_role_arn or config_external_id):
        errors.append("--CONFIG_ROLE_ARN and --CONFIG_EXTERNAL_ID need --CONFIG_AGGREGATOR "
                      "(the AWS Config aggregator to read)")
    if not prefix or not _PREFIX.match(prefix) or "//" in prefix or ".." in prefix.split("/"):
        errors.append(f"--REPORT_PREFIX {prefix!r} is not a usable S3 key prefix")

    regions = _regions(regions_text, errors)
    today = now.date()
    report_date = _report_date(date_text, today, errors)
    lookback = _bounded("LOOKBACK_DAYS", lookback_text, MAX_LOOKBACK_DAYS, errors)
    job_types = _job_types(value("JOB_TYPES"), errors)
    event_bus, topic_arn, max_age = _alert_arguments(value("EVENT_BUS_NAME"), value("ALERT_TOPIC_ARN"),
                                                     value("ALERT_MAX_AGE_HOURS"), errors)
    if not errors:
        errors.extend(_beyond_history(report_date, lookback, today))

    if errors:
        raise ArgumentError("; ".join(errors))
    run_id = raw.get("JOB_RUN_ID") or f"local-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    return Settings(
        bucket=bucket, role_arn=role_arn, database=database, external_id=external_id,
        prefix=prefix, regions=regions, report_date=report_date, lookback_days=lookback,
        run_id=run_id, run_started_at=now, config_aggregator=aggregator,
        # The management role by default, with its ExternalId; another role has its own.
        config_role_arn=(config_role_arn or role_arn) if aggregator else None,
        config_external_id=(config_external_id if config_role_arn else config_external_id or external_id)
        if aggregator else None,
        event_bus=event_bus, alert_topic_arn=topic_arn, alert_max_age_hours=max_age, job_types=job_types,
    )


def _job_types(text: str, errors: List[str]) -> Tuple[str, ...]:
    """--JOB_TYPES: a non-empty subset of the job tables' types (absent: all), each named once."""
    known = tuple(t.job_type for t in JOB_TABLES)
    if not text:
        return known
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            errors.append(f"--JOB_TYPES {name!r} is not a job type ({hint}the job types are {', '.join(known)})")
    if not names:
        errors.append(f"--JOB_TYPES is empty: name at least one of {', '.join(known)}")
    return tuple(n for n in known if n in names)


def _alert_arguments(bus: str, topic_arn: str, max_age_text: str,
                     errors: List[str]) -> Tuple[Optional[str], Optional[str], int]:
    """--EVENT_BUS_NAME (``none``: None), --ALERT_TOPIC_ARN (absent: None), --ALERT_MAX_AGE_HOURS."""
    if bus and bus.lower() != "none" and not _EVENT_BUS.match(bus):
        errors.append(f"--EVENT_BUS_NAME {bus!r} is neither an EventBridge bus name (letters, digits and "
                      "/._-), nor an event bus ARN, nor none")
    if topic_arn and not _TOPIC_ARN.match(topic_arn):
        errors.append(f"--ALERT_TOPIC_ARN {topic_arn!r} is not the ARN of a standard SNS topic "
                      "(arn:<partition>:sns:<region>:<12-digit account>:<name>; FIFO topics are not supported)")
    max_age = _bounded("ALERT_MAX_AGE_HOURS", max_age_text, MAX_ALERT_AGE_HOURS, errors)
    return (None if not bus or bus.lower() == "none" else bus), (topic_arn or None), max_age


def _regions(text: str, errors: List[str]) -> Optional[Tuple[str, ...]]:
    """--REGIONS, duplicates dropped (absent: None, every enabled region)."""
    if not text:
        return None
    names = [r.strip() for r in text.split(",") if r.strip()]
    bad = [r for r in names if not _REGION.match(r)]
    if bad or not names:
        errors.append(f"--REGIONS has invalid region names: {', '.join(bad) or text!r}")
    return tuple(dict.fromkeys(names))


def _report_date(text: str, today: dt.date, errors: List[str]) -> dt.date:
    """--REPORT_DATE (absent: ``today``)."""
    if not text:
        return today
    try:
        if not _DATE.match(text):
            raise ValueError
        report_date = dt.date.fromisoformat(text)
    except ValueError:
        errors.append(f"--REPORT_DATE {text!r} is not a date in the form YYYY-MM-DD")
        return today
    if report_date > today:
        errors.append(f"--REPORT_DATE {text} is in the future (today is {today} UTC)")
    return report_date


def _bounded(name: str, text: str, highest: int, errors: List[str]) -> int:
    """A whole-number argument from 1 to ``highest`` (0 when it is not a number)."""
    try:
        number = int(text)
    except ValueError:
        errors.append(f"--{name} {text!r} is not a whole number")
        return 0
    if not 1 <= number <= highest:
        errors.append(f"--{name} {number} must be between 1 and {highest}")
    return number


def _beyond_history(report_date: dt.date, lookback: int, today: dt.date) -> List[str]:
    """The error of a window that starts before the oldest day AWS Backup still holds."""
    first = report_date - dt.timedelta(days=lookback - 1)
    oldest_kept = today - dt.timedelta(days=MAX_LOOKBACK_DAYS - 1)
    if first >= oldest_kept:
        return []
    return [f"--REPORT_DATE {report_date} with --LOOKBACK_DAYS {lookback} starts on {first}, "
            f"before {oldest_kept}: AWS Backup keeps about {MAX_LOOKBACK_DAYS} days of jobs, so "
            "rewriting older days would replace reported history with an incomplete listing"]
