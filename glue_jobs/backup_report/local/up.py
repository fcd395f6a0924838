"""``backup-report local up``: a local AWS you can keep (moto's server + the AWS Backup emulator).

It runs in the foreground until Ctrl-C (or SIGTERM), on fixed loopback ports, with the report
bucket and Glue database of the demo, and optionally the demo organisation (``demo.org``)
backfilled last night, AWS Backup then listing its jobs up to the local clock (now, or
``BACKUP_REPORT_NOW``), as a production account does the morning after the nightly run. Its
organisation is prepared as docs/deployment.md prepares one, so ``doctor`` passes. It prints
the ``export`` lines that ``backup-report query --local``, ``run`` and ``doctor`` need in
another shell. Nothing here talks to a real AWS endpoint.
"""
from __future__ import annotations

import datetime as dt
import signal
import socket
import sys
import time
from typing import IO, List, Optional

from ..arguments import utc_now
from .demo.org import AGGREGATOR, BUCKET, DATABASE, REGIONS, advance, load_demo_org
from .errors import DemoError
from .printer import Printer
from .stack import ROLE_ARN, LocalAws, force_local_env

#: What the local AWS never inherits from the shell that uses it (a profile, a session token).
UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def export_lines(aws: LocalAws, database: str = DATABASE) -> List[str]:
    """The shell lines that point another shell's SDK (and ``backup-report``) at ``aws``."""
    lines = ["unset " + " ".join(UNSET)]
    lines += [f"export {name}={value}" for name, value in sorted(aws.env.items())]
    lines.append(f"export BACKUP_REPORT_DATABASE={database}")
    return lines


def example_commands(demo_org: bool = True) -> List[str]:
    """What to run against the local AWS, once the export lines are pasted: the run as the
    nightly trigger runs it (with the demo organisation's aggregator), and doctor."""
    target = f"--REPORT_BUCKET {BUCKET} --MANAGEMENT_ROLE_ARN {ROLE_ARN} --GLUE_DATABASE {DATABASE}"
    inventory = f" --CONFIG_AGGREGATOR {AGGREGATOR}" if demo_org else ""
    return ["backup-report queries",
            "backup-report query failed_backup_jobs --local",
            "backup-report query report_completeness --local --param days=7",
            f"backup-report run {target} --REGIONS {','.join(REGIONS)}{inventory} --LOOKBACK_DAYS 3",
            f"backup-report doctor {target} --REGIONS {','.join(REGIONS)}"]


def local_up(port: int = 4580, demo_org: bool = False, days: int = 30, now: Optional[dt.datetime] = None,
             out: IO[str] = sys.stdout, until=None) -> int:
    """Start the local AWS on ``port`` (moto) and ``port + 1`` (the emulator), load what was
    asked, print the export lines, and serve until interrupted (or ``until()`` is true).
    ``now``: the local clock (default: the job's, ``BACKUP_REPORT_NOW`` or now)."""
    if not 1 <= days <= 30:
        raise DemoError(f"--days {days}: must be 1..30 (AWS Backup keeps about 30 days of jobs)")
    busy = [p for p in (port, port + 1) if not _port_is_free(p)]
    if busy:
        raise DemoError(f"Port {', '.join(map(str, busy))} on 127.0.0.1 is in use (another `backup-report local "
                        "up`?): stop it, or pass --port with a free port")
    say = Printer(out)
    force_local_env()
    now = now or utc_now()
    aws = LocalAws(moto_port=port, backup_port=port + 1)

    def stop_on_term(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop_on_term)
    try:
        say(f"Starting moto's server on 127.0.0.1:{port} and the AWS Backup emulator on 127.0.0.1:{port + 1} ...")
        try:
            aws.start()
        except (RuntimeError, OSError) as error:
            raise DemoError(f"Cannot start the local AWS: {error}") from error
        if demo_org:
            accounts, _seeded, backfill, incident = load_demo_org(aws, now.date(), days, say)
            if backfill.exit_status != 0:
                raise DemoError(f"The backfill failed (exit status {backfill.exit_status}): "
                                f"{backfill.error or backfill.stderr.strip()[-2000:]}")
            say(f"      {backfill.summary}")
            today = advance(aws, accounts, incident, now)
            say(f"now, {now:%Y-%m-%d %H:%M} UTC: AWS Backup also lists {today:,} job(s) of today so far, which "
                "the next run reports (`backup-report run`, below); until then the queries' last days end "
                f"yesterday, {now.date() - dt.timedelta(days=1)}")
        else:
            aws.create_organization([])
            aws.create_report_target(BUCKET, DATABASE)
            say(f"Report bucket s3://{BUCKET} and Glue database {DATABASE} created (no jobs: --demo-org loads "
                "the demo organisation)")
        say()
        say("Local AWS up. In another shell, paste:")
        say()
        for line in export_lines(aws):
            say(f"  {line}")
        say()
        say("then, for example:")
        for line in example_commands(demo_org):
            say(f"  {line}")
        say()
        say("Ctrl-C stops the local AWS (its data lives in memory and goes with it).")
        while aws.alive() and not (until and until()):
            time.sleep(0.5)
        if not aws.alive():
            raise DemoError("A local server stopped by itself; the local AWS is down")
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        aws.stop()
        say("Local AWS stopped.")
    return 0
