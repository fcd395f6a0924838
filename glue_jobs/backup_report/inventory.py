"""The AWS Config inventory: the organisation's resources that AWS Backup can protect.

With ``--CONFIG_AGGREGATOR`` each run, after the job slices, snapshots the resources of the
types of ``resource_types`` from the AWS Config organisation aggregator
(``SelectAggregateResourceConfig``, assuming ``--CONFIG_ROLE_ARN``) into ``resources``,
partition ``report_date`` = the run's ``REPORT_DATE``. Like a job slice, the snapshot writes its
new objects, registers the partition, and only then deletes that day's older objects: a rerun
replaces the day's snapshot, a failed snapshot keeps the earlier ones (its partial objects are
removed), and either way ``report_runs`` gets one row with ``job_type`` ``inventory``.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any, Dict, Iterator, List, Mapping, Sequence

import boto3

from . import aws, catalog
from .arguments import Settings, utc_now
from .aws import AWS_ERRORS
from .errors import BackupReportError, BucketError, InventoryError
from .layout import day_path, list_objects, run_token
from .resource_types import CONFIG_TYPES, backup_arn, backup_type
from .runlog import INVENTORY_FAILED, INVENTORY_WRITTEN
from .schema import RESOURCES
from .shape import typed_frame
from .slices import SliceResult
from .write import delete_objects, write_csv

log = logging.getLogger(__name__)

#: ``job_type`` of the inventory's row in ``report_runs``.
JOB_TYPE = RESOURCES.job_type
#: The properties the inventory selects (AWS Config advanced query names).
QUERY_FIELDS = ("resourceId", "resourceName", "resourceType", "arn", "accountId", "awsRegion", "tags",
                "configuration.engine")
#: The largest page SelectAggregateResourceConfig serves (``Limit``).
PAGE_LIMIT = 100
#: Rows per CSV object.
CHUNK_ROWS = 20_000


def expression(config_types: Sequence[str] = CONFIG_TYPES) -> str:
    """The advanced query the inventory sends: the fields above, of every mapped type."""
    types = ", ".join(f"'{t}'" for t in config_types)
    return f"SELECT {', '.join(QUERY_FIELDS)} WHERE resourceType IN ({types})"


def select_items(client, aggregator: str) -> Iterator[Dict[str, Any]]:
    """Every Config item of the query, one page (``Limit`` 100) at a time."""
    pages = client.get_paginator("select_aggregate_resource_config").paginate(
        ConfigurationAggregatorName=aggregator, Expression=expression(),
        PaginationConfig={"PageSize": PAGE_LIMIT})
    for page in pages:
        for result in page.get("Results", []):
            yield json.loads(result)  # each result is a JSON document in a string


def tags_of(item: Mapping[str, Any]) -> Dict[str, str]:
    """The item's tags as ``{key: value}`` (Config lists them as ``[{"key", "value"}]``)."""
    tags = item.get("tags") or []
    if isinstance(tags, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in tags.items()}
    out: Dict[str, str] = {}
    for tag in tags:
        if isinstance(tag, Mapping) and tag.get("key") is not None:
            out[str(tag["key"])] = "" if tag.get("value") is None else str(tag["value"])
    return out


