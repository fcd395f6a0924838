"""The run, stage after stage (``run``), and its exit status and summary line (``main``)."""
from __future__ import annotations

import logging
import sys
import time
import traceback
from dataclasses import dataclass
from typing import List, Optional, Sequence

from . import aws, catalog, errors, inventory, notify, org, report_runs
from .arguments import Settings, parse_arguments, read_raw_arguments
from .errors import AlertError, BackupReportError, PartialFailure
from .fastparse import PageCounts
from .lanes import run_lanes
from .runlog import configure_logging, failure_message, log, summary
from .schema import ALL_TABLES, REPORT_RUNS
from .slices import SliceResult
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

    @property
    def failures(self) -> Optional[str]:
        return report_runs.summarize_failures(self.results)


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
    registry = catalog.PartitionRegistry(session, settings.database)
    listed = run_lanes(settings, management, session, lanes, names, registry)
    by_lane = {(table.job_type, region): lane for (table, region), lane in zip(lanes, listed.lanes)}
    results = [r for region in regions for table in settings.job_tables for r in by_lane[(table.job_type, region)]]

    # The slices registered their new partitions; this removes the ones their deletions emptied.
    for table in settings.job_tables:
        catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, table,
                                settings.days)
    if settings.config_aggregator:  # after the job slices: a failed snapshot never holds them back
        results.append(inventory.snapshot(session, management, settings, names))
    paths = report_runs.write_report_runs(session, settings.bucket, settings.prefix, settings.run_id,
                                settings.run_started_at, results)
    log.info("report_runs: %d slice row(s) written for %d report day(s)", len(results), len(paths))
    catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, REPORT_RUNS,
                            settings.days)
    # Once the reports are written: announce the new attention items (never raises for a channel).
    announced = notify.announce(session, settings, tuple(regions), results)
    return RunReport(settings, tuple(regions), results, paths, announced, listed.pages)


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
    try:
        settings = parse_arguments(argv)
        run_id, target = settings.run_id, f"s3://{settings.bucket}/{settings.prefix}/"
        report = run(settings)
        results, pages = report.results, report.pages
        if report.failures:
            raise PartialFailure(failure_message(results))
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
    line = summary(run_id, results, time.monotonic() - started, status, target, pages)
    log.log(logging.INFO if status == 0 else logging.ERROR, line)
    return status
