"""Glue Python shell entry point of backup-report (its arguments: docs/reference.md).

Glue runs this file as the job's ScriptLocation with the job's DefaultArguments;
the ``backup_report`` package comes from the wheel in ``--extra-py-files``.
"""
import gc
import os
import sys

# Locally (tests, the demo) the package sits next to this script.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from backup_report.job import main  # noqa: E402

if __name__ == "__main__":
    # The interpreter tuned for the job's process alone (its forked listing processes inherit
    # it; `backup-report run` and tests keep Python's defaults); measured in docs/performance.md.
    # A listing thread reads a page in many socket reads and waits for the GIL after each one
    # while the shaping thread computes: a shorter switch interval lets it go on sooner.
    sys.setswitchinterval(0.001)
    # A page makes tens of thousands of dicts and lists that live until their chunk is written,
    # and nothing of the job's makes cycles of note: the youngest generation is collected far
    # less often than every 700 allocations, and the modules' objects, never garbage, are
    # frozen out of every collection.
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    sys.exit(main(sys.argv[1:]))
