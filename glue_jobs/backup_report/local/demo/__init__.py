"""The one-command demo: a month of an organisation's AWS Backup history, reported and queried,
on a laptop, without an AWS account.

1. start moto's server and the AWS Backup emulator as processes (``stack.LocalAws``) and
   point every SDK call of this process and its children at them (``AWS_*`` forced local);
2. create an organisation (the management account and 11 named member accounts), the report
   bucket and the Glue database; load ``days`` days of the synthetic organisation's story
   (``synthetic.OrgSpec(story=True)``: a daily backup per resource, a few percent failing,
   one account failing for two days, restore tests that mostly pass) as AWS Backup lists
   them at last night's clock, and backfill them with the real Glue entry script;
3. tonight's run: the clock moves on a day and ``ListCopyJobs`` is denied in one region (as a
   service control policy would);
4. what that run did, measured: its summary line and whole error, report_runs' count of its
   failed slices, and the denied slice's rows in the report before and after it (kept);
   both job logs are kept in ``demo-output/``;
5. run every saved query of ``sql/`` with the local Athena engine, print the answers, and write
   ``demo-output/index.html`` (inline SVG chart of daily status counts, the failures table, the
   measured failure story, every query's answer; no external assets) plus one CSV per query;
6. say how to keep exploring (the virtualenv, ``backup-report local up --demo-org``).

``python -m backup_report.local.demo`` or ``backup-report demo``; ``scripts/demo.sh`` does it on a
fresh machine (its own virtualenv). The modules: ``run`` (the six steps, ``run_demo``), ``org``
(the demo organisation and its backfill, shared with ``backup-report local up``), ``jobrun``
(the entry script run with a progress bar), ``render`` (the HTML summary page).
"""
from __future__ import annotations

from .run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
