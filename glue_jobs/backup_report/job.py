"""The run, stage after stage (``run``), and its exit status and summary line (``main``)."""
from __future__ import annotations

import logging
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import boto3

from . import aws, catalog, errors, inventory, notify, org, reconcile, reconciliation, report_runs, settle
from .arguments import Settings, parse_arguments, read_raw_arguments
from .errors import AlertError, BackupReportError, BucketError, PartialFailure
from .fastparse import PageCounts
from .lanes import Lane, run_lanes
from .runlog import configure_logging, failure_message, log, summary
from .schema import ALL_TABLES, REPORT_RUNS
from .slices import Planned, SliceResult
from .write import check_bucket


@dataclass
class RunReport:
    """The outcome of a run: every slice, and the ledger objects written."""

    settings: Settings
    regions: Sequence[str]
    results: List[SliceResult]
    ledger_paths: List[str]
    alerts: Optional[notify.Outcome] = None  # what was announced (notify.announce)
    pages: Optional[PageCounts] = None  # pages parsed fast and by botocore (lanes.run_lanes)
    #: The slices given up on (``settle``: not final when AWS Backup's retention ended): recorded, not failed.
    expired: List[SliceResult] = field(default_factory=list)
    #: The comparison with AWS Backup's daily counts (``reconciliation.finish``).
    reconciled: reconciliation.Outcome = field(default_factory=reconciliation.Outcome)
    #: What went wrong besides the slices (the report_runs ledger could not be read back).
    errors: List[str] = field(default_factory=list)

    @property
    def failures(self) -> Optional[str]:
        return report_runs.summarize_failures(self.results)


def plan_lanes(settings: Settings, lanes: Sequence[Lane], settling: settle.Settling, check: reconcile.Check
               ) -> Dict[Tuple[str, str], List[Planned]]:
    """Each lane's slices: the window's days, then the days outside it to settle or reconcile."""
    rewrites = check.rewrites()
    plan: Dict[Tuple[str, str], List[Planned]] = {}
    for table, region in lanes:
        lane = (table.job_type, region)
        # a slice both to settle and to reconcile is rewritten once, for settling
        extra = {day: "reconciling" for day in rewrites.get(lane, [])}
        extra.update({day: "settling" for day in settling.days.get(lane, [])})
        days = [(day, "window") for day in settings.days] + sorted(extra.items())
        plan[lane] = [Planned(day, reason, check.aws_backup((day, *lane))) for day, reason in days]
    return plan


def _settling(session: boto3.Session, settings: Settings, regions: Sequence[str]) -> Tuple[settle.Ledger, settle.Settling, List[str]]:
    """The latest report_runs rows outside the window, and the slices to settle or give up on."""
    today = settings.run_started_at.date()
    wanted = {(t.job_type, r) for t in settings.job_tables for r in regions}
    try:
        ledger = settle.read_ledger(session, settings.bucket, settings.prefix,
                                    settle.ledger_days(settings.days, today), wanted)
    except BucketError as error:  # the window is still written; the run fails at its end
        log.error("settling: cannot read report_runs back, no slice outside the window is settled: %s", error)
        return settle.Ledger(), settle.Settling(), [f"Cannot read report_runs back for settling: {error}"]
    settling = settle.plan(ledger, settings.days, wanted, today)
    log.info("settling: %d report_runs object(s) read (%d bytes); %d slice(s) to settle, %d expired",
             ledger.objects_read, ledger.bytes_read, settling.slices, len(settling.expired))
    return ledger, settling, []


