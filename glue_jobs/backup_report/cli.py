"""``backup-report``: run the job, ask the saved queries, or watch the local demo.

    backup-report run --REPORT_BUCKET b --MANAGEMENT_ROLE_ARN arn --GLUE_DATABASE d [...]
    backup-report doctor --REPORT_BUCKET b ... | --job-name backup-report
    backup-report query failed_backup_jobs [--local] [--param days=3] [--today 2026-11-26]
    backup-report queries
    backup-report demo [--output demo-output]

A thin shell over the library: every command calls one library function and turns the
library's named errors into ``backup-report: error: ...`` and a non-zero exit status.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import TYPE_CHECKING, Any, List, Optional, Sequence

from .errors import BackupReportError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: The Athena workgroup the reporting stack creates (its result location is set there).
DEFAULT_WORKGROUP = "backup-report"
#: The Glue database the saved queries read, unless --database or $BACKUP_REPORT_DATABASE says otherwise.
DEFAULT_DATABASE = "backup_report"
#: Widest cell of the readable table; longer values are cut with an ellipsis.
MAX_CELL = 60


class AthenaQueryFailed(BackupReportError):
    """Athena refused or failed the query (permissions, workgroup, syntax, missing table)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backup-report",
        description="Organisation-wide AWS Backup job history in S3 + Glue, and the saved Athena queries over it.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser(
        "run", help="run the Glue job here (same arguments as the Glue job: --REPORT_BUCKET ...)",
        description="Run the report job with the Glue job's arguments, e.g. backup-report run "
                    "--REPORT_BUCKET b --MANAGEMENT_ROLE_ARN arn --GLUE_DATABASE d --LOOKBACK_DAYS 3",
        add_help=False)

    commands.add_parser(
        "doctor", help="read-only preflight of a deployment (the job's arguments, or --job-name NAME)",
        description="Check credentials, region, bucket, database, management role, ListBackupJobs per "
                    "region, cross-account monitoring and trusted access, one line each; never writes.",
        add_help=False)

    query = commands.add_parser(
        "query", help="run a saved query (sql/) against Athena, or locally with --local",
        description="Run a saved query of sql/ (by name, e.g. failed_backup_jobs, or a .sql file) "
                    "against Athena, or with --local against the data the job wrote to a local "
                    "(moto) S3 + Glue.")
    query.add_argument("name", metavar="NAME_OR_FILE", help="saved query name (see `backup-report queries`) or .sql file")
    query.add_argument("--local", action="store_true",
                       help="answer with the local engine (Glue catalog + S3 via AWS_ENDPOINT_URL, DuckDB)")
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="set a query parameter, e.g. --param days=7 (repeatable)")
    query.add_argument("--database", default=os.environ.get("BACKUP_REPORT_DATABASE", DEFAULT_DATABASE),
                       help="Glue database of the report tables (default: $BACKUP_REPORT_DATABASE or "
                            f"{DEFAULT_DATABASE})")
    query.add_argument("--workgroup", default=os.environ.get("BACKUP_REPORT_WORKGROUP", DEFAULT_WORKGROUP),
                       help=f"Athena workgroup (default: $BACKUP_REPORT_WORKGROUP or {DEFAULT_WORKGROUP})")
    query.add_argument("--today", metavar="YYYY-MM-DD",
                       help="answer as of that day: current_date in the query is that date")
    output = query.add_mutually_exclusive_group()
    output.add_argument("--csv", action="store_const", dest="format", const="csv", help="print CSV")
    output.add_argument("--json", action="store_const", dest="format", const="json",
                        help="print JSON (one object per row)")
    query.add_argument("--max-rows", type=int, default=200, metavar="N",
                       help="rows shown in the readable table (default 200; CSV and JSON print all)")
    query.add_argument("--show-sql", action="store_true", help="print the SQL text that runs, then the result")

    commands.add_parser("queries", help="list the saved queries: name, audience, question")

    demo = commands.add_parser(
        "demo", help="the local demo: synthetic organisation, 30-day backfill, every saved query, HTML summary",
        description="Start moto's server and the AWS Backup emulator, seed a synthetic organisation, run "
                    "the real Glue entry script over 30 days, run every saved query locally and write "
                    "an HTML summary. Never touches real AWS.")
    demo.add_argument("--output", default="demo-output", help="folder for the HTML summary and CSVs")
    demo.add_argument("--days", type=int, default=30, help="days of history (1..30, default 30)")
    return parser


# --------------------------------------------------------------------------- output

def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, lists
        return False


def _cell(value: Any) -> str:
    """One value as table text: empty for NULL, ISO dates, no trailing zeros, one line."""
    if _is_missing(value):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4f}".rstrip("0")
    if hasattr(value, "isoformat"):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
        return text[:-3] if len(text) > 23 and text[-3:] == "000" else text
    return str(value).replace("\t", " ").replace("\n", " ").replace("\r", " ")


