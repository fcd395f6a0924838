"""The job: arguments -> sessions -> fetch -> shape -> write -> catalog -> report_runs -> exit status."""
from __future__ import annotations

import datetime as dt
import gc
import logging
import multiprocessing
import os
import re
import signal
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence, Set, Tuple

import boto3

from . import aws, catalog, errors, inventory, listing, notify, org, pacing, report_runs
from .arguments import Settings, parse_arguments, read_raw_arguments
from .aws import AWS_ERRORS
from .errors import AlertError, BackupReportError, BucketError, PartialFailure
from .schema import ALL_TABLES, JOB_TABLES, JOB_TABLES_BY_TYPE, REPORT_RUNS, Table
from .shape import shape_jobs
from .slices import SliceResult
from .write import SliceWriter, check_bucket

log = logging.getLogger("backup_report")

#: Jobs shaped and written at a time: memory stays bounded whatever a day's volume (10,000:
#: 1,000,000 jobs in 956 MiB for all the job's processes, 1,077 MiB with 20,000, the same CPU).
CHUNK_ROWS = 10_000
#: Lanes (a job type in a region) listed at once by threads when the job has one process (one
#: CPU): two keep that CPU busy while a call is under way; more would only hold more chunks.
MAX_PARALLEL_LANES = 2
#: Listing processes at most, each one lane at a time (when more than one CPU is present).
MAX_PROCESSES = 4
#: How long a thread may hold the GIL while another waits (Python's default: 5 ms). A listing
#: thread reads a page in many socket reads (one per TLS record on AWS) and waits for the GIL
#: after each one while the shaping thread computes: with 5 ms the paced benchmark took 25.7 s,
#: with 1 ms 18.7 s, the same CPU (docs/performance.md).
GIL_SWITCH_INTERVAL = 0.001
#: Container allocations between two collections of the youngest generation (Python's default:
#: 700). A page makes about 40,000 dicts and lists that live until their chunk is written, and
#: nothing of the job's makes cycles of note: at 700 the collector ran every few jobs and traced
#: the chunks again and again (about 11 µs a job in the paced benchmark).
GC_THRESHOLDS = (50_000, 20, 100)

# One log line per slice, so that an on-call engineer reads what each number counts and
# every failed or skipped slice is an ERROR line of its own (docs/operations.md#logs).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SLICE_WRITTEN = "%s jobs %s %s: %d jobs written"
SLICE_FAILED = "%s jobs %s %s: failed: %s"
SLICE_SKIPPED = "%s jobs %s %s: skipped after the failure of %s (earlier rows kept): %s"
#: What a slice's log line looks like (the demo's progress bar reads them).
SLICE_LINE = re.compile(r" (?P<level>INFO|ERROR) backup_report: (?P<job_type>backup|copy|restore) jobs "
                        r"(?P<region>\S+) (?P<day>\d{4}-\d{2}-\d{2}): "
                        r"(?P<outcome>\d+ jobs written|failed|skipped)")
#: The error of a slice not attempted because an earlier day of its job type and region failed.
NOT_ATTEMPTED = "not attempted after: "
#: One job type in one region: its slices are listed day after day, by one thread or process.
Lane = Tuple[Table, str]


@dataclass
class RunReport:
    """The outcome of a run: every slice, and the ledger objects written."""

    settings: Settings
    regions: Sequence[str]
    results: List[SliceResult]
    ledger_paths: List[str]
    alerts: Optional[notify.Outcome] = None  # what was announced (notify.announce)

    @property
    def failures(self) -> Optional[str]:
        return report_runs.summarize_failures(self.results)


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
        for page in listing.list_jobs(client, table, day):
            for job in page:
                if job[id_field] not in seen:
                    seen.add(job[id_field])
                    buffer.append(job)
            if len(buffer) >= CHUNK_ROWS:
                writer.write(shape_jobs(buffer, table, region, names))
                buffer = []
        writer.write(shape_jobs(buffer, table, region, names))
        writer.flush()  # every object in S3 (a failed upload fails the slice here)
    except Exception as error:  # any failure of one slice must not stop the others, nor the ledger
        result.error = aws.cause(error)
        writer.abandon()
        log.error(SLICE_FAILED, table.job_type, region, day, result.error + " (earlier rows kept)",
                  exc_info=not isinstance(error, (*AWS_ERRORS, BucketError)))
        return result
    try:
        registry.register(table, writer.partitions())
    except Exception as error:  # nothing deleted yet: the older rows stay, and stay visible
        result.error = f"{aws.cause(error)} (earlier rows kept; the next run retries)"
        writer.abandon()
        log.error(SLICE_FAILED, table.job_type, region, day, result.error,
                  exc_info=not isinstance(error, BackupReportError))
        return result
    try:
        writer.finish()
    except BucketError as error:  # the new rows are complete: keep them rather than lose any
        result.error = f"{error} (the new rows are written; older objects may remain until the next run)"
        log.error(SLICE_FAILED, table.job_type, region, day, result.error)
        return result
    result.counts = dict(writer.counts)
    result.attention = list(writer.attention)
    log.info(SLICE_WRITTEN, table.job_type, region, day, sum(result.counts.values()))
    return result


