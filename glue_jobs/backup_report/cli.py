"""``backup-report``: run the job, ask the saved queries, or watch the local demo.

    backup-report run --REPORT_BUCKET b --MANAGEMENT_ROLE_ARN arn --GLUE_DATABASE d [...]
    backup-report doctor --REPORT_BUCKET b ... | --job-name backup-report
    backup-report query failed_backup_jobs [--local] [--param days=3] [--today 2026-11-26]
        [--columns a,b] [--format table|csv|json]
    backup-report queries
    backup-report demo [--output demo-output]
    backup-report local up [--demo-org] [--port 4580]

A thin shell over the library: every command calls one library function and turns the
library's named errors into ``backup-report: error: ...`` and a non-zero exit status.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import shutil
import sys
from typing import List, Optional
from urllib.parse import urlparse

from . import errors, queries
from .output import comment, format_csv, format_json, format_table, human_bytes, report_days, select_columns

#: The Athena workgroup the reporting stack creates (its result location is set there).
DEFAULT_WORKGROUP = "backup-report"
#: The Glue database the saved queries read, unless --database or $BACKUP_REPORT_DATABASE says otherwise.
DEFAULT_DATABASE = "backup_report"


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

    # Listed here only: `backup-report doctor ...` is parsed by doctor's own parser (doctor.build_parser).
    commands.add_parser(
        "doctor", help="read-only preflight of a deployment (the job's arguments, or --job-name NAME)",
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
    output.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="a readable table fitted to the terminal's width (default), CSV, or JSON (one "
                             "object per row); CSV and JSON print every column")
    output.add_argument("--csv", action="store_const", dest="format", const="csv", help="same as --format csv")
    output.add_argument("--json", action="store_const", dest="format", const="json", help="same as --format json")
    query.add_argument("--columns", metavar="NAME,...",
                       help="print only these columns, in this order (any format; the table is then not fitted)")
    query.add_argument("--max-rows", type=int, default=200, metavar="N",
                       help="rows shown in the readable table (default 200; CSV and JSON print all)")
    query.add_argument("--show-sql", action="store_true", help="print the SQL text that runs, then the result")
    query.set_defaults(usage_of=query)  # an unknown flag is named with the command's own usage (main)

    listing = commands.add_parser("queries", help="list the saved queries: name, audience, question")
    listing.set_defaults(usage_of=listing)

    demo = commands.add_parser(
        "demo", help="the local demo: synthetic organisation, 30-day backfill, every saved query, HTML summary",
        description="Start moto's server and the AWS Backup emulator, seed a synthetic organisation, run "
                    "the real Glue entry script over 30 days, run every saved query locally and write "
                    "an HTML summary. Never touches real AWS.")
    demo.add_argument("--output", default="demo-output", help="folder for the HTML summary and CSVs")
    demo.add_argument("--days", type=int, default=30, help="days of history (1..30, default 30)")
    demo.set_defaults(usage_of=demo)

    local = commands.add_parser(
        "local", help="a local AWS (moto + the AWS Backup emulator) you can keep: backup-report local up",
        description="Local AWS for query --local, run and doctor, without an AWS account.")
    local_commands = local.add_subparsers(dest="local_command", metavar="COMMAND", required=True)
    up = local_commands.add_parser(
        "up", help="start moto + the emulator in the foreground (Ctrl-C stops) and print the export lines",
        description="Start moto's server and the AWS Backup emulator on 127.0.0.1 in the foreground, create "
                    "the report bucket and Glue database, optionally the demo organisation with a backfill, "
                    "and print the export lines that query --local, run and doctor need. Ctrl-C stops.")
    up.add_argument("--demo-org", action="store_true",
                    help="load the demo organisation (12 accounts, 3 regions) and backfill --days of history")
    up.add_argument("--days", type=int, default=30, help="days of history with --demo-org (1..30, default 30)")
    up.add_argument("--port", type=int, default=4580,
                    help="moto's port (default 4580); the AWS Backup emulator listens on the next one")
    up.set_defaults(usage_of=up)
    return parser


# --------------------------------------------------------------------------- commands

def loopback_endpoint() -> str:
    """``$AWS_ENDPOINT_URL`` when it points at this machine (a local AWS), else ``""``."""
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return url
    try:
        return url if ipaddress.ip_address(host).is_loopback else ""
    except ValueError:
        return ""


def _local_tools():
    """``backup_report.local`` (moto, DuckDB, sqlglot: the ``[local]`` extra), named when missing."""
    try:
        from .local import athena, demo, up
    except ImportError as error:
        raise errors.NoLocalAws(f"The local tools need the [local] extra ({error}): pip install "
                                "'backup-report[local]'") from None
    return athena, demo, up


def _terminal_width() -> Optional[int]:
    """The width a readable table must fit: $COLUMNS, else the terminal's when stdout is one;
    None (every column) when the output goes to a file or a pipe."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def cmd_query(args: argparse.Namespace) -> int:
    saved = queries.find_query(args.name)
    params = queries.parse_params(args.param)
    today = queries.parse_day(args.today) if args.today else None
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns is not None else None
    if columns == []:
        raise errors.ParameterError("--columns: name one column or more, e.g. --columns account_id,status")
    if args.local and not loopback_endpoint():  # never a real account's S3 and Glue by mistake
        found = os.environ.get("AWS_ENDPOINT_URL")
        raise errors.NoLocalAws(
            ("--local needs a local AWS, and AWS_ENDPOINT_URL is not set" if not found else
             f"--local needs a local AWS, and AWS_ENDPOINT_URL={found} is not on this machine")
            + ": start one with `backup-report local up --demo-org` and paste the export lines it prints")
    if args.local:  # the local engine pins current_date itself (and its current_timestamp with it)
        LocalAthena = _local_tools()[0].LocalAthena  # noqa: N806

        sql = queries.render_sql(saved.text, params, None)
        if args.show_sql:
            print(sql)
        result = LocalAthena(args.database, today=today).run(sql)
        frame = result.frame
        print(f"{saved.name}: {result.summary()}", file=sys.stderr)
    else:
        sql = queries.render_sql(saved.text, params, today)
        if args.show_sql:
            print(sql)
        frame = queries.run_on_athena(sql, args.database, args.workgroup)
        scanned = queries.scanned_bytes(frame)
        if scanned is not None:
            print(f"Athena scanned {human_bytes(scanned)}", file=sys.stderr)
    days = report_days(frame)
    if columns is not None:
        frame = select_columns(frame, columns)
    if args.format == "csv":
        sys.stdout.write(format_csv(frame))
    elif args.format == "json":
        print(format_json(frame))
    else:
        width = _terminal_width()
        if saved.question:  # the question this run answers: with the parameters used
            as_of = f" (as of {today})" if today else ""
            print(comment(f"{saved.describe(params)}{as_of}", width))
        if days:
            print(comment(days, width))
        # columns chosen with --columns are all shown, whatever the width
        print(format_table(frame, max_rows=args.max_rows, width=None if columns is not None else width))
    return 0


