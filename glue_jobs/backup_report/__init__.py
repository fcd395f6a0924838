"""backup-report: an AWS Organization's AWS Backup jobs, as a queryable history in S3 + Glue.

The package reads as the pipeline: ``arguments`` -> ``aws`` (sessions) -> ``listing`` ->
``shape`` -> ``write`` -> ``catalog`` -> ``report_runs``; ``job.run`` ties them together.
"""
__version__ = "0.1.0"
