"""Glue Data Catalog: the report tables and their partitions, kept equal to what S3 holds."""
from __future__ import annotations

import datetime as dt
import threading
from typing import Dict, Iterable, List, Mapping, Set, Tuple

import awswrangler as wr
import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .aws import AWS_ERRORS, botocore_config, error_code, named_error
from .errors import CatalogError
from .layout import (
    day_path,
    list_objects,
    partition_values,
    partitions_present,
    table_path,
)
from .schema import SERDE_LIBRARY, SERDE_PARAMETERS, Table


def check_database(session: boto3.Session, database: str) -> None:
    """Fail fast when the Glue database is missing (the reporting stack creates it); raises CatalogError."""
    try:
        session.client("glue", config=botocore_config()).get_database(Name=database)
    except ClientError as error:
        if error_code(error) == "EntityNotFoundException":
            raise named_error(CatalogError, f"--GLUE_DATABASE {database} does not exist in {session.region_name}",
                              error, "check --GLUE_DATABASE and the region, or deploy the reporting stack "
                              "(it creates the database)") from error
        raise named_error(CatalogError, f"Cannot read --GLUE_DATABASE {database}", error,
                          "allow glue:GetDatabase to the caller") from error
    except BotoCoreError as error:
        raise named_error(CatalogError, f"Cannot reach the Glue catalog for {database}", error,
                          "check the network and the region") from error


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
    except AWS_ERRORS as error:
        raise named_error(CatalogError, f"Cannot create or update table {database}.{table.name}", error) from error


def add_partitions(session: boto3.Session, database: str, table: Table, partitions: Mapping[str, List[str]]) -> None:
    """Add ``partitions`` (folder -> values) to ``table``; one that already exists counts as added.

    awswrangler passes over Glue's per-partition ``AlreadyExistsException``, so two region
    threads (or two runs) adding the same partition both succeed.
    """
    if not partitions:
        return
    try:
        wr.catalog.add_csv_partitions(
            database=database, table=table.name, partitions_values=dict(partitions),
            sep=SERDE_PARAMETERS["field.delim"], serde_library=SERDE_LIBRARY,
            serde_parameters=dict(SERDE_PARAMETERS), columns_types=table.columns_types(),
            boto3_session=session)
    except (*AWS_ERRORS, wr.exceptions.ServiceApiError) as error:
        names = ", ".join("/".join(f"{c.name}={v}" for c, v in zip(table.partitions, values))
                          for values in partitions.values())
        raise named_error(CatalogError, f"Cannot register partition(s) {names} of {database}.{table.name}",
                          error) from error


class PartitionRegistry:
    """The partitions of the job tables that this run has made sure are in the catalog.

    A slice registers the partitions of its new objects before it deletes the older ones
    (``slices.run_slice``), so a run killed in between hides no job. Glue is asked once per
    partition and run. The region threads share one registry: two of them may add the same
    partition at once, which counts as success (see ``add_partitions``).
    """

    def __init__(self, session: boto3.Session, database: str):
        self.session, self.database = session, database
        self._known: Set[Tuple[str, Tuple[str, ...]]] = set()
        self._lock = threading.Lock()

    def register(self, table: Table, folders: Iterable[str]) -> List[List[str]]:
        """Make sure the partitions of ``folders`` (``s3://.../status=X/``) are in the catalog.

        Returns the partition values this call asked Glue to add; raises CatalogError.
        """
        wanted = {folder: partition_values(folder, table) for folder in sorted(set(folders))}
        with self._lock:  # not held while Glue answers: regions do not wait for each other
            todo = {f: v for f, v in wanted.items() if (table.name, tuple(v)) not in self._known}
        add_partitions(self.session, self.database, table, todo)
        with self._lock:
            self._known.update((table.name, tuple(v)) for v in todo.values())
        return list(todo.values())


def sync_partitions(session: boto3.Session, database: str, bucket: str, prefix: str, table: Table,
                    days: Iterable[dt.date]) -> Tuple[List[List[str]], List[List[str]]]:
    """Make the catalog's partitions of ``days`` exactly the folders that hold objects.

    At the end of a run: the slices registered their partitions already (``PartitionRegistry``),
    so this mostly removes the partitions that their deletions emptied.

    Returns (added, removed) partition values.
    """
    days = list(days)
    wanted: Dict[Tuple[str, ...], str] = {}
    for day in days:
        for folder in partitions_present(list_objects(session, day_path(bucket, prefix, table, day))):
            wanted[tuple(partition_values(folder, table))] = folder
    try:
        existing = wr.catalog.get_partitions(database=database, table=table.name, boto3_session=session)
    except AWS_ERRORS as error:
        raise named_error(CatalogError, f"Cannot read partitions of {database}.{table.name}", error) from error
    in_window = {d.isoformat() for d in days}
    have = {tuple(values): location for location, values in existing.items() if values and values[0] in in_window}
    to_add = {location: list(values) for values, location in wanted.items() if values not in have}
    to_remove = [list(values) for values in have if values not in wanted]
    add_partitions(session, database, table, to_add)
    try:
        if to_remove:
            wr.catalog.delete_partitions(database=database, table=table.name,
                                         partitions_values=to_remove, boto3_session=session)
    except AWS_ERRORS as error:
        raise named_error(CatalogError, f"Cannot update partitions of {database}.{table.name}", error) from error
    return list(to_add.values()), to_remove