def run_lane(client, session: boto3.Session, settings: Settings, table: Table, region: str,
             names: Mapping[str, str], registry: Optional[catalog.PartitionRegistry] = None
             ) -> List[SliceResult]:
    """The slices of one job type in ``region``, day after day. Once a day fails there
    (retries exhausted, access denied), the remaining days are not attempted: they fail with
    the same cause and keep their rows, rather than hammering a throttled or denied API."""
    results: List[SliceResult] = []
    cause, failed_on = "", None
    for day in settings.days:
        if cause:
            results.append(SliceResult(table.job_type, region, day, error=NOT_ATTEMPTED + cause))
            log.error(SLICE_SKIPPED, table.job_type, region, day, failed_on, cause)
            continue
        result = run_slice(client, session, settings, table, region, day, names, registry)
        cause, failed_on = result.error, day
        results.append(result)
    return results


def worker_processes(lanes: int) -> int:
    """Processes to list with: one per CPU this process may use (``BACKUP_REPORT_PROCESSES``
    overrides), at most ``MAX_PROCESSES`` and one per lane; 1 where ``fork`` is not safe."""
    wanted = os.environ.get("BACKUP_REPORT_PROCESSES", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        count = int(wanted)
    else:
        count = min(available_cpus(), MAX_PROCESSES)
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(count, lanes))


def available_cpus() -> int:
    """The CPUs this process may run on (Glue Python shell: several at 1 DPU, one at 0.0625)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _lane_failed(table: Table, region: str, days: Sequence[dt.date], error: BaseException) -> List[SliceResult]:
    cause = f"unexpected {type(error).__name__}: {error}"
    log.error(SLICE_FAILED, table.job_type, region, days[0], cause)
    return [SliceResult(table.job_type, region, day, error=cause if not i else NOT_ATTEMPTED + cause)
            for i, day in enumerate(days)]


def _run_lanes_in_threads(management: boto3.Session, session: boto3.Session, settings: Settings,
                          lanes: Sequence[Lane], names: Mapping[str, str],
                          registry: catalog.PartitionRegistry) -> List[List[SliceResult]]:
    regions = sorted({region for _, region in lanes})
    # created here, not in the threads (sessions are not thread-safe); one quota per region
    clients = {r: listing.backup_client(management, r, pacing.RateLimiter()) for r in regions}
    with ThreadPoolExecutor(max_workers=min(len(lanes), MAX_PARALLEL_LANES)) as pool:
        futures = [pool.submit(run_lane, clients[region], session, settings, table, region, names, registry)
                   for table, region in lanes]
    return [f.result() for f in futures]


class _Worker:
    """A listing process's own sessions, catalog registry and clients (one per region,
    paced by the region's token bucket that every process shares)."""

    current: Optional["_Worker"] = None

    def __init__(self, settings: Settings, names: Mapping[str, str], buckets: Mapping[str, tuple]):
        self.settings, self.names, self.buckets = settings, names, buckets
        # new sessions: the parent's connections and credentials' refresh are not shared
        self.session = aws.job_session()
        self.management = aws.assume_management_session(self.session, settings.role_arn, settings.external_id,
                                                         settings.run_id)
        self.registry = catalog.PartitionRegistry(self.session, settings.database)
        self.clients: dict = {}

    @classmethod
    def start(cls, parent: int, settings: Settings, names: Mapping[str, str], buckets: Mapping[str, tuple]
              ) -> None:
        _die_with(parent)
        cls.current = cls(settings, names, buckets)

    @classmethod
    def lane(cls, job_type: str, region: str) -> List[SliceResult]:
        self = cls.current
        assert self is not None, "the worker process was not started"
        if region not in self.clients:
            lock, state = self.buckets[region]
            self.clients[region] = listing.backup_client(self.management, region,
                                                       pacing.RateLimiter(lock=lock, state=state))
        table = JOB_TABLES_BY_TYPE[job_type]
        return run_lane(self.clients[region], self.session, self.settings, table, region, self.names,
                        self.registry)


