"""The one-command demo: a month of an organisation's AWS Backup history, reported and queried,
on a laptop, without an AWS account.

1. start moto's server and the AWS Backup emulator as processes (``stack.LocalAws``) and
   point every SDK call of this process and its children at them (``AWS_*`` forced local);
2. create an organisation (the management account and 11 named member accounts), the report
   bucket and the Glue database; load ``days`` days of the synthetic organisation's story
   (``synthetic.OrgSpec(story=True)``: a daily backup per resource, a few percent failing,
   one account failing for two days, restore tests that mostly pass) as AWS Backup lists
   them at last night's clock, and backfill them with the real Glue entry script;
3. tonight's run: the clock moves on a day and ``ListCopyJobs`` is denied in one region (as a
   service control policy would);
4. what that run did, measured: its summary line and whole error, report_runs' count of its
   failed slices, and the denied slice's rows in the report before and after it (kept);
   both job logs are kept in ``demo-output/``;
5. run every saved query of ``sql/`` with the local Athena engine, print the answers, and write
   ``demo-output/index.html`` (inline SVG chart of daily status counts, the failures table, the
   measured failure story, every query's answer; no external assets) plus one CSV per query;
6. say how to keep exploring (the virtualenv, ``backup-report local up --demo-org``).

``python -m backup_report.local.demo`` or ``backup-report demo``; ``scripts/demo.sh`` does it on a
fresh machine (its own virtualenv).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional, Sequence, Tuple

from .. import errors, notify
from ..errors import DemoError
from ..runlog import SLICE_LINE
from ..output import format_cell, format_csv, format_table
from ..queries import SavedQuery, list_queries
from . import synthetic
from .announcements import DigestCapture, EventCapture
from .athena import LocalAthena, QueryResult
from .stack import ENTRY_SCRIPT, ROLE_ARN, LocalAws

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

STATUS_COLOURS = {
    "COMPLETED": "#2e7d32", "FAILED": "#c62828", "ABORTED": "#ef6c00", "EXPIRED": "#6a1b9a",
    "PARTIAL": "#f9a825", "RUNNING": "#1565c0", "PENDING": "#64b5f6", "CREATED": "#90a4ae",
    "ABORTING": "#ffb74d",
}


#: What every AWS SDK call of the demo sees before the local servers are up: dummy
#: credentials and an endpoint where nothing listens, so nothing can reach real AWS.
SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def force_local_env() -> None:
    """Drop every AWS_* setting of this process (profiles, real keys, endpoints): local only."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(SAFE_ENV)


@dataclass
class Step:
    name: str
    seconds: float
    detail: str = ""


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


@dataclass
class FailureStory:
    """Tonight's denied slice, measured: its rows in the report before and after the failed
    run (per day), what AWS Backup held, and what report_runs recorded."""

    region: str
    operation: str
    days: List[dt.date]
    rows_before: Dict[dt.date, int]
    rows_after: Dict[dt.date, int]
    listed_by_api: Dict[dt.date, int]
    ledger: Dict[str, int]  # report_runs rows of tonight's run: succeeded / failed


@dataclass
class DemoResult:
    """What the demo did and where its summary is."""

    output_dir: Path
    html_path: Path
    today: dt.date
    accounts: List[Tuple[str, str]]
    jobs_seeded: int
    answers: Dict[str, QueryResult] = field(default_factory=dict)
    queries: Dict[str, SavedQuery] = field(default_factory=dict)
    steps: List[Step] = field(default_factory=list)
    backfill_exit: int = 0
    nightly_exit: int = 0
    nightly_error: str = ""
    seconds: float = 0.0
    backfill: Optional[JobRun] = None
    nightly: Optional[JobRun] = None
    story: Optional[FailureStory] = None
    incident: Optional[Tuple[str, dt.date, int]] = None
    digest: str = ""  # tonight's attention digest, subject first


class _Printer:
    def __init__(self, out: IO[str]):
        self.out = out
        self.tty = hasattr(out, "isatty") and out.isatty()

    def __call__(self, text: str = "", end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()


def _clock(day: dt.date) -> dt.datetime:
    """The simulated clock of a nightly run: 23:59 UTC of its day."""
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.timezone.utc)


