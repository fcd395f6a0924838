"""Paginated AWS Backup listings per region, job type and report day; Organizations account names."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Dict, Iterator, List

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .aws import botocore_config, describe_error
from .schema import Table

log = logging.getLogger(__name__)

#: The largest page AWS Backup serves: fewest calls for a given number of jobs.
PAGE_SIZE = 1000
#: Asked for on each side of a day, so the API's own boundary rule (strict or not,
#: second precision or not) cannot drop a job; rows are then kept by the report-day rule.
BOUNDARY_MARGIN = dt.timedelta(seconds=1)


def day_bounds(day: dt.date):
    """``[day 00:00, day+1 00:00)`` in UTC: the jobs that belong to report day ``day``."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return start, start + dt.timedelta(days=1)


def backup_client(session: boto3.Session, region: str):
    """An AWS Backup client for ``region``, endpoint from the standard SDK configuration."""
    return session.client("backup", region_name=region, config=botocore_config())


def list_jobs(client, table: Table, day: dt.date) -> Iterator[List[dict]]:
    """Yield the pages of ``table``'s jobs of the whole organisation created on ``day``.

    ``ByAccountId='*'`` lists every member account's jobs from the management or
    delegated administrator account; without it only the caller's own are returned.
    """
    start, end = day_bounds(day)
    paginator = client.get_paginator(table.operation)
    pages = paginator.paginate(
        ByAccountId="*",
        ByCreatedAfter=start - BOUNDARY_MARGIN,
        ByCreatedBefore=end + BOUNDARY_MARGIN,
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    for page in pages:
        yield [job for job in page.get(table.result_key, []) if start <= job["CreationDate"] < end]


def account_names(session: boto3.Session) -> Dict[str, str]:
    """Account id -> name from Organizations; empty (with a warning) when that is denied."""
    client = session.client("organizations", config=botocore_config())
    names: Dict[str, str] = {}
    try:
        for page in client.get_paginator("list_accounts").paginate():
            names.update({a["Id"]: a.get("Name", "") for a in page["Accounts"]})
    except (ClientError, BotoCoreError) as error:
        log.warning("account_name will be empty: cannot list the organisation's accounts "
                    "(organizations:ListAccounts): %s", describe_error(error))
        return {}
    return names
