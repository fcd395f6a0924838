#!/usr/bin/env python3
"""Render the README's schema tables from glue_jobs/backup_report/schema.py.

    python scripts/render_docs.py          # rewrite README.md in place
    python scripts/render_docs.py --check  # exit 1 when README.md is out of date
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "glue_jobs"))

from backup_report.schema import ALL_TABLES, markdown_table  # noqa: E402

BLOCK = re.compile(r"(<!-- schema:(\w+) -->\n).*?(<!-- /schema -->)", re.S)


def render(text: str) -> str:
    tables = {t.name: t for t in ALL_TABLES}

    def fill(match: re.Match) -> str:
        table = tables[match.group(2)]
        return f"{match.group(1)}{markdown_table(table)}\n{match.group(3)}"

    return BLOCK.sub(fill, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    readme = ROOT / "README.md"
    current = readme.read_text(encoding="utf-8")
    wanted = render(current)
    if args.check:
        if current != wanted:
            print("README.md schema tables are out of date: run python scripts/render_docs.py")
            return 1
        return 0
    readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
