"""Glue Python shell entry point of backup-report (its arguments: docs/reference.md).

Glue runs this file as the job's ScriptLocation with the job's DefaultArguments;
the ``backup_report`` package comes from the wheel in ``--extra-py-files``.
"""
import os
import sys

# Locally (tests, the demo) the package sits next to this script.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from backup_report.job import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
