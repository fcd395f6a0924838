"""The project's files the tools read at run time: the saved queries, the Glue pin set and
the Glue entry script (which the demo and ``backup-report local up`` run as Glue would).

In a checkout they are the repository's own ``sql/``, ``glue_jobs/requirements-glue.txt`` and
``glue_jobs/backup_report_job.py``; an installed distribution carries copies under
``backup_report/_data/`` (see ``setup.py``). The Glue job itself needs none of them: the
wheel deployed to Glue leaves them out.
"""
from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DATA = Path(__file__).resolve().parent / "_data"
_CHECKOUT = Path(__file__).resolve().parents[2]


def sql_dir() -> Path:
    """The folder of saved queries: ``$BACKUP_REPORT_SQL_DIR``, the installed copy, or the checkout's ``sql/``."""
    override = os.environ.get("BACKUP_REPORT_SQL_DIR")
    if override:
        return Path(override)
    installed = _PACKAGE_DATA / "sql"
    return installed if installed.is_dir() else _CHECKOUT / "sql"


def glue_requirements_path() -> Path:
    """``requirements-glue.txt``: the exact pin set the Glue job installs."""
    installed = _PACKAGE_DATA / "requirements-glue.txt"
    return installed if installed.is_file() else _CHECKOUT / "glue_jobs" / "requirements-glue.txt"


def glue_pins() -> dict:
    """``{distribution name (lowercase): version}`` of the Glue pin set."""
    pins = {}
    for line in glue_requirements_path().read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, _, version = requirement.partition("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def entry_script() -> Path:
    """``backup_report_job.py``: the Glue entry script (the job's ``ScriptLocation``)."""
    installed = _PACKAGE_DATA / "backup_report_job.py"
    return installed if installed.is_file() else _CHECKOUT / "glue_jobs" / "backup_report_job.py"
