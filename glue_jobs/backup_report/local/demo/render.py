"""The demo's summary page: self-contained HTML (inline CSS, an inline SVG chart of daily status counts)."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Dict, Optional

from ...output import format_cell
from .org import DENIED, REGIONS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .jobrun import JobRun
    from .run import DemoResult, FailureStory

STATUS_COLOURS = {
    "COMPLETED": "#2e7d32", "FAILED": "#c62828", "ABORTED": "#ef6c00", "EXPIRED": "#6a1b9a",
    "PARTIAL": "#f9a825", "RUNNING": "#1565c0", "PENDING": "#64b5f6", "CREATED": "#90a4ae",
    "ABORTING": "#ffb74d",
}


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def ledger_text(ledger: Dict[str, int]) -> str:
    """A run's report_runs rows, job slices and inventory apart: ``24 job slice(s) succeeded,
    3 failed; the inventory succeeded``."""
    text = f"{ledger.get('succeeded', 0)} job slice(s) succeeded, {ledger.get('failed', 0)} failed"
    if ledger.get("inventory succeeded") or ledger.get("inventory failed"):
        text += f"; the inventory {'failed' if ledger.get('inventory failed') else 'succeeded'}"
    return text


def status_chart_svg(daily: pd.DataFrame, job_type: str = "backup", width: int = 960, height: int = 320) -> str:
    """Inline SVG: stacked bars of job counts per status and day (rows of 02_daily_status_counts)."""
    frame = daily[daily["job_type"] == job_type] if len(daily) else daily
    by_day: Dict[str, Dict[str, int]] = {}
    for row in frame.itertuples(index=False):
        day, status = str(row.report_date)[:10], str(row.status)
        by_day.setdefault(day, {})[status] = by_day.get(day, {}).get(status, 0) + int(str(row.job_count))
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
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'</div>{note}')


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
            f'<p class="note">report_runs for run demo-tonight: {_esc(ledger_text(story.ledger))}. '
            'Which slices are still missing: '
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