def format_table(frame: "pd.DataFrame", max_rows: int = 200, max_cell: int = MAX_CELL) -> str:
    """A readable, aligned text table of ``frame`` (cells cut at ``max_cell`` characters)."""
    columns = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in record] for record in frame.head(max_rows).itertuples(index=False, name=None)]
    rows = [[c if len(c) <= max_cell else c[:max_cell - 1] + "…" for c in row] for row in rows]
    widths = [max([len(name)] + [len(r[i]) for r in rows]) for i, name in enumerate(columns)]
    numeric = [str(frame[c].dtype).lower().startswith(("int", "float", "uint")) for c in frame.columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    if len(frame) > max_rows:
        out.append(f"... {len(frame) - max_rows} more row(s) (use --csv or --json for all)")
    if not len(frame):
        out.append("(no rows)")
    return "\n".join(out)


def _json_value(value: Any) -> Any:
    if _is_missing(value):
        return None
    kind = type(value).__name__
    if isinstance(value, bool) or kind == "bool_":
        return bool(value)
    if isinstance(value, int) or kind.startswith(("int", "uint")):
        return int(value)
    if isinstance(value, float) or kind.startswith("float"):
        return float(value)
    if isinstance(value, str):
        return value
    return _cell(value)


def format_json(frame: "pd.DataFrame") -> str:
    records = [{str(k): _json_value(v) for k, v in zip(frame.columns, row)}
               for row in frame.itertuples(index=False, name=None)]
    return json.dumps(records, ensure_ascii=False, indent=1)


def format_csv(frame: "pd.DataFrame") -> str:
    out = frame.copy()
    for column in out.columns:
        out[column] = [v if isinstance(v, str) else _cell(v) for v in out[column]]
    return out.to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------- commands

def run_athena(sql: str, database: str, workgroup: str) -> "pd.DataFrame":
    """The query on Athena, through awswrangler, in the project's workgroup."""
    import awswrangler as wr
    from botocore.exceptions import BotoCoreError, ClientError

    from .aws import describe_error

    wrangler_errors = tuple(c for c in vars(wr.exceptions).values()
                            if isinstance(c, type) and issubclass(c, Exception))
    try:
        frame = wr.athena.read_sql_query(sql, database=database, workgroup=workgroup, ctas_approach=False)
    except wrangler_errors as error:
        raise AthenaQueryFailed(f"Athena failed the query in workgroup {workgroup}, database {database}: "
                                f"{type(error).__name__}: {error}") from error
    except (ClientError, BotoCoreError) as error:
        raise AthenaQueryFailed(f"Cannot run the query on Athena (workgroup {workgroup}, database {database}): "
                                f"{describe_error(error)}; check your AWS credentials and region, or pass "
                                "--local to query the local copy") from error
    scanned = (getattr(frame, "query_metadata", None) or {}).get("Statistics", {}).get("DataScannedInBytes")
    if scanned is not None:
        from .local.athena import human_bytes
        print(f"Athena scanned {human_bytes(int(scanned))}", file=sys.stderr)
    return frame


def cmd_query(args: argparse.Namespace) -> int:
    from .local import athena

    saved = athena.find_query(args.name)
    params = athena.parse_params(args.param)
    today = athena.parse_day(args.today) if args.today else None
    if args.local:
        sql = athena.render_sql(saved.text, params, None)
        engine = athena.LocalAthena(args.database, today=today)
        if args.show_sql:
            print(sql)
        result = engine.run(sql)
        frame = result.frame
        print(f"{saved.name}: {result.summary()}", file=sys.stderr)
    else:
        sql = athena.render_sql(saved.text, params, today)
        if args.show_sql:
            print(sql)
        frame = run_athena(sql, args.database, args.workgroup)
    if args.format == "csv":
        sys.stdout.write(format_csv(frame))
    elif args.format == "json":
        print(format_json(frame))
    else:
        if saved.question:
            print(f"-- {saved.question}")
        print(format_table(frame, max_rows=args.max_rows))
    return 0


def cmd_queries(_args: argparse.Namespace) -> int:
    import re

    from .local import athena

    for saved in athena.list_queries():
        short = re.sub(r"^\d+_", "", saved.name)
        params = ", ".join(f"{p.name}={p.default}" for p in saved.parameters.values())
        print(f"{short}\n    {saved.question}\n    for: {saved.audience}\n    parameters: {params or 'none'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .local import demo

    demo.run_demo(output_dir=args.output, days=args.days)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        if argv[1:2] in (["-h"], ["--help"]):
            from .arguments import ARGUMENTS

            print("usage: backup-report run --NAME value ...\n\nThe Glue job's arguments:")
            for a in ARGUMENTS:
                default = " (required)" if a.required else f" (default: {a.default})" if a.default else ""
                print(f"  --{a.name:<20} {a.help}{default}")
            return 0
        from . import job

        return job.main(argv[1:])
    if argv and argv[0] == "doctor":  # the job's --NAME arguments: parsed by doctor itself
        from . import doctor

        return doctor.main(argv[1:])
    args = _parser().parse_args(argv)
    handlers = {"query": cmd_query, "queries": cmd_queries, "demo": cmd_demo}
    try:
        return handlers[args.command](args)
    except BackupReportError as error:
        print(f"backup-report: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("backup-report: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `backup-report query ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
