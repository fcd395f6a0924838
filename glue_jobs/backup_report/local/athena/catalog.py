"""The tables of one Glue database as Athena sees them: definitions, partitions, and their objects in S3.

Table and partition definitions come from the Glue Data Catalog (boto3, so ``AWS_ENDPOINT_URL``
points it at moto's server); a partition's objects are the non-hidden, non-empty files
directly in its folder, read and parsed by the SerDe the catalog declares (``serde.READERS``).
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ...aws import AWS_ERRORS, botocore_config, describe_error, error_code
from ...errors import QueryError
from ..errors import UnsupportedFormat
from .serde import LAZY_SIMPLE_SERDE, READERS

#: Above this many partitions of a table, one listing of the table beats one per partition.
PER_PARTITION_LISTING = 8


@dataclass
class Partition:
    """One partition: its key values, folder and SerDe."""

    values: Dict[str, str]
    location: str
    serde_library: str
    serde_params: Dict[str, str]


@dataclass
class CatalogTable:
    """One table: columns and partition keys as (lower-case name, Hive type), folder, SerDe."""

    name: str
    columns: List[Tuple[str, str]]
    partition_keys: List[Tuple[str, str]]
    location: str
    serde_library: str
    serde_params: Dict[str, str]
    parameters: Dict[str, str]
    partitions: Optional[List[Partition]] = None


def _serde(descriptor: Mapping[str, Any]) -> Tuple[str, Dict[str, str]]:
    info = descriptor.get("SerdeInfo") or {}
    return info.get("SerializationLibrary") or LAZY_SIMPLE_SERDE, dict(info.get("Parameters") or {})


def _split_s3(location: str) -> Tuple[str, str]:
    match = re.match(r"^s3a?n?://([^/]+)/?(.*)$", location)
    if not match:
        raise UnsupportedFormat(f"Location {location!r} is not an s3:// URI")
    prefix = match.group(2)
    return match.group(1), (prefix if not prefix or prefix.endswith("/") else prefix + "/")


class GlueCatalog:
    """One Glue database's tables, partitions and data objects, each read once."""

    def __init__(self, database: str, session: boto3.Session):
        self.database = database
        self._tables: Optional[Dict[str, CatalogTable]] = None
        self._objects: Dict[Tuple[str, str, str, str, str], Dict[str, List[Any]]] = {}
        self._glue = session.client("glue", config=botocore_config())
        self._s3 = session.client("s3", config=botocore_config())

    def tables(self) -> Dict[str, CatalogTable]:
        """The database's tables by (lower-case) name, read once."""
        if self._tables is None:
            tables: Dict[str, CatalogTable] = {}
            try:
                for page in self._glue.get_paginator("get_tables").paginate(DatabaseName=self.database):
                    for item in page["TableList"]:
                        sd = item.get("StorageDescriptor") or {}
                        library, params = _serde(sd)
                        tables[item["Name"].lower()] = CatalogTable(
                            name=item["Name"].lower(),
                            columns=[(c["Name"].lower(), c["Type"]) for c in sd.get("Columns", [])],
                            partition_keys=[(c["Name"].lower(), c["Type"]) for c in item.get("PartitionKeys", [])],
                            location=sd.get("Location", ""), serde_library=library, serde_params=params,
                            parameters=dict(item.get("Parameters") or {}))
            except ClientError as error:
                if error_code(error) == "EntityNotFoundException":
                    raise QueryError(f"Glue database {self.database} does not exist: pass --database "
                                     "with the job's GLUE_DATABASE") from error
                raise QueryError(f"Cannot read the Glue catalog of {self.database}: "
                                 f"{describe_error(error)}") from error
            except BotoCoreError as error:
                raise QueryError(f"Cannot reach the Glue catalog: {describe_error(error)}") from error
            self._tables = tables
        return self._tables

    def partitions(self, table: CatalogTable) -> List[Partition]:
        """The table's partitions in key order, read once (an unpartitioned table: one)."""
        if table.partitions is None:
            found: List[Partition] = []
            if not table.partition_keys:
                found.append(Partition({}, table.location, table.serde_library, table.serde_params))
            else:
                try:
                    pages = self._glue.get_paginator("get_partitions").paginate(
                        DatabaseName=self.database, TableName=table.name)
                    for page in pages:
                        for item in page["Partitions"]:
                            sd = item.get("StorageDescriptor") or {}
                            library, params = _serde(sd) if sd.get("SerdeInfo") else \
                                (table.serde_library, table.serde_params)
                            keys = [k for k, _ in table.partition_keys]
                            found.append(Partition(dict(zip(keys, item["Values"])),
                                                   sd.get("Location", ""), library, params))
                except AWS_ERRORS as error:
                    raise QueryError(f"Cannot read the partitions of {self.database}.{table.name}: "
                                     f"{describe_error(error)}") from error
            found.sort(key=lambda p: [p.values.get(k, "") for k, _ in table.partition_keys])
            table.partitions = found
        return table.partitions

    def _list(self, bucket: str, prefix: str, recursive: bool) -> List[Dict[str, Any]]:
        try:
            paginator = self._s3.get_paginator("list_objects_v2")
            pages = (paginator.paginate(Bucket=bucket, Prefix=prefix) if recursive
                     else paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"))
            return [dict(obj) for page in pages for obj in page.get("Contents", [])]
        except AWS_ERRORS as error:
            raise QueryError(f"Cannot list s3://{bucket}/{prefix}: {describe_error(error)}") from error

    def objects_of(self, table: CatalogTable, wanted: List[Partition]) -> List[List[Dict[str, Any]]]:
        """The data objects of each wanted partition (directly in its folder, not hidden, not empty).

        Many partitions under the table's folder: one listing of the table; else one per partition.
        """
        table_bucket, table_prefix = _split_s3(table.location) if table.location else ("", "")
        by_folder: Optional[Dict[Tuple[str, str], List[Dict[str, Any]]]] = None
        if len(wanted) > PER_PARTITION_LISTING and table_bucket:
            by_folder = {}
            for obj in self._list(table_bucket, table_prefix, recursive=True):
                folder, _, _ = obj["Key"].rpartition("/")
                by_folder.setdefault((table_bucket, folder + "/"), []).append(obj)
        out = []
        for partition in wanted:
            bucket, prefix = _split_s3(partition.location)
            if by_folder is not None and bucket == table_bucket and prefix.startswith(table_prefix):
                listed = by_folder.get((bucket, prefix), [])
            else:
                listed = self._list(bucket, prefix, recursive=False)
            keep = []
            for obj in sorted(listed, key=lambda o: o["Key"]):
                name = obj["Key"][len(prefix):]
                if name and "/" not in name and not name.startswith(("_", ".")) \
                        and not name.endswith("_$folder$") and obj.get("Size", 0) > 0:
                    keep.append(dict(obj, Bucket=bucket))  # hidden and empty objects: Hive skips them too
            out.append(keep)
        return out

    def parse_object(self, table: CatalogTable, partition: Partition, obj: Dict[str, Any]) -> Dict[str, List[Any]]:
        """One object's columns, read by its partition's SerDe (cached by key, ETag and SerDe)."""
        reader = READERS.get(partition.serde_library)
        if reader is None:
            raise UnsupportedFormat(f"{table.name}: SerDe {partition.serde_library} is not supported by the "
                                    f"local engine (supported: {', '.join(sorted(READERS))})")
        key = (obj["Bucket"], obj["Key"], str(obj.get("ETag", "")), partition.serde_library,
               repr(sorted(partition.serde_params.items())))
        parsed = self._objects.get(key)
        if parsed is None:
            try:
                body = self._s3.get_object(Bucket=obj["Bucket"], Key=obj["Key"])["Body"].read()
            except AWS_ERRORS as error:
                raise QueryError(f"Cannot read s3://{obj['Bucket']}/{obj['Key']}: {describe_error(error)}") from error
            if obj["Key"].endswith(".gz"):
                body = gzip.decompress(body)
            parsed = reader(body, table.columns, partition.serde_params, table.parameters)
            self._objects[key] = parsed
        return parsed
