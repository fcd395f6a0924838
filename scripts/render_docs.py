#!/usr/bin/env python3
"""Render the schema tables of docs/tables.md from glue_jobs/backup_report/schema.py.

    python scripts/render_docs.py          # rewrite docs/tables.md in place
    python scripts/render_docs.py --check  # exit 1 when docs/tables.md is out of date

Each ``<!-- schema:<table> -->`` ... ``<!-- /schema -->`` block of the page is replaced by
that table's columns; the text around the blocks is left alone.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "glue_jobs"))

from backup_report.schema import ALL_TABLES, markdown_table  # noqa: E402

#: The page that holds the generated tables.
PAGE = ROOT / "docs" / "tables.md"
BLOCK = re.compile(r"(<!-- schema:(\w+) -->\n).*?(<!-- /schema -->)", re.S)


def render(text: str) -> str:
    """``text`` with every schema block filled from the schema; a block naming no table fails."""
    tables = {t.name: t for t in ALL_TABLES}

    def fill(match: re.Match) -> str:
        name = match.group(2)
        if name not in tables:
            raise SystemExit(f"{PAGE.relative_to(ROOT)}: <!-- schema:{name} --> names no table "
                             f"(known: {', '.join(sorted(tables))})")
        return f"{match.group(1)}{markdown_table(tables[name])}\n{match.group(3)}"

    return BLOCK.sub(fill, text)


def missing_tables(text: str) -> list:
    """Tables of the schema that have no block on the page."""
    present = {m.group(2) for m in BLOCK.finditer(text)}
    return [t.name for t in ALL_TABLES if t.name not in present]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is out of date")
    args = parser.parse_args()
    current = PAGE.read_text(encoding="utf-8")
    missing = missing_tables(current)
    if missing:
        print(f"{PAGE.relative_to(ROOT)} has no block for: {', '.join(missing)} "
              "(add <!-- schema:NAME --> ... <!-- /schema -->)")
        return 1
    wanted = render(current)
    if args.check:
        if current != wanted:
            print(f"{PAGE.relative_to(ROOT)} schema tables are out of date: run python scripts/render_docs.py")
            return 1
        return 0
    PAGE.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
