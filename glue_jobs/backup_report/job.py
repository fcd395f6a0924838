"""The job: arguments -> sessions -> fetch -> shape -> write -> catalog -> ledger -> exit status."""
from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence, Set

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from . import aws, catalog, errors, fetch, ledger
from .arguments import Settings, parse_arguments
from .errors import BackupReportError, BucketError, PartialFailure
from .ledger import SliceResult
from .schema import ALL_TABLES, JOB_TABLES, REPORT_RUNS, Table
from .shape import shape_jobs
from .write import SliceWriter, check_bucket

log = logging.getLogger("backup_report")

#: Jobs shaped and written at a time: memory stays bounded whatever a day's volume.
CHUNK_ROWS = 20_000
#: Regions fetched at once (each region has its own AWS Backup request quota).
MAX_PARALLEL_REGIONS = 4


@dataclass
class RunReport:
    """The outcome of a run: every slice, and the ledger objects written."""

    settings: Settings
    regions: Sequence[str]
    results: List[SliceResult]
    ledger_paths: List[str]

    @property
    def failures(self) -> Optional[str]:
        return ledger.summarize_failures(self.results)


def run_slice(client, session: boto3.Session, settings: Settings, table: Table, region: str,
              day: dt.date, names: Mapping[str, str],
              registry: Optional[catalog.PartitionRegistry] = None) -> SliceResult:
    """Fetch one job type x region x day and replace its rows; on failure keep the old rows.

    Order, so that a run killed at any moment hides no job: write the new objects, register
    their partitions (``registry``, shared by the run's slices), then delete the older objects.
    """
    if registry is None:
        registry = catalog.PartitionRegistry(session, settings.database)
    result = SliceResult(table.job_type, region, day)
    writer = SliceWriter(session, settings.bucket, settings.prefix, table, region, day, settings.run_id)
    buffer: List[dict] = []
    # A job created while a day is being listed can shift the pages and repeat a job:
    # each job is kept once, as first listed.
    seen: Set[str] = set()
    id_field = table.columns[0].source
    try:
        for page in fetch.list_jobs(client, table, day):
            for job in page:
                if job[id_field] not in seen:
                    seen.add(job[id_field])
                    buffer.append(job)
            if len(buffer) >= CHUNK_ROWS:
                writer.write(shape_jobs(buffer, table, region, names))
                buffer = []
        writer.write(shape_jobs(buffer, table, region, names))
    except Exception as error:  # any failure of one slice must not stop the others, nor the ledger
        result.error = _cause(error)
        writer.abandon()
        log.error("%s jobs %s %s: %s (earlier rows kept)", table.job_type, region, day, result.error,
                  exc_info=not isinstance(error, (ClientError, BotoCoreError, BucketError)))
        return result
    try:
        registry.register(table, writer.partitions())
    except Exception as error:  # nothing deleted yet: the older rows stay, and stay visible
        result.error = f"{_cause(error)} (earlier rows kept; the next run retries)"
        writer.abandon()
        log.error("%s jobs %s %s: %s", table.job_type, region, day, result.error,
                  exc_info=not isinstance(error, BackupReportError))
        return result
    try:
        writer.finish()
    except BucketError as error:  # the new rows are complete: keep them rather than lose any
        result.error = f"{error} (the new rows are written; older objects may remain until the next run)"
        log.error("%s jobs %s %s: %s", table.job_type, region, day, result.error)
        return result
    result.counts = dict(writer.counts)
    log.info("%s jobs %s %s: %d", table.job_type, region, day, sum(result.counts.values()))
    return result


def _cause(error: Exception) -> str:
    if isinstance(error, (ClientError, BotoCoreError)):
        return aws.describe_error(error)
    if isinstance(error, BackupReportError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"


def run_region(management: boto3.Session, session: boto3.Session, settings: Settings, region: str,
               names: Mapping[str, str], registry: Optional[catalog.PartitionRegistry] = None
               ) -> List[SliceResult]:
    """Every slice of ``region``. Once a job type fails there (retries exhausted, access
    denied), its remaining days are not attempted: they fail with the same cause and keep
    their rows, rather than hammering a throttled or denied API for every day."""
    client = fetch.backup_client(management, region)
    results: List[SliceResult] = []
    for table in JOB_TABLES:
        cause = ""
        for day in settings.days:
            if cause:
                results.append(SliceResult(table.job_type, region, day, error=f"not attempted after: {cause}"))
                continue
            result = run_slice(client, session, settings, table, region, day, names, registry)
            cause = result.error
            results.append(result)
    return results


def run(settings: Settings) -> RunReport:
    """Run the job for ``settings``; raises a BackupReportError before writing when set-up fails."""
    session = aws.job_session()
    check_bucket(session, settings.bucket)
    catalog.check_database(session, settings.database)
    management = aws.assume_management_session(session, settings.role_arn, settings.external_id,
                                                settings.run_id)
    regions = settings.regions or aws.enabled_regions(management)
    names = fetch.account_names(management)
    log.info("run %s: %s to %s, %d region(s): %s, %d account name(s)", settings.run_id,
             settings.days[0], settings.days[-1], len(regions), ",".join(regions), len(names))
    for table in ALL_TABLES:
        catalog.ensure_table(session, settings.database, settings.bucket, settings.prefix, table)

    registry = catalog.PartitionRegistry(session, settings.database)
    with ThreadPoolExecutor(max_workers=min(len(regions), MAX_PARALLEL_REGIONS)) as pool:
        per_region = list(pool.map(lambda r: run_region(management, session, settings, r, names, registry),
                                   regions))
    results = [r for region_results in per_region for r in region_results]

    # The slices registered their new partitions; this removes the ones their deletions emptied.
    for table in JOB_TABLES:
        catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, table,
                                settings.days)
    paths = ledger.write_ledger(session, settings.bucket, settings.prefix, settings.run_id,
                                settings.run_started_at, results)
    catalog.sync_partitions(session, settings.database, settings.bucket, settings.prefix, REPORT_RUNS,
                            settings.days)
    return RunReport(settings, tuple(regions), results, paths)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the Glue script and ``backup-report run``: returns the exit status."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        settings = parse_arguments(argv)
        report = run(settings)
        if report.failures:
            raise PartialFailure("Some slices could not be fetched; their earlier rows were kept "
                                 "and report_runs records the failure:\n" + report.failures)
    except BackupReportError as error:
        return errors.report(error)
    except Exception:  # an unexpected failure still names itself and exits non-zero
        traceback.print_exc()
        print("backup-report: error: unexpected failure (traceback above)", file=sys.stderr)
        return 1
    total = sum(sum(r.counts.values()) for r in report.results)
    print(f"backup-report: run {settings.run_id} wrote {total} jobs for {len(settings.days)} day(s) "
          f"x {len(report.regions)} region(s) to s3://{settings.bucket}/{settings.prefix}/", file=sys.stderr)
    return 0
