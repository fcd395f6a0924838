"""The one-command demo: a month of an organisation's AWS Backup history, reported and queried,
on a laptop, without an AWS account.

1. start moto's server and the AWS Backup emulator as processes (``stack.LocalAws``) and
   point every SDK call of this process and its children at them (``AWS_*`` forced local);
2. create an organisation (a management account and 11 named member accounts), the
   report bucket and the Glue database;
3. seed 31 days of synthetic jobs in 3 regions (every status, completed-with-issues, composite
   jobs, restore tests, cross-region and cross-account copies, messages that stress CSV);
4. backfill: run the real Glue entry script once with ``LOOKBACK_DAYS=30`` ("last night"),
   showing progress slice by slice;
5. tonight's run: ``ListCopyJobs`` denied in one region (as a service control policy would):
   the run exits non-zero, keeps the rows already reported and records the failure in
   ``report_runs``;
6. run every saved query of ``sql/`` with the local Athena engine, print the answers, and write
   ``demo-output/index.html`` (inline SVG chart of daily status counts, the failures table, every
   query's answer; no external assets) plus one CSV per query.

``python -m backup_report.local.demo`` or ``backup-report demo``; ``scripts/demo.sh`` does it on a
fresh machine (its own virtualenv).
"""
from __future__ import annotations

import datetime as dt
import html
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Dict, List, Optional, Sequence, Tuple

from .. import errors
from ..errors import DemoError
from ..output import format_cell, format_csv, format_table
from ..queries import SavedQuery, list_queries
from . import synthetic
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


