"""The demo run: each of its six steps, and the measurements it keeps (``DemoResult``)."""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional, Sequence, Tuple

from ...arguments import utc_now
from ...events import ATTENTION, RUN_FINISHED
from ...output import format_csv, format_table
from ...queries import SavedQuery, list_queries
from ...schema import JOB_TABLES
from .. import synthetic
from ..announcements import DigestCapture, EventCapture
from ..athena import LocalAthena, QueryResult
from ..errors import DemoError
from ..printer import Printer
from ..stack import ROLE_ARN, LocalAws, force_local_env
from . import until_final
from .jobrun import JobRun, run_job_with_progress
from .org import AGGREGATOR, BUCKET, DATABASE, DENIED, REGIONS, advance, clock, load_demo_org, story_spec
from .render import ledger_text, render_html


@dataclass
class Step:
    name: str
    seconds: float
    detail: str = ""


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
    #: report_runs rows of tonight's run: job slices succeeded / failed, inventory succeeded / failed
    ledger: Dict[str, int]


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


def show_announcements(digests: List[Tuple[str, str]], events: List[Dict], output: Path, say: Printer) -> str:
    """Print tonight's digest and a count of the events the bus's rule delivered; write them to
    ``digest.txt`` and ``events.json``; return the digest (subject, blank line, body)."""
    digest = "\n\n".join(f"Subject: {subject}\n\n{body}" for subject, body in digests)
    (output / "digest.txt").write_text(digest or "(no digest: nothing new needed attention)\n", encoding="utf-8")
    (output / "events.json").write_text(json.dumps(events, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    kinds = Counter(e.get("detail-type", "") for e in events)
    jobs = sum(len(e["detail"].get("jobs", ())) for e in events if e.get("detail-type") == ATTENTION)
    say(f"      announced once (new since the backfill): {kinds.get(ATTENTION, 0)} '{ATTENTION}' "
        f"event(s) with {jobs} job(s) and {kinds.get(RUN_FINISHED, 0)} '{RUN_FINISHED}', from the "
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
    counts = {dt.date.fromisoformat(str(r.report_date)[:10]): int(str(r.jobs)) for r in frame.itertuples(index=False)}
    return {d: counts.get(d, 0) for d in days}


class _Demo:
    """One run of the demo: its settings, the local AWS, and what each step found."""

    def __init__(self, output: Path, days: int, today: dt.date, say: Printer, rows_shown: int):
        self.output, self.days, self.today, self.say = output, days, today, say
        self.rows_shown = rows_shown
        self.steps: List[Step] = []
        self.aws = LocalAws()
        self.incident: Optional[Tuple[str, dt.date, int]] = None
        self.accounts: List[Tuple[str, str]] = []
        self.seeded = 0
        self.engine: Optional[LocalAthena] = None
        #: Until final, proven complete: what moved on in AWS Backup, the object removed by hand.
        self.moved: List[str] = []
        self.removed: Optional[Tuple[str, int]] = None

    def _step(self, name: str, since: float, detail: str) -> Step:
        self.steps.append(Step(name, time.monotonic() - since, detail))
        return self.steps[-1]

    def start_local_aws(self) -> None:
        """[1/6] moto's server and the emulator; this process's AWS_* settings point at them."""
        mark = time.monotonic()
        self.say("[1/6] starting moto's server and the AWS Backup emulator ...", end="")
        try:
            self.aws.start()
        except (RuntimeError, OSError) as error:
            self.aws.stop()
            raise DemoError(f"Cannot start the local AWS (moto server, AWS Backup emulator): {error}; "
                            "check that moto[server] is installed (pip install 'backup-report[local]')") from error
        self.say(f" ok ({self._step('local AWS started', mark, self.aws.moto_url).seconds:.1f}s)")

    def backfill(self, alert_args: Sequence[str], digests: DigestCapture, events: EventCapture) -> JobRun:
        """[2/6] the organisation, its month of jobs and the backfill of last night."""
        mark = time.monotonic()
        self.accounts, self.seeded, backfill, self.incident = load_demo_org(
            self.aws, self.today, self.days, self.say, self.output, "[2/6] ", extra_args=alert_args)
        step = self._step("organisation, jobs, backfill", mark, f"exit {backfill.exit_status}")
        self.say(f"      exit status {backfill.exit_status} ({step.seconds:.0f}s): {backfill.summary}")
        if backfill.exit_status != 0:
            raise DemoError(f"The backfill failed (exit status {backfill.exit_status}): "
                            f"{backfill.error or backfill.stderr.strip()[-2000:] or 'no error line'}; its log is in "
                            f"{self.output}/backfill-job.stdout.log and .stderr.log")
        backfill_digests, backfill_events = digests.drain(), events.drain()
        self.say(f"      announced: {'; '.join(subject for subject, _ in backfill_digests) or 'no digest'} "
                 f"(only jobs of the last 48 hours, not the whole month), {len(backfill_events)} event(s)")
        return backfill

    def _spec(self, first: dt.date) -> synthetic.OrgSpec:
        """One day of the organisation's jobs as AWS Backup lists them tonight."""
        return story_spec(self.accounts, first, 1, clock(self.today), self.incident)

    def tonight(self, alert_args: Sequence[str]) -> Tuple[JobRun, FailureStory]:
        """[3/6] the clock moves on a day; tonight's run with ListCopyJobs denied in one region,
        and the denied slice's rows before and after it."""
        mark = time.monotonic()
        emulator = self.aws.emulator
        assert emulator is not None
        yesterday = self.today - dt.timedelta(days=1)
        window = [self.today - dt.timedelta(days=n) for n in (2, 1, 0)]
        window = [d for d in window if d >= yesterday - dt.timedelta(days=self.days - 1)]
        # The clock moves on a day: yesterday's last jobs have finished, today's are listed.
        self.seeded += advance(self.aws, self.accounts, self.incident, clock(self.today))
        # Days after their days left the window, AWS Backup finished the long jobs; and someone
        # removed an object of an older day by hand.
        self.moved = until_final.finish(emulator, self.accounts, self.today, self.days)
        self.removed = until_final.remove_object(self.aws.session(), BUCKET, self.today)
        before = _denied_rows(LocalAthena(DATABASE, today=self.today), window)
        listed = {d: len(list(synthetic.iter_jobs(self._spec(d), "copy", DENIED[0], d))) for d in window}
        emulator.set_faults(denied=[list(DENIED)])
        self.say(f"[3/6] tonight's run (--LOOKBACK_DAYS {len(window)}): {DENIED[1]} is denied in {DENIED[0]} "
                 "(a service control policy)")
        for line in self.moved + ([f"{self.removed[0]} ({self.removed[1]} rows) was removed by hand"]
                                  if self.removed else []):
            self.say(f"      meanwhile: {line}")
        nightly = run_job_with_progress(
            self.aws, ["--REPORT_BUCKET", BUCKET, "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", DATABASE,
                       "--REGIONS", ",".join(REGIONS), "--CONFIG_AGGREGATOR", AGGREGATOR, "--LOOKBACK_DAYS",
                       str(len(window)), "--JOB_RUN_ID", "demo-tonight", *alert_args],
            clock(self.today), len(window) * len(REGIONS) * len(JOB_TABLES), self.say, "tonight", self.output)
        emulator.set_faults()
        self._step("tonight's run", mark, f"exit {nightly.exit_status}")
        # a fresh engine: no cached objects of the old rows (the saved queries reuse it)
        engine = self.engine = LocalAthena(DATABASE, today=self.today)
        after = _denied_rows(engine, window)
        ledger_frame = engine.run("select job_type = 'inventory' as inventory, succeeded, count(*) as slices "
                                  "from report_runs where run_id = 'demo-tonight' group by 1, 2").frame
        ledger = {("inventory " if bool(r.inventory) else "") + ("succeeded" if bool(r.succeeded) else "failed"):
                  int(str(r.slices)) for r in ledger_frame.itertuples(index=False)}
        return nightly, FailureStory(DENIED[0], DENIED[1], window, before, after, listed, ledger)

    def tell(self, nightly: JobRun, story: FailureStory) -> None:
        """[4/6] what tonight's run did, measured."""
        say, output, ledger = self.say, self.output, story.ledger
        say(f"[4/6] what tonight's run did, measured (its whole log: {output}/tonight-job.stdout.log and "
            f"{output}/tonight-job.stderr.log)")
        say(f"      exit status {nightly.exit_status}; its last line: {nightly.summary}")
        say(f"      the error, whole: {nightly.error or '(none)'}")
        say(f"      report_runs for run demo-tonight: {ledger_text(ledger)} (the progress bar counted "
            f"{nightly.counts})")
        say(f"      copy jobs of {DENIED[0]} in the report, per day: before the run -> after it "
            f"(AWS Backup lists now)")
        for d in story.days:
            before, after = story.rows_before[d], story.rows_after[d]
            kept = "kept" if before == after else "CHANGED"
            say(f"        {d}: {before} -> {after} rows ({kept}; {story.listed_by_api[d]} listed by AWS Backup, "
                "not fetched)")
        say("      10_report_completeness (below) lists these slices as FAILED until a run fetches them")
        if self.engine is not None and (self.moved or self.removed):
            say("      until final, proven complete (17_report_against_aws_backup below):")
            for line in until_final.told(self.engine, self.accounts, self.today, self.removed):
                say(f"        {line}")

    def answer_queries(self) -> Tuple[List[SavedQuery], Dict[str, QueryResult]]:
        """[5/6] every saved query, answered locally; one CSV each."""
        mark = time.monotonic()
        say = self.say
        say(f"[5/6] every saved query of sql/, answered locally with current_date = {self.today}")
        engine = self.engine or LocalAthena(DATABASE, today=self.today)
        queries = list_queries()
        answers: Dict[str, QueryResult] = {}
        for saved in queries:
            result = engine.run(saved.text)
            answers[saved.name] = result
            (self.output / f"{saved.name}.csv").write_text(format_csv(result.frame), encoding="utf-8")
            say()
            say(f"== {saved.name}: {saved.describe()}")
            say(f"   {result.summary()}")
            say("   " + format_table(result.frame, max_rows=self.rows_shown, max_cell=36).replace("\n", "\n   "))
        self._step("saved queries", mark, f"{len(queries)} queries")
        return queries, answers


def run_demo(output_dir: str = "demo-output", days: int = 30, today: Optional[dt.date] = None,
             out: IO[str] = sys.stdout, rows_shown: int = 8) -> DemoResult:
    """Run the whole demo (see the package docstring) as of ``today`` (default: the job's clock,
    ``BACKUP_REPORT_NOW`` or now); returns what it did."""
    if not 1 <= days <= 30:
        raise ValueError("days must be 1..30 (AWS Backup keeps about 30 days of jobs)")
    started = time.monotonic()
    say = Printer(out)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    force_local_env()
    demo = _Demo(output, days, today or utc_now().date(), say, rows_shown)
    say("backup-report demo: everything runs here (moto's server + an AWS Backup emulator); "
        "no AWS account is used.")
    demo.start_local_aws()
    try:
        # What the announcements reach: the default bus's rule -> an SQS queue, the digest topic -> another.
        session = demo.aws.session()
        events = EventCapture(session, "backup-report-demo", bus="default")
        digests = DigestCapture(session, "backup-report-demo")
        alert_args = ["--ALERT_TOPIC_ARN", digests.topic_arn]
        backfill = demo.backfill(alert_args, digests, events)
        nightly, story = demo.tonight(alert_args)
        demo.tell(nightly, story)
        digest = show_announcements(digests.drain(), events.drain(), output, say)
        queries, answers = demo.answer_queries()
    finally:
        demo.aws.stop()
    result = DemoResult(output_dir=output, html_path=output / "index.html", today=demo.today,
                        accounts=demo.accounts, jobs_seeded=demo.seeded, answers=answers,
                        queries={q.name: q for q in queries}, steps=demo.steps, backfill_exit=backfill.exit_status,
                        nightly_exit=nightly.exit_status, nightly_error=nightly.error, backfill=backfill,
                        nightly=nightly, story=story, incident=demo.incident, digest=digest)
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
        with contextlib.suppress(ValueError):
            venv = venv.relative_to(Path.cwd())
        lines.append(f"  source {venv}/bin/activate    # puts backup-report on the PATH")
    lines += ["  backup-report local up --demo-org    # the demo's local AWS again, kept until Ctrl-C; it prints",
              "                                       # export lines: paste them in another shell, then:",
              "  backup-report queries",
              "  backup-report query failed_backup_jobs --local --param days=7"]
    return lines