def resource_rows(items: Iterator[Mapping[str, Any]], names: Mapping[str, str], captured_at: dt.datetime,
                  default_partition: str = "aws") -> Dict[str, List[Any]]:
    """Column values of ``resources`` for Config items; items AWS Backup protects through
    another resource (cluster members), or whose ARN cannot be told, are left out."""
    values: Dict[str, List[Any]] = {c.name: [] for c in RESOURCES.columns}
    seen = set()
    left_out = 0
    for item in items:
        configuration = item.get("configuration")
        engine = configuration.get("engine") if isinstance(configuration, Mapping) else None
        kind = backup_type(str(item.get("resourceType") or ""), engine)
        arn = backup_arn(item, default_partition) if kind else None
        if kind is None or arn is None or arn in seen:
            left_out += 1
            continue
        seen.add(arn)
        tags = tags_of(item)
        account = str(item.get("accountId") or "")
        row = {
            "resource_arn": arn, "resource_id": item.get("resourceId"),
            "resource_name": item.get("resourceName") or tags.get("Name") or None,
            "resource_type": kind, "config_resource_type": item.get("resourceType"),
            "account_id": account, "account_name": names.get(account) or None,
            "region": item.get("awsRegion"),
            "tags": json.dumps(tags, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
            "captured_at": captured_at,
        }
        for name, value in row.items():
            values[name].append(value)
    if left_out:
        log.info("inventory: %d Config item(s) left out (cluster members, repeats or no ARN)", left_out)
    return values


def config_session(session: boto3.Session, management: boto3.Session, settings: Settings) -> boto3.Session:
    """The session that reads the aggregator: the management session when the role is the same."""
    if (settings.config_role_arn, settings.config_external_id) == (settings.role_arn, settings.external_id):
        return management
    return aws.assume_management_session(session, settings.config_role_arn or "", settings.config_external_id,
                                         settings.run_id, principal="config", argument="--CONFIG_ROLE_ARN")


def read_resources(reader: boto3.Session, settings: Settings, region: str, names: Mapping[str, str],
                   captured_at: dt.datetime) -> Dict[str, List[Any]]:
    """The ``resources`` rows of the aggregator's items; raises InventoryError naming the aggregator,
    the cause and what to check for the two errors a Config set-up usually has."""
    aggregator = settings.config_aggregator or ""
    client = reader.client("config", region_name=region, config=aws.botocore_config())
    partition = settings.role_arn.split(":")[1] if settings.role_arn.count(":") > 2 else "aws"
    try:
        return resource_rows(select_items(client, aggregator), names, captured_at, partition)
    except AWS_ERRORS as error:
        code = aws.error_code(error)
        fix = ""
        if code == "NoSuchConfigurationAggregatorException":
            fix = (f"check that --CONFIG_AGGREGATOR names an aggregator in {region} of the account of "
                   f"{settings.config_role_arn}")
        elif "AccessDenied" in code:
            fix = f"grant config:SelectAggregateResourceConfig on the aggregator to {settings.config_role_arn}"
        raise aws.named_error(InventoryError, f"AWS Config aggregator {aggregator}", error, fix) from error


def snapshot(session: boto3.Session, management: boto3.Session, settings: Settings,
             names: Mapping[str, str]) -> SliceResult:
    """Replace the ``resources`` snapshot of ``settings.report_date``; on failure keep the earlier one.

    Returns the ``report_runs`` row (``job_type`` ``inventory``); never raises for an AWS error.
    """
    day = settings.report_date
    region = session.region_name or ""
    result = SliceResult(JOB_TYPE, region, day)
    folder = day_path(settings.bucket, settings.prefix, RESOURCES, day)
    token = run_token(settings.run_id)
    written: List[str] = []
    aggregator = settings.config_aggregator or ""
    try:
        catalog.ensure_table(session, settings.database, settings.bucket, settings.prefix, RESOURCES)
        reader = config_session(session, management, settings)
        values = read_resources(reader, settings, region, names, utc_now())
        count = len(values["resource_arn"])
        for chunk, start in enumerate(range(0, max(count, 1), CHUNK_ROWS)):
            part = {k: v[start:start + CHUNK_ROWS] for k, v in values.items()}
            path = f"{folder}{token}_{chunk:05d}.csv"
            written.append(path)  # before the write: a failed write may leave a partial object
            write_csv(typed_frame(RESOURCES.columns, part), RESOURCES, path, session)
        catalog.add_partitions(session, settings.database, RESOURCES, {folder: [day.isoformat()]})
    except Exception as error:  # the job slices are written: record this failure, keep the old snapshot
        result.cause = f"{aws.cause(error)} (earlier snapshots kept)"
        try:
            delete_objects(session, written)
        except BucketError as cleanup:
            log.warning("could not remove a partial snapshot: %s", cleanup)
        log.error(INVENTORY_FAILED, day, result.error,
                  exc_info=not isinstance(error, (*AWS_ERRORS, BackupReportError)))
        return result
    try:
        delete_objects(session, [p for p in list_objects(session, folder) if p not in written])
    except BucketError as error:  # the new snapshot is complete and visible: keep it
        result.cause = (f"AWS Config aggregator {aggregator}: {error} (the new snapshot is written; "
                        "older objects may remain until the next run)")
        log.error(INVENTORY_FAILED, day, result.error)
        return result
    result.counts = {"RESOURCES": count}
    log.info(INVENTORY_WRITTEN, day, count, aggregator, folder)
    return result