def cmd_queries(_args: argparse.Namespace) -> int:
    found = queries.list_queries()
    if not found:  # an installation without its package data must not look like "no queries"
        raise errors.NoSuchQuery(f"No saved queries in {queries.sql_dir()}: reinstall backup-report, or point "
                                 "BACKUP_REPORT_SQL_DIR at a folder of .sql files")
    for saved in found:
        params = ", ".join(f"{p.name}={p.default}" + (f" ({p.minimum}..{p.maximum})" if p.maximum is not None else "")
                           for p in saved.parameters.values())
        print(f"{saved.short_name}\n    {saved.question}\n    for: {saved.audience}\n"
              f"    parameters: {params or 'none'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    demo = _local_tools()[1]
    demo.run_demo(output_dir=args.output, days=args.days)
    return 0


def cmd_local(args: argparse.Namespace) -> int:
    up = _local_tools()[2]
    return up.local_up(port=args.port, demo_org=args.demo_org, days=args.days)


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
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse names them with the top-level usage; the command's own usage helps more
        (getattr(args, "usage_of", None) or parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    handlers = {"query": cmd_query, "queries": cmd_queries, "demo": cmd_demo, "local": cmd_local}
    try:
        return handlers[args.command](args)
    except errors.BackupReportError as error:
        return errors.report(error)
    except KeyboardInterrupt:
        print("backup-report: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `backup-report query ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a bug: still one line (the traceback on request)
        if os.environ.get("BACKUP_REPORT_DEBUG"):
            raise
        print(f"{errors.PREFIX}unexpected {type(error).__name__}: {error} (set BACKUP_REPORT_DEBUG=1 for the "
              "traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
