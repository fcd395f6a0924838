"""A local AWS Backup (``List*Jobs``, ``List*JobSummaries``) and AWS Config (``SelectAggregateResourceConfig``) for tests and the demo.

It speaks the real wire protocols, so a botocore/boto3 client created with ``endpoint_url``
-- or reaching it through ``AWS_ENDPOINT_URL_BACKUP`` / ``AWS_ENDPOINT_URL_CONFIG_SERVICE``
-- cannot tell it from the services. Nothing here talks to real AWS. One module per reason
to change:

* ``wire``: AWS Backup's protocol from botocore's model, request validation, error bodies;
* ``store``: the jobs, their filters, order, pages and ``NextToken`` cursors;
* ``summaries``: the jobs' daily counts (``List*JobSummaries``), live or frozen;
* ``faults``: denials, latency, throttling (the request quota), outages;
* ``stats``: the request counters;
* ``backup``: AWS Backup's API, composed of the four above;
* ``config``: AWS Config's aggregator query;
* ``server``: ``BackupEmulator``, the HTTP port serving both and the admin API (``/_emulator/``);
* ``client``: ``EmulatorClient``, the admin API of an emulator in another process;
* ``__main__``: the process (``python -m backup_report.local.emulator``).
"""
from __future__ import annotations

from .client import EmulatorClient
from .server import BackupEmulator

__all__ = ["BackupEmulator", "EmulatorClient"]
