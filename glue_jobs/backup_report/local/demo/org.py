"""The demo organisation: its accounts, regions, report target and month of AWS Backup history, backfilled.

Shared by the demo, ``backup-report local up --demo-org`` and the docs' samples
(scripts/render_samples.py): the same names, account ids (``synthetic.account_id``), seed and
volume give the same jobs and resources for the same clock.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ...schema import JOB_TABLES
from .. import synthetic
from ..printer import Printer
from ..stack import ROLE_ARN, LocalAws
from . import until_final
from .jobrun import JobRun, run_job_with_progress

#: Member accounts of the demo organisation (the management account comes first, from moto).
ACCOUNT_NAMES = (
    "log-archive", "security-audit", "shared-services", "network-hub", "payments-prod",
    "payments-staging", "data-platform-prod", "data-platform-dev", "web-prod", "web-staging",
    "sandbox-research",
)
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
BUCKET = "backup-report-demo"
DATABASE = "backup_report_demo"
#: The region whose ListCopyJobs tonight's run is denied (an SCP), to show "nothing lost".
DENIED = ("ap-southeast-2", "ListCopyJobs")
#: The organisation's AWS Config aggregator (served by the emulator): the coverage queries' inventory.
AGGREGATOR = "org-aggregator"
#: The story's seed, and its jobs per day and region of each type.
SEED = 7
VOLUME = {"backup_jobs_per_day": 60, "copy_jobs_per_day": 24, "restore_jobs_per_day": 20}


def clock(day: dt.date) -> dt.datetime:
    """The simulated clock of a nightly run: 23:59 UTC of its day."""
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.timezone.utc)


def story_spec(accounts: List[Tuple[str, str]], first: dt.date, days: int, now: dt.datetime,
               incident: Optional[Tuple[str, dt.date, int]]) -> synthetic.OrgSpec:
    """The demo organisation's jobs of ``days`` days from ``first``, as listed at ``now``."""
    return synthetic.OrgSpec(accounts=accounts, regions=list(REGIONS), first_day=first, days=days, seed=SEED,
                             story=True, incident=incident, now=now, **VOLUME)


def demo_incident(accounts: List[Tuple[str, str]], today: dt.date, days: int
                  ) -> Optional[Tuple[str, dt.date, int]]:
    """The month's visible incident: payments-staging's backups fail for two days (a KMS key
    disabled), five and four days ago, when the history reaches that far."""
    if days < 6:
        return None
    account = next((a for a, name in accounts if name == "payments-staging"), accounts[-1][0])
    return account, today - dt.timedelta(days=5), 2


def advance(aws: LocalAws, accounts: List[Tuple[str, str]], incident: Optional[Tuple[str, dt.date, int]],
            now: dt.datetime) -> int:
    """The clock moves on to ``now``: AWS Backup lists yesterday's jobs as they ended (the last
    ones finished) and today's so far; returns how many of today's it lists."""
    assert aws.emulator is not None
    today = now.date()
    aws.emulator.generate(story_spec(accounts, today - dt.timedelta(days=1), 1, now, incident))
    return sum(aws.emulator.generate(story_spec(accounts, today, 1, now, incident)).values())


def load_demo_org(aws: LocalAws, today: dt.date, days: int, say: Printer, log_dir: Optional[Path] = None,
                  step: str = "", extra_args: Sequence[str] = ()
                  ) -> Tuple[List[Tuple[str, str]], int, JobRun, Optional[Tuple[str, dt.date, int]]]:
    """The demo organisation, its report bucket and database, ``days`` days of jobs as AWS
    Backup listed them last night, and the backfill (the real entry script, with ``extra_args``)
    of those days."""
    yesterday = today - dt.timedelta(days=1)
    accounts = aws.create_organization(ACCOUNT_NAMES)
    aws.create_report_target(BUCKET, DATABASE)
    say(f"{step}organisation: {len(accounts)} accounts ({accounts[0][1]} + {len(accounts) - 1} members), "
        f"regions {', '.join(REGIONS)}; s3://{BUCKET}, Glue database {DATABASE}")
    first = yesterday - dt.timedelta(days=days - 1)
    incident = demo_incident(accounts, today, days)
    assert aws.emulator is not None
    spec = story_spec(accounts, first, days, clock(yesterday), incident)
    seeded = sum(aws.emulator.generate(spec).values())
    # The AWS Config aggregator: the jobs' resources, plus some never backed up and some whose
    # backups stopped (synthetic.inventory); every run snapshots it (--CONFIG_AGGREGATOR).
    inventory = synthetic.inventory(spec)
    aws.emulator.load_config(AGGREGATOR, inventory.items)
    for (job_type, region), jobs in inventory.jobs.items():
        seeded += aws.emulator.load_jobs(job_type, region, jobs)
    seeded += until_final.load(aws.emulator, accounts, today, days)  # jobs that run for days
    told = (f"; {dict(accounts)[incident[0]]}'s backups fail on {incident[1]} and {incident[1] + dt.timedelta(days=1)} "
            "(a KMS key disabled)") if incident else ""
    more = " " * len(step)
    say(f"{more}AWS Backup holds {seeded:,} jobs of {days} days ({first} .. {yesterday}) as listed at "
        f"{clock(yesterday):%Y-%m-%d %H:%M} UTC: a daily backup per resource, a few percent failing{told}")
    say(f"{more}AWS Config aggregator {AGGREGATOR}: {len(inventory.types):,} resources AWS Backup can protect, "
        f"{len(inventory.never)} never backed up, {len(inventory.stopped)} whose backups stopped "
        f"{synthetic.STOPPED_DAYS} days before")
    base = ["--REPORT_BUCKET", BUCKET, "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", DATABASE,
            "--REGIONS", ",".join(REGIONS), "--CONFIG_AGGREGATOR", AGGREGATOR]
    say(f"{more}backfill, last night: glue_jobs/backup_report_job.py --LOOKBACK_DAYS {days} --REPORT_DATE {yesterday}")
    backfill = run_job_with_progress(
        aws, base + ["--LOOKBACK_DAYS", str(days), "--REPORT_DATE", yesterday.isoformat(), "--JOB_RUN_ID",
                     "demo-backfill", *extra_args], clock(yesterday), days * len(REGIONS) * len(JOB_TABLES), say,
        "backfill", log_dir)
    return accounts, seeded, backfill, incident
