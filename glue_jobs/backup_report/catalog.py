"""Glue Data Catalog: the report tables and their partitions, kept equal to what S3 holds."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Dict, Iterable, List, Tuple

import awswrangler as wr
import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .aws import botocore_config, describe_error
from .errors import CatalogError
from .layout import day_path, list_objects, partition_values, partitions_present, table_path
from .schema import SERDE_LIBRARY, SERDE_PARAMETERS, Table

log = logging.getLogger(__name__)


def check_database(session: boto3.Session, database: str) -> None:
    """Fail fast when the Glue database is missing (the reporting stack creates it)."""
    try:
        session.client("glue", config=botocore_config()).get_database(Name=database)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "EntityNotFoundException":
            raise CatalogError(f"--GLUE_DATABASE {database} does not exist: create it "
                               "(the reporting stack does) or pass an existing database") from error
        raise CatalogError(f"Cannot read --GLUE_DATABASE {database}: {describe_error(error)}") from error
    except BotoCoreError as error:
        raise CatalogError(f"Cannot reach the Glue catalog for {database}: {describe_error(error)}") from error


def ensure_table(session: boto3.Session, database: str, bucket: str, prefix: str, table: Table) -> None:
    """Create ``table`` with column comments, or append the columns it lacks; partitions are kept."""
    try:
        wr.catalog.create_csv_table(
            database=database,
            table=table.name,
            path=table_path(bucket, prefix, table),
            columns_types=table.columns_types(),
            partitions_types=table.partitions_types(),
            description=table.description,
            columns_comments=table.columns_comments(),
            parameters={"classification": "csv", "created_by": "backup-report"},
            mode="append",
            schema_evolution=True,
            sep=SERDE_PARAMETERS["field.delim"],
            skip_header_line_count=1,
            serde_library=SERDE_LIBRARY,
            serde_parameters=dict(SERDE_PARAMETERS),
            boto3_session=session,
        )
    except (ClientError, BotoCoreError) as error:
        raise CatalogError(f"Cannot create or update table {database}.{table.name}: "
                           f"{describe_error(error)}") from error


def sync_partitions(session: boto3.Session, database: str, bucket: str, prefix: str, table: Table,
                    days: Iterable[dt.date]) -> Tuple[List[List[str]], List[List[str]]]:
    """Make the catalog's partitions of ``days`` exactly the folders that hold objects.

    Returns (added, removed) partition values.
    """
    days = list(days)
    wanted: Dict[Tuple[str, ...], str] = {}
    for day in days:
        for folder in partitions_present(list_objects(session, day_path(bucket, prefix, table, day))):
            wanted[tuple(partition_values(folder, table))] = folder
    try:
        existing = wr.catalog.get_partitions(database=database, table=table.name, boto3_session=session)
    except (ClientError, BotoCoreError) as error:
        raise CatalogError(f"Cannot read partitions of {database}.{table.name}: {describe_error(error)}") from error
    in_window = {d.isoformat() for d in days}
    have = {tuple(values): location for location, values in existing.items() if values and values[0] in in_window}
    to_add = {location: list(values) for values, location in wanted.items() if values not in have}
    to_remove = [list(values) for values in have if values not in wanted]
    try:
        if to_add:
            wr.catalog.add_csv_partitions(
                database=database, table=table.name, partitions_values=to_add,
                sep=SERDE_PARAMETERS["field.delim"], serde_library=SERDE_LIBRARY,
                serde_parameters=dict(SERDE_PARAMETERS), columns_types=table.columns_types(),
                boto3_session=session)
        if to_remove:
            wr.catalog.delete_partitions(database=database, table=table.name,
                                         partitions_values=to_remove, boto3_session=session)
    except (ClientError, BotoCoreError) as error:
        raise CatalogError(f"Cannot update partitions of {database}.{table.name}: "
                           f"{describe_error(error)}") from error
    return list(to_add.values()), to_remove