def run_job_with_progress(aws: LocalAws, args: Sequence[str], now: dt.datetime, slices: int, say: _Printer,
                          label: str, log_dir: Optional[Path] = None) -> JobRun:
    """Run the Glue entry script, drawing a progress bar from its per-slice log lines (INFO on
    stdout, ERROR on stderr: written, failed and skipped slices, as report_runs counts them);
    its whole log is kept in ``log_dir`` (``<label>-job.stdout.log`` / ``.stderr.log``)."""
    proc = subprocess.Popen([sys.executable, str(ENTRY_SCRIPT), *args], env=aws.job_env(now.strftime("%Y-%m-%dT%H:%M:%S")),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    run = JobRun(label, 0, "", "")
    captured: Dict[str, List[str]] = {"stdout": [], "stderr": []}
    lock = threading.Lock()
    shown = [-1]

    def draw() -> None:
        done = run.written + run.failed + run.skipped
        pct = min(100, done * 100 // max(slices, 1))
        counts = f"{run.written} written" + (f", {run.failed} failed" if run.failed else "") + \
            (f", {run.skipped} skipped" if run.skipped else "")
        if say.tty:
            bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
            say(f"\r      {label} [{bar}] {done}/{slices} slices: {counts}", end="")
        elif pct // 10 != shown[0] // 10 or done == slices:
            say(f"      {label}: {done}/{slices} slices ({pct}%): {counts}")
        shown[0] = pct

    def read(stream: IO[str], name: str) -> None:
        for line in stream:
            with lock:
                captured[name].append(line)
                match = SLICE_LINE.search(line)
                if match:
                    outcome = match.group("outcome")
                    if outcome == "failed":
                        run.failed += 1
                    elif outcome == "skipped":
                        run.skipped += 1
                    else:
                        run.written += 1
                    draw()

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
    run.stdout, run.stderr = "".join(captured["stdout"]), "".join(captured["stderr"])
    if log_dir is not None:
        for name, text in (("stdout", run.stdout), ("stderr", run.stderr)):
            path = log_dir / f"{label}-job.{name}.log"
            path.write_text(text, encoding="utf-8")
            run.log_paths.append(path)
    return run


def story_spec(accounts: List[Tuple[str, str]], first: dt.date, days: int, now: dt.datetime,
               incident: Optional[Tuple[str, dt.date, int]], **volume: int) -> synthetic.OrgSpec:
    """The demo organisation's jobs of ``days`` days from ``first``, as listed at ``now``."""
    return synthetic.OrgSpec(accounts=accounts, regions=list(REGIONS), first_day=first, days=days, seed=7,
                             story=True, incident=incident, now=now, **volume)


def demo_incident(accounts: List[Tuple[str, str]], today: dt.date, days: int
                  ) -> Optional[Tuple[str, dt.date, int]]:
    """The month's visible incident: payments-staging's backups fail for two days (a KMS key
    disabled), five and four days ago, when the history reaches that far."""
    if days < 6:
        return None
    account = next((a for a, name in accounts if name == "payments-staging"), accounts[-1][0])
    return account, today - dt.timedelta(days=5), 2


def load_demo_org(aws: LocalAws, today: dt.date, days: int, say: _Printer, log_dir: Optional[Path] = None,
                  step: str = "", extra_args: Sequence[str] = (), **volume: int
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
    spec = story_spec(accounts, first, days, _clock(yesterday), incident, **volume)
    seeded = sum(aws.emulator.generate(spec).values())
    # The AWS Config aggregator: the jobs' resources, plus some never backed up and some whose
    # backups stopped (synthetic.inventory); every run snapshots it (--CONFIG_AGGREGATOR).
    inventory = synthetic.inventory(spec)
    aws.emulator.load_config(AGGREGATOR, inventory.items)
    for (job_type, region), jobs in inventory.jobs.items():
        seeded += aws.emulator.load_jobs(job_type, region, jobs)
    told = (f"; {dict(accounts)[incident[0]]}'s backups fail on {incident[1]} and {incident[1] + dt.timedelta(days=1)} "
            "(a KMS key disabled)") if incident else ""
    more = " " * len(step)
    say(f"{more}AWS Backup holds {seeded:,} jobs of {days} days ({first} .. {yesterday}) as listed at "
        f"{_clock(yesterday):%Y-%m-%d %H:%M} UTC: a daily backup per resource, a few percent failing{told}")
    say(f"{more}AWS Config aggregator {AGGREGATOR}: {len(inventory.types):,} resources AWS Backup can protect, "
        f"{len(inventory.never)} never backed up, {len(inventory.stopped)} whose backups stopped "
        f"{synthetic.STOPPED_DAYS} days before")
    base = ["--REPORT_BUCKET", BUCKET, "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", DATABASE,
            "--REGIONS", ",".join(REGIONS), "--CONFIG_AGGREGATOR", AGGREGATOR]
    say(f"{more}backfill, last night: glue_jobs/backup_report_job.py --LOOKBACK_DAYS {days} --REPORT_DATE {yesterday}")
    backfill = run_job_with_progress(
        aws, base + ["--LOOKBACK_DAYS", str(days), "--REPORT_DATE", yesterday.isoformat(), "--JOB_RUN_ID",
                     "demo-backfill", *extra_args], _clock(yesterday), days * len(REGIONS) * 3, say, "backfill",
        log_dir)
    return accounts, seeded, backfill, incident


def show_announcements(digests: List[Tuple[str, str]], events: List[Dict], output: Path, say: _Printer) -> str:
    """Print tonight's digest and a count of the events the bus's rule delivered; write them to
    ``digest.txt`` and ``events.json``; return the digest (subject, blank line, body)."""
    digest = "\n\n".join(f"Subject: {subject}\n\n{body}" for subject, body in digests)
    (output / "digest.txt").write_text(digest or "(no digest: nothing new needed attention)\n", encoding="utf-8")
    (output / "events.json").write_text(json.dumps(events, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    kinds = Counter(e.get("detail-type", "") for e in events)
    jobs = sum(len(e["detail"].get("jobs", ())) for e in events if e.get("detail-type") == notify.ATTENTION)
    say(f"      announced once (new since the backfill): {kinds.get(notify.ATTENTION, 0)} '{notify.ATTENTION}' "
        f"event(s) with {jobs} job(s) and {kinds.get(notify.RUN_FINISHED, 0)} '{notify.RUN_FINISHED}', from the "
        f"default bus through a rule to SQS ({output}/events.json); the digest, through SNS to SQS "
        f"({output}/digest.txt):")
    for line in (digest or "(no digest)").splitlines():
        say(f"        | {line}")
    return digest


def _denied_rows(engine: LocalAthena, days: Sequence[dt.date]) -> Dict[dt.date, int]:
    """Rows of the denied slice (copy jobs of the denied region) in the report, per day."""
    sql = (f"select report_date, count(*) as jobs from copy_jobs where region = '{DENIED[0]}' and report_date "
           f"between date '{days[0]}' and date '{days[-1]}' group by report_date")
    frame = engine.run(sql).frame
    counts = {dt.date.fromisoformat(str(r.report_date)[:10]): int(r.jobs) for r in frame.itertuples(index=False)}
    return {d: counts.get(d, 0) for d in days}


def run_demo(output_dir: str = "demo-output", days: int = 30, today: Optional[dt.date] = None,
             backup_jobs_per_day: int = 60, copy_jobs_per_day: int = 24, restore_jobs_per_day: int = 20,
             out: IO[str] = sys.stdout, rows_shown: int = 8) -> DemoResult:
    """Run the whole demo (see the module docstring); returns what it did."""
    if not 1 <= days <= 30:
        raise ValueError("days must be 1..30 (AWS Backup keeps about 30 days of jobs)")
    started = time.monotonic()
    say = _Printer(out)
    today = today or dt.datetime.now(dt.timezone.utc).date()
    yesterday = today - dt.timedelta(days=1)
    volume = dict(backup_jobs_per_day=backup_jobs_per_day, copy_jobs_per_day=copy_jobs_per_day,
                  restore_jobs_per_day=restore_jobs_per_day)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    steps: List[Step] = []

    force_local_env()
    say("backup-report demo: everything runs here (moto's server + an AWS Backup emulator); "
        "no AWS account is used.")
    mark = time.monotonic()
    say("[1/6] starting moto's server and the AWS Backup emulator ...", end="")
    aws = LocalAws()
    try:
        aws.start()  # also points this process's AWS_* settings at the local servers
    except (RuntimeError, OSError) as error:
        aws.stop()
        raise DemoError(f"Cannot start the local AWS (moto server, AWS Backup emulator): {error}; "
                        "check that moto[server] is installed (pip install 'backup-report[local]')") from error
    try:
        steps.append(Step("local AWS started", time.monotonic() - mark, aws.moto_url))
        say(f" ok ({steps[-1].seconds:.1f}s)")

        mark = time.monotonic()
        # What the announcements reach: the default bus's rule -> an SQS queue, the digest topic -> another.
        session = aws.session()
        events = EventCapture(session, "backup-report-demo", bus="default")
        digests = DigestCapture(session, "backup-report-demo")
        alert_args = ["--ALERT_TOPIC_ARN", digests.topic_arn]
        accounts, seeded, backfill, incident = load_demo_org(aws, today, days, say, output, "[2/6] ",
                                                             extra_args=alert_args, **volume)
        steps.append(Step("organisation, jobs, backfill", time.monotonic() - mark, f"exit {backfill.exit_status}"))
        say(f"      exit status {backfill.exit_status} ({steps[-1].seconds:.0f}s): {backfill.summary}")
        if backfill.exit_status != 0:
            raise DemoError(f"The backfill failed (exit status {backfill.exit_status}): "
                            f"{backfill.error or backfill.stderr.strip()[-2000:] or 'no error line'}; its log is in "
                            f"{output}/backfill-job.stdout.log and .stderr.log")
        backfill_digests, backfill_events = digests.drain(), events.drain()
        say(f"      announced: {'; '.join(subject for subject, _ in backfill_digests) or 'no digest'} "
            f"(only jobs of the last 48 hours, not the whole month), {len(backfill_events)} event(s)")

        mark = time.monotonic()
        assert aws.emulator is not None
        window = [today - dt.timedelta(days=n) for n in (2, 1, 0)]
        window = [d for d in window if d >= yesterday - dt.timedelta(days=days - 1)]
        # The clock moves on a day: yesterday's last jobs have finished, today's are listed.
        aws.emulator.generate(story_spec(accounts, yesterday, 1, _clock(today), incident, **volume))
        seeded += sum(aws.emulator.generate(story_spec(accounts, today, 1, _clock(today), incident, **volume)).values())
        engine = LocalAthena(DATABASE, today=today)
        before = _denied_rows(engine, window)
        listed = {d: len(list(synthetic.iter_jobs(story_spec(accounts, d, 1, _clock(today), incident, **volume),
                                                  "copy", DENIED[0], d))) for d in window}
        aws.emulator.set_faults(denied=[list(DENIED)])
        say(f"[3/6] tonight's run (--LOOKBACK_DAYS {len(window)}): {DENIED[1]} is denied in {DENIED[0]} "
            "(a service control policy)")
        nightly = run_job_with_progress(
            aws, ["--REPORT_BUCKET", BUCKET, "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", DATABASE,
                  "--REGIONS", ",".join(REGIONS), "--CONFIG_AGGREGATOR", AGGREGATOR, "--LOOKBACK_DAYS",
                  str(len(window)), "--JOB_RUN_ID", "demo-tonight", *alert_args],
            _clock(today), len(window) * len(REGIONS) * 3, say, "tonight", output)
        aws.emulator.set_faults()
        steps.append(Step("tonight's run", time.monotonic() - mark, f"exit {nightly.exit_status}"))
        engine = LocalAthena(DATABASE, today=today)  # a fresh engine: no cached objects of the old rows
        after = _denied_rows(engine, window)
        ledger_frame = engine.run("select succeeded, count(*) as slices from report_runs "
                                  "where run_id = 'demo-tonight' group by succeeded").frame
        ledger = {("succeeded" if bool(r.succeeded) else "failed"): int(r.slices)
                  for r in ledger_frame.itertuples(index=False)}
        story = FailureStory(DENIED[0], DENIED[1], window, before, after, listed, ledger)

        say(f"[4/6] what tonight's run did, measured (its whole log: {output}/tonight-job.stdout.log and "
            f"{output}/tonight-job.stderr.log)")
        say(f"      exit status {nightly.exit_status}; its last line: {nightly.summary}")
        say(f"      the error, whole: {nightly.error or '(none)'}")
        say(f"      report_runs for run demo-tonight: {ledger.get('succeeded', 0)} slice(s) succeeded, "
            f"{ledger.get('failed', 0)} failed (the progress bar counted {nightly.failed} failed + "
            f"{nightly.skipped} skipped)")
        say(f"      copy jobs of {DENIED[0]} in the report, per day: before the run -> after it "
            f"(AWS Backup lists now)")
        for d in window:
            kept = "kept" if before[d] == after[d] else "CHANGED"
            say(f"        {d}: {before[d]} -> {after[d]} rows ({kept}; {listed[d]} listed by AWS Backup, "
                "not fetched)")
        say("      10_report_completeness (below) lists these slices as FAILED until a run fetches them")
        digest = show_announcements(digests.drain(), events.drain(), output, say)

        mark = time.monotonic()
        say(f"[5/6] every saved query of sql/, answered locally with current_date = {today}")
        queries = list_queries()
        answers: Dict[str, QueryResult] = {}
        for saved in queries:
            result = engine.run(saved.text)
            answers[saved.name] = result
            (output / f"{saved.name}.csv").write_text(format_csv(result.frame), encoding="utf-8")
            say()
            say(f"== {saved.name}: {saved.describe()}")
            say(f"   {result.summary()}")
            say("   " + format_table(result.frame, max_rows=rows_shown, max_cell=36).replace("\n", "\n   "))
        steps.append(Step("saved queries", time.monotonic() - mark, f"{len(queries)} queries"))
    finally:
        aws.stop()

    result = DemoResult(output_dir=output, html_path=output / "index.html", today=today, accounts=accounts,
                        jobs_seeded=seeded, answers=answers, queries={q.name: q for q in queries}, steps=steps,
                        backfill_exit=backfill.exit_status, nightly_exit=nightly.exit_status,
                        nightly_error=nightly.error, backfill=backfill, nightly=nightly, story=story,
                        incident=incident, digest=digest)
    result.seconds = time.monotonic() - started
    result.html_path.write_text(render_html(result), encoding="utf-8")
    say()
    say(f"[6/6] done in {result.seconds:.0f}s; local servers stopped. Summary: {result.html_path} "
        f"(one CSV per query and the job logs in {output}/)")
    for line in next_steps():
        say(line)
    return result


def next_steps() -> List[str]:
    """The demo's last lines: how to get ``backup-report`` on the PATH and keep exploring."""
    lines = ["", "To keep exploring:"]
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):  # the demo ran in a virtualenv
        venv = Path(sys.prefix)
        try:
            venv = venv.relative_to(Path.cwd())
        except ValueError:
            pass
        lines.append(f"  source {venv}/bin/activate    # puts backup-report on the PATH")
    lines += ["  backup-report local up --demo-org    # the demo's local AWS again, kept until Ctrl-C; it prints",
              "                                       # export lines: paste them in another shell, then:",
              "  backup-report queries",
              "  backup-report query failed_backup_jobs --local --param days=7"]
    return lines


# --------------------------------------------------------------------------- HTML

def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def status_chart_svg(daily: "object", job_type: str = "backup", width: int = 960, height: int = 320) -> str:
    """Inline SVG: stacked bars of job counts per status and day (rows of 02_daily_status_counts)."""
    frame = daily[daily["job_type"] == job_type] if len(daily) else daily
    by_day: Dict[str, Dict[str, int]] = {}
    for row in frame.itertuples(index=False):
        day = str(row.report_date)[:10]
        by_day.setdefault(day, {})[row.status] = by_day.get(day, {}).get(row.status, 0) + int(row.job_count)
    days = sorted(by_day)
    statuses = [s for s in STATUS_COLOURS if any(s in v for v in by_day.values())]
    statuses += sorted({s for v in by_day.values() for s in v} - set(statuses))
    left, right, top, bottom = 48, 150, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([sum(v.values()) for v in by_day.values()] + [1])
    step = 10 ** max(len(str(peak)) - 1, 0)
    peak = ((peak + step - 1) // step) * step
    bar_w = plot_w / max(len(days), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(job_type)} jobs per day and status">']
    for k in range(5):
        value = peak * k // 4
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{value}</text>')
    for i, day in enumerate(days):
        y = top + plot_h
        for status in statuses:
            count = by_day[day].get(status, 0)
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            parts.append(f'<rect x="{left + i * bar_w + 1:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" '
                         f'height="{h:.1f}" fill="{STATUS_COLOURS.get(status, "#777")}">'
                         f'<title>{_esc(day)} {_esc(status)}: {count}</title></rect>')
        if len(days) <= 10 or i % max(len(days) // 10, 1) == 0:
            parts.append(f'<text x="{left + (i + 0.5) * bar_w:.1f}" y="{top + plot_h + 16}" font-size="10" '
                         f'text-anchor="middle">{_esc(day[5:])}</text>')
    for j, status in enumerate(statuses):
        y = top + 4 + j * 18
        parts.append(f'<rect x="{left + plot_w + 16}" y="{y}" width="12" height="12" '
                     f'fill="{STATUS_COLOURS.get(status, "#777")}"/>'
                     f'<text x="{left + plot_w + 34}" y="{y + 10}" font-size="12">{_esc(status)}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="12" text-anchor="middle">'
                 f'report_date (UTC day of creation)</text></svg>')
    return "".join(parts)


def html_table(frame: "object", max_rows: int = 25) -> str:
    columns = list(frame.columns)  # type: ignore[attr-defined]
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    rows = []
    for record in frame.head(max_rows).itertuples(index=False, name=None):  # type: ignore[attr-defined]
        cells = []
        for value in record:
            text = format_cell(value)
            css = ' class="num"' if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            cells.append(f"<td{css}>{_esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = len(frame) - max_rows  # type: ignore[arg-type]
    note = f'<p class="note">{more} more row(s) in the CSV.</p>' if more > 0 else ""
    if not len(frame):  # type: ignore[arg-type]
        return '<p class="note">No rows: nothing to report.</p>'
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>{note}'


_CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;
color:#222;padding:0 16px}h1{font-size:24px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
.note{color:#555;font-size:13px}.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:12px}
th,td{border:1px solid #e0e0e0;padding:3px 6px;text-align:left;vertical-align:top;white-space:nowrap;
max-width:420px;overflow:hidden;text-overflow:ellipsis}th{background:#f5f5f5}td.num{text-align:right}
.bad{color:#c62828;font-weight:bold}.ok{color:#2e7d32;font-weight:bold}code{background:#f5f5f5;padding:1px 4px}
"""


def _run_item(title: str, run: Optional[JobRun], exit_status: int, error: str = "") -> str:
    status = f'<span class="{"ok" if exit_status == 0 else "bad"}">{exit_status}</span>'
    logs = ""
    if run is not None and run.log_paths:
        logs = " &middot; its log: " + ", ".join(f'<a href="{_esc(p.name)}">{_esc(p.name)}</a>' for p in run.log_paths)
    summary = f"<br><code>{_esc(run.summary)}</code>" if run is not None and run.summary else ""
    told = f'<br><span class="bad">{_esc(error)}</span>' if error else ""
    return f"<li>{_esc(title)}: exit status {status}{logs}{summary}{told}</li>"


def _story_html(story: FailureStory) -> str:
    """Tonight's denied slice, measured: rows before and after, what the ledger recorded."""
    rows = "".join(f"<tr><td>{_esc(d)}</td><td class=\"num\">{story.rows_before[d]}</td><td class=\"num\">"
                   f"{story.rows_after[d]}</td><td class=\"num\">{story.listed_by_api[d]}</td></tr>"
                   for d in story.days)
    return (f"<h2>Tonight's failure, measured</h2><p>{_esc(story.operation)} was denied in {_esc(story.region)}. "
            f"The copy jobs of {_esc(story.region)} in the report, per day, before and after the failed run "
            "(and what AWS Backup listed, but the job could not fetch):</p>"
            "<table><thead><tr><th>report_date</th><th>rows before</th><th>rows after</th><th>listed by AWS Backup"
            f"</th></tr></thead><tbody>{rows}</tbody></table>"
            f'<p class="note">report_runs for run demo-tonight: {story.ledger.get("succeeded", 0)} slice(s) '
            f'succeeded, {story.ledger.get("failed", 0)} failed. Which slices are still missing: '
            '<a href="#10_report_completeness">10_report_completeness</a>.</p>')


def render_html(result: DemoResult) -> str:
    """The self-contained summary page (inline CSS and SVG only)."""
    answers = result.answers
    daily = answers.get("02_daily_status_counts")
    failures = answers.get("01_failed_backup_jobs")
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
             f"<title>backup-report demo: the AWS Backup jobs of the demo organisation as of {_esc(result.today)}"
             "</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>backup-report: the demo organisation's AWS Backup jobs</h1>",
             f'<p class="note">current_date = {_esc(result.today)}; {len(result.accounts)} accounts, regions '
             f'{_esc(", ".join(REGIONS))}; {result.jobs_seeded:,} synthetic jobs; generated in '
             f'{result.seconds:.0f}s by <code>scripts/demo.sh</code>, entirely local (moto + the AWS Backup '
             f'emulator).</p>',
             "<h2>Runs</h2><ul>", _run_item("Backfill, last night", result.backfill, result.backfill_exit),
             _run_item(f"Tonight, {DENIED[1]} denied in {DENIED[0]}", result.nightly, result.nightly_exit,
                       result.nightly_error), "</ul>"]
    if result.story is not None:
        parts.append(_story_html(result.story))
    if result.digest:
        parts += ["<h2>Tonight's digest (SNS, once per job)</h2>", f"<pre>{_esc(result.digest)}</pre>",
                  '<p class="note">The events are in <a href="events.json">events.json</a>.</p>']
    if daily is not None:
        parts += ["<h2>Backup jobs per day and status (last 30 days)</h2>",
                  status_chart_svg(daily.frame, "backup"),
                  f'<p class="note">From <code>sql/02_daily_status_counts.sql</code>: {_esc(daily.summary())}</p>']
    if failures is not None:
        parts += ["<h2>What failed since yesterday</h2>",
                  f'<p class="note">From <code>sql/01_failed_backup_jobs.sql</code>: {_esc(failures.summary())}</p>',
                  html_table(failures.frame, max_rows=100)]
    parts.append("<h2>Every saved query</h2>")
    for name, answer in answers.items():
        saved = result.queries[name]
        parts += [f'<h3 id="{_esc(name)}">{_esc(name)}</h3>',
                  f"<p><b>{_esc(saved.describe())}</b><br><span class=\"note\">For: {_esc(saved.audience)} &middot; "
                  f"reads {_esc(saved.header.get('tables', ''))}</span></p>",
                  f'<p class="note">{_esc(answer.summary())} &middot; <a href="{_esc(name)}.csv">{_esc(name)}.csv</a>'
                  f"</p>", html_table(answer.frame)]
    parts.append("<h2>Timings</h2><ul>")
    parts += [f"<li>{_esc(s.name)}: {s.seconds:.1f}s {_esc(s.detail)}</li>" for s in result.steps]
    parts.append("</ul></body></html>")
    return "\n".join(parts)


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m backup_report.local.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo-output")
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    try:
        run_demo(output_dir=args.output, days=args.days)
    except errors.BackupReportError as error:
        return errors.report(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
