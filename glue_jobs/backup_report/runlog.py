"""The job's log as an on-call engineer reads it: set-up, the slice lines' formats, the run's summary."""
from __future__ import annotations

import logging
import re
import sys
from typing import TYPE_CHECKING, Optional, Sequence, Tuple

from .schema import JOB_TABLES, RESOURCES

if TYPE_CHECKING:  # slices logs with this module's formats
    from .slices import SliceResult

#: The logger of the job's own lines: its name is part of every line (``SLICE_LINE`` reads it).
log = logging.getLogger("backup_report")

# One log line per slice, so that an on-call engineer reads what each number counts and
# every failed or skipped slice is an ERROR line of its own (docs/operations.md#logs).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SLICE_WRITTEN = "%s jobs %s %s: %d jobs written"
SLICE_FAILED = "%s jobs %s %s: failed: %s"
SLICE_SKIPPED = "%s jobs %s %s: skipped after the failure of %s (earlier rows kept): %s"
#: What a slice's log line looks like (the demo's progress bar reads them).
SLICE_LINE = re.compile(r" (?P<level>INFO|ERROR) backup_report: (?P<job_type>backup|copy|restore|scan) jobs "
                        r"(?P<region>\S+) (?P<day>\d{4}-\d{2}-\d{2}): "
                        r"(?P<outcome>\d+ jobs written|failed|skipped)")
#: ``report_runs.job_type`` of the AWS Config snapshot: a slice of the run besides its job slices,
#: counted apart wherever the job slices are counted (the summary, the error, the event).
INVENTORY = RESOURCES.job_type
INVENTORY_WRITTEN = "inventory %s: %d resource(s) of aggregator %s written to %s"
INVENTORY_FAILED = "inventory %s: failed: %s"
#: What the snapshot's log line looks like (the demo's progress bar reads it too).
INVENTORY_LINE = re.compile(r" (?P<level>INFO|ERROR) backup_report[.\w]*: inventory (?P<day>\d{4}-\d{2}-\d{2}): "
                            r"(?P<outcome>\d+ resource\(s\)|failed)")


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
            target: str = "", pages: Optional[Tuple[int, int]] = None, reconciliation: str = "") -> str:
    """The run's last line: its outcome, the job slices written, failed and skipped (as the
    slice lines count them), the inventory's outcome when the run took one, the jobs written
    per table, the pages parsed on the fast path and by botocore (``pages``, when counted), the
    comparison with AWS Backup's counts (``reconciliation.Outcome.text``), and how long it took."""
    slices = [r for r in results if r.job_type != INVENTORY]
    written = sum(1 for r in slices if r.written)
    failed = sum(1 for r in slices if r.failed)
    skipped = sum(1 for r in slices if r.skipped)
    snapshots = "".join(f", inventory {'written' if r.written else 'failed'}"
                        for r in results if r.job_type == INVENTORY)
    per_table = ", ".join(f"{t.name} {sum(sum(r.counts.values()) for r in slices if r.job_type == t.job_type)}"
                          for t in JOB_TABLES)
    outcome = "succeeded" if exit_status == 0 else f"failed (exit status {exit_status})"
    where = f" to {target}" if target else ""
    parsed = f"; pages parsed: {pages[0]} fast, {pages[1]} by botocore" if pages is not None else ""
    reconciled = f"; {reconciliation}" if reconciliation else ""
    return (f"run {run_id or '-'} {outcome}: {written} job slice(s) written, {failed} failed, {skipped} skipped"
            f"{snapshots}; jobs written{where}: {per_table}{parsed}{reconciled}; {seconds:.1f}s")


def failure_message(results: Sequence[SliceResult]) -> str:
    """One line (CloudWatch shows each line as its own event): the job slices not fetched, per
    region and job type with their days and first cause, out of the run's job slices; then a
    failed inventory, apart."""
    slices = [r for r in results if r.job_type != INVENTORY]
    groups: dict = {}
    for r in slices:
        if not r.written:
            group = groups.setdefault((r.region, r.job_type), {"days": [], "skipped": 0, "cause": ""})
            group["days"].append(r.day)
            group["skipped"] += r.skipped
            group["cause"] = group["cause"] or r.cause
    parts = []
    for (region, job_type), g in groups.items():
        days = g["days"]
        span = f"{min(days)}..{max(days)}" if len(days) > 1 else str(days[0])
        skipped = f", {g['skipped']} of them skipped after the first failure" if g["skipped"] else ""
        parts.append(f"region {region}, {job_type} jobs, {len(days)} day(s) {span}{skipped}: {g['cause']}")
    messages = []
    if parts:
        not_fetched = sum(len(g["days"]) for g in groups.values())
        messages.append(f"{not_fetched} of {len(slices)} job slice(s) could not be fetched; their earlier rows were "
                        "kept and report_runs records the failure: " + "; ".join(parts))
    messages += [f"the AWS Config inventory of {r.day} could not be written; report_runs records the failure: "
                 f"{r.cause}" for r in results if r.job_type == INVENTORY and not r.written]
    return "; and ".join(messages)
