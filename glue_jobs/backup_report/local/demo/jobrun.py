"""A run of the real Glue entry script, watched: a progress bar from its per-slice log lines, its log kept.

The bar counts what the run's summary line counts: its job slices written, failed and skipped,
and the AWS Config inventory apart (``inventory written`` / ``failed``)."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional, Sequence

from ... import errors
from ...runlog import INVENTORY_LINE, SLICE_LINE
from ..printer import Printer
from ..stack import ENTRY_SCRIPT, LocalAws


@dataclass
class JobRun:
    """One run of the real Glue entry script: its exit status, its log and its slices."""

    label: str
    exit_status: int
    stdout: str
    stderr: str
    written: int = 0
    failed: int = 0
    skipped: int = 0
    #: The inventory's outcome, as its log line told: ``written``, ``failed``, or ``""`` (none taken).
    inventory: str = ""
    log_paths: List[Path] = field(default_factory=list)

    @property
    def error(self) -> str:
        """The run's final error, whole (``backup-report: error: ...``), or ``""``."""
        return next((line for line in self.stderr.splitlines() if line.startswith(errors.PREFIX)), "")

    @property
    def summary(self) -> str:
        """The run's own last line (its summary), without the timestamp."""
        lines = [line for line in (self.stdout + self.stderr).splitlines() if " backup_report: run " in line]
        return lines[-1].split(" backup_report: ", 1)[1] if lines else ""

    @property
    def counts(self) -> str:
        """What the bar counted, worded as the summary line words it."""
        return (f"{self.written} job slice(s) written, {self.failed} failed, {self.skipped} skipped"
                + (f", inventory {self.inventory}" if self.inventory else ""))


class _Progress:
    """The bar of one run: counts the slice and inventory lines as the readers see them, draws."""

    def __init__(self, run: JobRun, slices: int, snapshot: bool, say: Printer):
        self.run, self.slices, self.say = run, slices, say
        self.snapshot = " + inventory" if snapshot else ""  # the run takes one after its job slices
        self.lock = threading.Lock()
        self.shown, self.printed = -1, ""

    def count(self, line: str) -> None:
        """Count ``line`` when it is a slice's or the inventory's line, and redraw."""
        run, match = self.run, SLICE_LINE.search(line)
        if match:
            outcome = match.group("outcome")
            if outcome == "failed":
                run.failed += 1
            elif outcome == "skipped":
                run.skipped += 1
            else:
                run.written += 1
            self.draw()
        taken = INVENTORY_LINE.search(line)
        if taken:
            run.inventory = "failed" if taken.group("outcome") == "failed" else "written"
            self.draw()

    def draw(self, last: bool = False) -> None:
        run, slices = self.run, self.slices
        done = run.written + run.failed + run.skipped
        pct = min(100, done * 100 // max(slices, 1))
        counts = ", ".join([f"{run.written} written"]
                           + [f"{n} {what}" for n, what in ((run.failed, "failed"), (run.skipped, "skipped")) if n]
                           + [f"inventory {run.inventory}"] * bool(run.inventory))
        complete = done == slices and (run.inventory or not self.snapshot)
        if self.say.tty:
            bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
            self.say(f"\r      {run.label} [{bar}] {done}/{slices} job slices{self.snapshot}: {counts}", end="")
        elif (pct // 10 != self.shown // 10 and done < slices) or complete or last:
            text = f"      {run.label}: {done}/{slices} job slices{self.snapshot} ({pct}%): {counts}"
            if text != self.printed:
                self.say(text)
                self.printed = text
        self.shown = pct


def run_job_with_progress(aws: LocalAws, args: Sequence[str], now: dt.datetime, slices: int, say: Printer,
                          label: str, log_dir: Optional[Path] = None) -> JobRun:
    """Run the Glue entry script, drawing a progress bar of its ``slices`` job slices from its
    per-slice log lines (INFO on stdout, ERROR on stderr: written, failed and skipped, as the
    summary line counts them) and the inventory's line; its whole log is kept in ``log_dir``
    (``<label>-job.stdout.log`` / ``.stderr.log``)."""
    proc = subprocess.Popen([sys.executable, str(ENTRY_SCRIPT), *args],
                            env=aws.job_env(now.strftime("%Y-%m-%dT%H:%M:%S")),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    run = JobRun(label, 0, "", "")
    progress = _Progress(run, slices, "--CONFIG_AGGREGATOR" in args, say)
    captured: Dict[str, List[str]] = {"stdout": [], "stderr": []}

    def read(stream: IO[str], name: str) -> None:
        for line in stream:
            with progress.lock:
                captured[name].append(line)
                progress.count(line)

    assert proc.stdout is not None and proc.stderr is not None
    readers = [threading.Thread(target=read, args=(proc.stdout, "stdout"), daemon=True),
               threading.Thread(target=read, args=(proc.stderr, "stderr"), daemon=True)]
    for reader in readers:
        reader.start()
    run.exit_status = proc.wait()
    for reader in readers:
        reader.join()
    if say.tty:
        say()
    else:
        progress.draw(last=True)  # where the run stopped, when that was short of its last slice
    run.stdout, run.stderr = "".join(captured["stdout"]), "".join(captured["stderr"])
    if log_dir is not None:
        for name, text in (("stdout", run.stdout), ("stderr", run.stderr)):
            path = log_dir / f"{label}-job.{name}.log"
            path.write_text(text, encoding="utf-8")
            run.log_paths.append(path)
    return run
