"""The README's and the docs' sample outputs are what the CLI prints (scripts/render_samples.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from .builders import ROOT, load_script

render_samples = load_script("render_samples")

PAGE = """\
Before.

<!-- sample: backup-report queries -->
```
$ backup-report queries
an old answer
```
<!-- /sample -->

<!-- sample: backup-report query failed_backup_jobs --local -->
<!-- /sample -->
After.
"""


def test_a_sample_block_holds_its_command_and_what_it_printed():
    assert render_samples.commands(PAGE) == ["backup-report queries", "backup-report query failed_backup_jobs --local"]
    filled = render_samples.fill(PAGE, {"backup-report queries": "failed_backup_jobs\n    Which ...?\n",
                                        "backup-report query failed_backup_jobs --local": "(no rows)\n"})
    assert filled == """\
Before.

<!-- sample: backup-report queries -->
```
$ backup-report queries
failed_backup_jobs
    Which ...?
```
<!-- /sample -->

<!-- sample: backup-report query failed_backup_jobs --local -->
```
$ backup-report query failed_backup_jobs --local
(no rows)
```
<!-- /sample -->
After.
"""
    assert render_samples.fill(filled, {"backup-report queries": "failed_backup_jobs\n    Which ...?\n",
                                        "backup-report query failed_backup_jobs --local": "(no rows)\n"}) == filled


def test_the_readme_and_docs_hold_samples_of_the_demo_organisation():
    found = {page.name: render_samples.commands(page.read_text(encoding="utf-8")) for page in render_samples.PAGES}
    assert found["README.md"] == ["backup-report query unprotected_resources --local --max-rows 6",
                                  "backup-report query backup_coverage --local --max-rows 6"]
    assert found["queries.md"] == ["backup-report query failed_backup_jobs --local --max-rows 4"]


@pytest.mark.slow
def test_every_sample_is_what_the_cli_prints_on_the_demo_organisation():
    """``local up --demo-org`` at the pinned clock, then each sample's command 100 characters wide."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_samples.py"), "--check"],
                            capture_output=True, text=True, timeout=900, cwd=str(ROOT))
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