class _Printer:
    def __init__(self, out: IO[str]):
        self.out = out
        self.tty = hasattr(out, "isatty") and out.isatty()

    def __call__(self, text: str = "", end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()


def _job_env(aws: LocalAws, now: dt.datetime) -> Dict[str, str]:
    return aws.job_env(now.strftime("%Y-%m-%dT%H:%M:%S"))


def _run_job_with_progress(aws: LocalAws, args: Sequence[str], now: dt.datetime, slices: int,
                           say: _Printer, label: str) -> Tuple[int, str]:
    """Run the Glue entry script, drawing a progress bar from its per-slice log lines."""
    proc = subprocess.Popen([sys.executable, str(ENTRY_SCRIPT), *args], env=_job_env(aws, now),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    done, errors, last_pct, tail = 0, 0, -1, []
    assert proc.stdout is not None
    for line in proc.stdout:
        tail = (tail + [line.rstrip("\n")])[-40:]
        if " jobs " in line and (" INFO " in line or " ERROR " in line) and "backup_report" in line:
            done += 1
            errors += " ERROR " in line
            pct = min(100, done * 100 // max(slices, 1))
            if say.tty:
                bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
                say(f"\r      {label} [{bar}] {done}/{slices} slices"
                    + (f", {errors} failed" if errors else ""), end="")
            elif pct // 10 != last_pct // 10:
                say(f"      {label}: {done}/{slices} slices ({pct}%)" + (f", {errors} failed" if errors else ""))
            last_pct = pct
    code = proc.wait()
    if say.tty:
        say()
    errors_text = "\n".join(l for l in tail if l.startswith(("backup-report:", "region ")) or "error" in l.lower())
    return code, errors_text


def _seed(aws: LocalAws, accounts: List[Tuple[str, str]], first: dt.date, days: int, **volume: int) -> int:
    spec = synthetic.OrgSpec(accounts=accounts, regions=list(REGIONS), first_day=first, days=days, **volume)
    assert aws.emulator is not None
    return sum(aws.emulator.generate(spec).values())


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
                        "check that moto[server] is installed (pip install -e '.[local]')") from error
    try:
        steps.append(Step("local AWS started", time.monotonic() - mark, aws.moto_url))
        say(f" ok ({steps[-1].seconds:.1f}s)")

        mark = time.monotonic()
        accounts = aws.create_organization(ACCOUNT_NAMES)
        aws.create_report_target(BUCKET, DATABASE)
        say(f"[2/6] organisation: {len(accounts)} accounts ({accounts[0][1]} + {len(accounts) - 1} members), "
            f"regions {', '.join(REGIONS)}; s3://{BUCKET}, Glue database {DATABASE}")
        steps.append(Step("organisation, bucket, database", time.monotonic() - mark))

        mark = time.monotonic()
        first = yesterday - dt.timedelta(days=days - 1)
        seeded = _seed(aws, accounts, first, days + 1, **volume)
        assert aws.emulator is not None
        aws.emulator.settle(seed=7)  # older jobs have finished ...
        _seed(aws, accounts, yesterday, 2, **volume)  # ... the last two days' may still run
        say(f"[3/6] seeded {seeded:,} synthetic jobs over {days + 1} days ({first} .. {today}): every status, "
            "restore tests, cross-region and cross-account copies")
        steps.append(Step("synthetic jobs seeded", time.monotonic() - mark, f"{seeded} jobs"))

        mark = time.monotonic()
        base = ["--REPORT_BUCKET", BUCKET, "--MANAGEMENT_ROLE_ARN", ROLE_ARN, "--GLUE_DATABASE", DATABASE,
                "--REGIONS", ",".join(REGIONS)]
        say(f"[4/6] backfill, last night: glue_jobs/backup_report_job.py --LOOKBACK_DAYS {days} "
            f"--REPORT_DATE {yesterday}")
        backfill_exit, backfill_errors = _run_job_with_progress(
            aws, base + ["--LOOKBACK_DAYS", str(days), "--REPORT_DATE", yesterday.isoformat()],
            dt.datetime.combine(yesterday, dt.time(23, 59)), days * len(REGIONS) * 3, say, "backfill")
        steps.append(Step("backfill", time.monotonic() - mark, f"exit {backfill_exit}"))
        say(f"      exit status {backfill_exit} ({steps[-1].seconds:.0f}s)")
        if backfill_exit != 0:
            raise DemoError(f"The backfill failed (exit status {backfill_exit}):\n{backfill_errors}")

        mark = time.monotonic()
        aws.emulator.settle(seed=8)
        _seed(aws, accounts, today, 1, **volume)
        aws.emulator.set_faults(denied=[list(DENIED)])
        say(f"[5/6] tonight's run (--LOOKBACK_DAYS 3): {DENIED[1]} is denied in {DENIED[0]} "
            "(a service control policy)")
        nightly_exit, nightly_errors = _run_job_with_progress(
            aws, base + ["--LOOKBACK_DAYS", "3"], dt.datetime.combine(today, dt.time(23, 59)),
            3 * len(REGIONS) * 3, say, "tonight")
        aws.emulator.set_faults()
        steps.append(Step("tonight's run", time.monotonic() - mark, f"exit {nightly_exit}"))
        first_error = next((l for l in nightly_errors.splitlines() if l.startswith("backup-report:")), "")
        say(f"      exit status {nightly_exit}: {first_error or 'ok'}")
        say(f"      the {DENIED[0]} copy jobs already reported were kept; report_runs records the failure")

        mark = time.monotonic()
        say(f"[6/6] every saved query of sql/, answered locally with current_date = {today}")
        engine = LocalAthena(DATABASE, today=today)
        queries = list_queries()
        answers: Dict[str, QueryResult] = {}
        for saved in queries:
            result = engine.run(saved.text)
            answers[saved.name] = result
            (output / f"{saved.name}.csv").write_text(format_csv(result.frame), encoding="utf-8")
            say()
            say(f"== {saved.name}: {saved.question}")
            say(f"   {result.summary()}")
            say("   " + format_table(result.frame, max_rows=rows_shown, max_cell=36).replace("\n", "\n   "))
        steps.append(Step("saved queries", time.monotonic() - mark, f"{len(queries)} queries"))
    finally:
        aws.stop()

    result = DemoResult(output_dir=output, html_path=output / "index.html", today=today, accounts=accounts,
                        jobs_seeded=seeded, answers=answers, queries={q.name: q for q in queries}, steps=steps,
                        backfill_exit=backfill_exit, nightly_exit=nightly_exit, nightly_error=first_error)
    result.seconds = time.monotonic() - started
    result.html_path.write_text(render_html(result), encoding="utf-8")
    say()
    say(f"Done in {result.seconds:.0f}s; local servers stopped. Summary: {result.html_path} "
        f"(and one CSV per query in {output}/)")
    return result


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


def render_html(result: DemoResult) -> str:
    """The self-contained summary page (inline CSS and SVG only)."""
    answers = result.answers
    daily = answers.get("02_daily_status_counts")
    failures = answers.get("01_failed_backup_jobs")
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<title>backup-report demo</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>backup-report: the demo organisation's AWS Backup jobs</h1>",
             f'<p class="note">current_date = {_esc(result.today)}; {len(result.accounts)} accounts, regions '
             f'{_esc(", ".join(REGIONS))}; {result.jobs_seeded:,} synthetic jobs; generated in '
             f'{result.seconds:.0f}s by <code>scripts/demo.sh</code>, entirely local (moto + the AWS Backup '
             f'emulator).</p>',
             "<h2>Runs</h2><ul>",
             f'<li>Backfill (<code>--LOOKBACK_DAYS 30</code>, last night): exit status '
             f'<span class="{"ok" if result.backfill_exit == 0 else "bad"}">{result.backfill_exit}</span></li>',
             f'<li>Tonight (<code>--LOOKBACK_DAYS 3</code>, {_esc(DENIED[1])} denied in {_esc(DENIED[0])}): exit '
             f'status <span class="{"ok" if result.nightly_exit == 0 else "bad"}">{result.nightly_exit}</span>'
             f" &mdash; {_esc(result.nightly_error)}</li></ul>"]
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
                  f"<p><b>{_esc(saved.question)}</b><br><span class=\"note\">For: {_esc(saved.audience)} &middot; "
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
