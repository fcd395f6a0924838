"""backup-report: an AWS Organization's AWS Backup jobs, as a queryable history in S3 + Glue.

The package reads as the pipeline: ``arguments`` -> ``aws`` (sessions) -> ``settle`` and
``reconcile`` (the slices outside the window) -> ``lanes`` -> ``slices`` (``listing`` -> ``shape``
-> ``write`` -> ``catalog``) -> ``report_runs`` and ``reconciliation`` -> ``notify``; ``job.run``
ties them together and ``job.main`` gives the exit status. docs/development.md has the code map.
"""
__version__ = "0.1.0"