def run(settings: Settings) -> RunReport:
    """Run the job for ``settings``; raises a BackupReportError before writing when set-up fails."""
    session = aws.job_session()
    check_bucket(session, settings.bucket)
    catalog.check_database(session, settings.database)
    management = aws.assume_management_session(session, settings.role_arn, settings.external_id,
                                                settings.run_id)
    regions = settings.regions or aws.enabled_regions(management)
    names = org.account_names(management)
    log.info("run %s: report days %s to %s, %d region(s): %s, %d account name(s) known", settings.run_id,
             settings.days[0], settings.days[-1], len(regions), ",".join(regions), len(names))
    for table in ALL_TABLES:
        if table.job_type != inventory.JOB_TYPE:  # resources: only with --CONFIG_AGGREGATOR (inventory)
            catalog.ensure_table(session, settings.database, settings.bucket, settings.prefix, table)

    # A lane: one job type of one region, its days in order. The largest type comes first,
    # so that the lanes listed last are the short ones.
    lanes = [(table, region) for table in settings.job_tables for region in regions]
    # Outside the window: the slices still holding jobs that are not final (from report_runs), and
    # the ones that differ from AWS Backup's own counts (never fails the run).
    ledger, settling, problems = _settling(session, settings, regions)
    check = reconcile.check(management, session, settings, regions, ledger)
    registry = catalog.PartitionRegistry(session, settings.database)
    listed = run_lanes(settings, management, session, lanes, names, registry,
                       plan_lanes(settings, lanes, settling, check))
    by_lane = {(table.job_type, region): lane for (table, region), lane in zip(lanes, listed.lanes)}
    results = [r for region in regions for table in settings.job_tables for r in by_lane[(table.job_type, region)]]

    # The slices registered their new partitions; this removes the ones their deletions emptied.
    for table in settings.job_tables:
        days = set(settings.days) | {r.day for r in results if r.job_type == table.job_type}
        catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, table, sorted(days))
    if settings.config_aggregator:  # after the job slices: a failed snapshot never holds them back
        results.append(inventory.snapshot(session, management, settings, names))
    paths = report_runs.write_report_runs(session, settings.bucket, settings.prefix, settings.run_id,
                                settings.run_started_at, results + settling.expired)
    log.info("report_runs: %d slice row(s) written for %d report day(s)", len(results) + len(settling.expired),
             len(paths))
    catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, REPORT_RUNS,
                            sorted(set(settings.days) | {r.day for r in results + settling.expired}))
    reconciled = reconciliation.finish(session, settings, check, results)
    # Once the reports are written: announce the new attention items (never raises for a channel).
    announced = notify.announce(session, settings, tuple(regions), results, reconciled.detail())
    return RunReport(settings, tuple(regions), results, paths, announced, listed.pages, settling.expired,
                     reconciled, problems)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the Glue script and ``backup-report run``: returns the exit status.

    Whatever happens, the last line is the run's summary: INFO (stdout) when the run
    succeeded, ERROR (stderr) after the error's own ``backup-report: error: ...`` line.
    """
    started = time.monotonic()
    configure_logging()
    argv = list(sys.argv[1:] if argv is None else argv)
    run_id, target, results = "", "", []  # type: str, str, List[SliceResult]
    pages: Optional[PageCounts] = None
    reconciled = ""
    try:
        settings = parse_arguments(argv)
        run_id, target = settings.run_id, f"s3://{settings.bucket}/{settings.prefix}/"
        report = run(settings)
        results, pages, reconciled = report.results, report.pages, report.reconciled.text()
        if report.failures:
            raise PartialFailure(failure_message(results))
        if report.errors:
            raise PartialFailure("; ".join(report.errors))
        if report.alerts is not None and report.alerts.failures:
            raise AlertError("The reports were written, but announcing what needs attention failed: "
                             + report.alerts.error)
        status = 0
    except BackupReportError as error:
        status = errors.report(error)
    except Exception:  # an unexpected failure still names itself and exits non-zero
        traceback.print_exc()
        print("backup-report: error: unexpected failure (traceback above)", file=sys.stderr)
        status = 1
    if not run_id:  # the arguments were refused: Glue's run id, when it passed one
        run_id = read_raw_arguments(argv).get("JOB_RUN_ID", "")
    line = summary(run_id, results, time.monotonic() - started, status, target, pages, reconciled)
    log.log(logging.INFO if status == 0 else logging.ERROR, line)
    return status
