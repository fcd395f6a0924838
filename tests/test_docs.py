"""The README stays true: schema tables, the two commands, CI calling the README's test command."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from backup_report.schema import ALL_TABLES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_schema_tables_are_generated_from_the_schema():
    result = subprocess.run([sys.executable, "scripts/render_docs.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    for table in ALL_TABLES:
        for column in table.columns:
            assert re.search(rf"^\| {column.name} \| {column.type} \|", README, re.M), (table.name, column.name)


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"^\./scripts/(\w+\.sh)\s+# the (demo|tests)", README, re.M)
    assert {kind: script for script, kind in commands} == {"demo": "demo.sh", "tests": "test.sh"}
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\./scripts/test\.sh\s*$", ci, re.M)
    for script, _ in commands:
        assert (ROOT / "scripts" / script).exists(), script


def test_every_saved_query_is_listed_in_the_readme():
    names = sorted(p.stem for p in (ROOT / "sql").glob("*.sql"))
    assert len(names) >= 10
    for name in names:
        assert f"(sql/{name}.sql)" in README, name
