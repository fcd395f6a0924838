"""The demo as a command: ``python -m backup_report.local.demo [--output DIR] [--days N]``."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from ... import errors
from . import __doc__ as _about
from .run import run_demo


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backup_report.local.demo", description=_about.splitlines()[0])
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