def _die_with(parent: int) -> None:
    """Make this worker process end when the run's process ends, even killed (Glue stops a job
    run as a whole: a worker left over would go on writing and deleting objects)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool ends its workers on a normal exit
        pass
    if os.getppid() != parent:  # the run ended before this worker was ready
        os._exit(1)


def _run_lanes_in_processes(settings: Settings, lanes: Sequence[Lane], names: Mapping[str, str],
                            processes: int) -> List[List[SliceResult]]:
    """Each lane in one of ``processes`` forked processes, one lane at a time each: parsing and
    shaping use every CPU; a slice is still written, registered and finished by one process."""
    context = multiprocessing.get_context("fork")
    regions = sorted({region for _, region in lanes})
    buckets = {r: (context.Lock(), context.RawArray("d", 3)) for r in regions}
    sys.stdout.flush()  # else a child would write again what this process had buffered
    sys.stderr.flush()
    results: List[List[SliceResult]] = []
    with ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=_Worker.start,
                             initargs=(os.getpid(), settings, names, buckets)) as pool:
        futures = [pool.submit(_Worker.lane, table.job_type, region) for table, region in lanes]
        for (table, region), future in zip(lanes, futures):
            try:
                results.append(future.result())
            except Exception as error:  # a worker that died (out of memory, killed) fails its lanes
                results.append(_lane_failed(table, region, settings.days, error))
    return results


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
    lanes = [(table, region) for table in JOB_TABLES for region in regions]
    processes = worker_processes(len(lanes))
    log.info("listing with %d process(es) (%d CPU(s) available), %d lane(s)", processes, available_cpus(),
             len(lanes))
    registry = catalog.PartitionRegistry(session, settings.database)
    if processes > 1:
        per_lane = _run_lanes_in_processes(settings, lanes, names, processes)
    else:
        per_lane = _run_lanes_in_threads(management, session, settings, lanes, names, registry)
    by_lane = {(table.job_type, region): lane for (table, region), lane in zip(lanes, per_lane)}
    results = [r for region in regions for table in JOB_TABLES for r in by_lane[(table.job_type, region)]]

    # The slices registered their new partitions; this removes the ones their deletions emptied.
    for table in JOB_TABLES:
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
    return RunReport(settings, tuple(regions), results, paths, announced)


class _ByLevel(logging.Handler):
    """Below WARNING to stdout, WARNING and above to stderr: the streams of the moment
    (``sys.stdout`` / ``sys.stderr`` are looked up per record, so a test capturing them sees it)."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stderr if record.levelno >= logging.WARNING else sys.stdout
        try:
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # logging must never end the run
            self.handleError(record)


def configure_logging() -> None:
    """INFO and progress to stdout (Glue's ``output`` log group), warnings and errors to stderr
    (its ``error`` group); idempotent."""
    root = logging.getLogger()
    if not any(isinstance(h, _ByLevel) for h in root.handlers):
        handler = _ByLevel()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("botocore").setLevel(logging.WARNING)


def summary(run_id: str, results: Sequence[SliceResult], seconds: float, exit_status: int,
            target: str = "") -> str:
    """The run's last line: its outcome, the slices written, failed and skipped, the jobs
    written per table, and how long it took."""
    skipped = sum(1 for r in results if r.error.startswith(NOT_ATTEMPTED))
    failed = sum(1 for r in results if r.error) - skipped
    written = len(results) - failed - skipped
    per_table = ", ".join(f"{t.name} {sum(sum(r.counts.values()) for r in results if r.job_type == t.job_type)}"
                          for t in JOB_TABLES)
    outcome = "succeeded" if exit_status == 0 else f"failed (exit status {exit_status})"
    where = f" to {target}" if target else ""
    return (f"run {run_id or '-'} {outcome}: {written} slice(s) written, {failed} failed, {skipped} skipped; "
            f"jobs written{where}: {per_table}; {seconds:.1f}s")


def failure_message(results: Sequence[SliceResult]) -> str:
    """One line (CloudWatch shows each line as its own event): the slices not fetched, per
    region and job type with their days and first cause."""
    groups: dict = {}
    for r in results:
        if r.error:
            group = groups.setdefault((r.region, r.job_type), {"days": [], "skipped": 0, "cause": ""})
            skipped = r.error.startswith(NOT_ATTEMPTED)
            group["days"].append(r.day)
            group["skipped"] += skipped
            group["cause"] = group["cause"] or (r.error[len(NOT_ATTEMPTED):] if skipped else r.error)
    parts = []
    for (region, job_type), g in groups.items():
        days = g["days"]
        span = f"{min(days)}..{max(days)}" if len(days) > 1 else str(days[0])
        skipped = f", {g['skipped']} of them skipped after the first failure" if g["skipped"] else ""
        parts.append(f"region {region}, {job_type} jobs, {len(days)} day(s) {span}{skipped}: {g['cause']}")
    not_fetched = sum(len(g["days"]) for g in groups.values())
    return (f"{not_fetched} of {len(results)} slice(s) could not be fetched; their earlier rows were kept and "
            "report_runs records the failure: " + "; ".join(parts))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the Glue script and ``backup-report run``: returns the exit status.

    Whatever happens, the last line is the run's summary: INFO (stdout) when the run
    succeeded, ERROR (stderr) after the error's own ``backup-report: error: ...`` line.
    """
    started = time.monotonic()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # inherited by the listing processes, as is:
    gc.freeze()  # the modules' objects, never garbage: out of every collection
    gc.set_threshold(*GC_THRESHOLDS)
    configure_logging()
    argv = list(sys.argv[1:] if argv is None else argv)
    run_id, target, results = "", "", []  # type: str, str, List[SliceResult]
    try:
        settings = parse_arguments(argv)
        run_id, target = settings.run_id, f"s3://{settings.bucket}/{settings.prefix}/"
        report = run(settings)
        results = report.results
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
    line = summary(run_id, results, time.monotonic() - started, status, target)
    log.log(logging.INFO if status == 0 else logging.ERROR, line)
    return status
