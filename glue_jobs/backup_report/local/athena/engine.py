"""The local engine: Athena SQL run by DuckDB over a Glue database's data, with Athena's partition pruning.

``LocalAthena.run`` parses the text as Athena's dialect (sqlglot), rewrites it for DuckDB
(``sql``), works out which partitions each table reference needs by evaluating the query's
own predicates on partition columns against every partition's values (``current_date``
pinned to a given day), reads only those partitions' objects (``catalog``, ``serde``), loads
them into DuckDB as Arrow tables and runs the query, reporting what it read (``Scan``).
"""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

import boto3

from ...arguments import utc_now
from ...errors import QueryError
from ...output import human_bytes
from ...queries import render_sql
from .catalog import CatalogTable, GlueCatalog, Partition
from .serde import base_type, parse_hive_date, parse_hive_timestamp, value_parser
from .sql import cte_names, duckdb_compatible, partition_predicate

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Objects fetched and parsed at once.
READ_THREADS = 8


@dataclass
class Scan:
    """What a query read of one table: Athena's partition pruning, made visible."""

    table: str
    partitions_total: int
    partitions_read: int
    objects_read: int = 0
    bytes_read: int = 0
    rows_read: int = 0
    pruned_references: int = 0
    unpruned_references: int = 0


@dataclass
class QueryResult:
    """The answer of a local query and what it cost to get it."""

    frame: "pd.DataFrame"
    scans: List[Scan]
    sql: str  # the DuckDB text that ran
    today: dt.date

    @property
    def partitions_read(self) -> int:
        return sum(s.partitions_read for s in self.scans)

    @property
    def partitions_total(self) -> int:
        return sum(s.partitions_total for s in self.scans)

    @property
    def bytes_read(self) -> int:
        return sum(s.bytes_read for s in self.scans)

    @property
    def objects_read(self) -> int:
        return sum(s.objects_read for s in self.scans)

    def summary(self) -> str:
        tables = ", ".join(f"{s.table} {s.partitions_read}/{s.partitions_total}" for s in self.scans)
        return (f"{len(self.frame)} row(s); read {self.partitions_read} of {self.partitions_total} "
                f"partition(s), {self.objects_read} object(s), {human_bytes(self.bytes_read)} "
                f"({tables or 'no table'}); current_date = {self.today}")


def _arrow_type(type_name: str):
    import pyarrow as pa

    base = base_type(type_name)
    return {
        "string": pa.string(), "varchar": pa.string(), "char": pa.string(),
        "tinyint": pa.int8(), "smallint": pa.int16(), "int": pa.int32(), "integer": pa.int32(),
        "bigint": pa.int64(), "boolean": pa.bool_(), "double": pa.float64(), "float": pa.float32(),
        "decimal": pa.float64(), "date": pa.date32(), "timestamp": pa.timestamp("ms"),
    }[base]


def _partition_value(text: str, type_name: str) -> Any:
    if text == "__HIVE_DEFAULT_PARTITION__":
        return None
    base = base_type(type_name)
    if base in ("string", "varchar", "char"):
        return text
    if base == "date":
        return parse_hive_date(text)
    if base == "timestamp":
        return parse_hive_timestamp(text)
    return value_parser(type_name, {})(text)


class LocalAthena:
    """Run Athena (Trino) SQL over a Glue database's tables, locally, with partition pruning.

    ``today`` pins ``current_date`` (default: today, UTC, on the job's clock: ``BACKUP_REPORT_NOW``
    pins it too); ``now`` pins ``current_timestamp`` (default: now when ``today`` is today, else
    the last millisecond of ``today``).
    """

    def __init__(self, database: str, boto3_session: Optional[boto3.Session] = None,
                 today: Optional[dt.date] = None, now: Optional[dt.datetime] = None):
        self.database = database
        self.session = boto3_session or boto3.Session()
        real_now = utc_now().astimezone(dt.timezone.utc).replace(tzinfo=None)
        self.today = today or real_now.date()
        if now is None:
            now = real_now if self.today == real_now.date() else \
                dt.datetime.combine(self.today, dt.time(23, 59, 59, 999000))
        self.now = now.replace(tzinfo=None) if now.tzinfo is None else \
            now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        self.catalog = GlueCatalog(database, self.session)

    def run(self, sql: str, params: Optional[Mapping[str, str]] = None) -> QueryResult:
        """Answer ``sql`` (Athena engine v3 text) over the catalog's data."""
        import duckdb

        tree = self._parse(render_sql(sql, params, None))
        references = self._references(tree)
        con = duckdb.connect(database=":memory:")
        try:
            con.execute("set integer_division = true")  # Trino: bigint / bigint is a bigint
            con.execute("set TimeZone = 'UTC'")
            scans = [self._scan(con, name, nodes) for name, nodes in sorted(references.items())]
            duck_sql = tree.sql(dialect="duckdb")
            try:
                frame = _fetch(con, duck_sql)
            except Exception as error:  # duckdb.Error
                raise QueryError(f"The local engine could not run the query: {error}\n"
                                 f"-- as run by DuckDB:\n{duck_sql}") from error
        finally:
            con.close()
        return QueryResult(frame=frame, scans=scans, sql=duck_sql, today=self.today)

    def _parse(self, text: str):
        """The one statement of ``text`` as Athena reads it, rewritten for DuckDB."""
        import sqlglot

        try:
            statements = [s for s in sqlglot.parse(text, read="athena") if s is not None]
        except sqlglot.errors.ParseError as error:
            raise QueryError(f"Cannot parse the query as Athena SQL: {error}") from error
        if len(statements) != 1:
            raise QueryError(f"Expected one SQL statement, found {len(statements)}")
        return duckdb_compatible(statements[0], self.today, self.now, self.database)

    def _references(self, tree) -> Dict[str, List[Any]]:
        """The catalog tables the query reads, each with its references in the tree (CTEs aside)."""
        from sqlglot import exp

        ctes = cte_names(tree)
        references: Dict[str, List[Any]] = {}
        for node in tree.find_all(exp.Table):
            name = node.name.lower()
            if not name or (name in ctes and not node.args.get("db")):
                continue
            if node.args.get("db") is not None or node.args.get("catalog") is not None:
                raise QueryError(f"Table {node.sql('athena')} is not in database {self.database}: "
                                 "the local engine reads one database (--database)")
            tables = self.catalog.tables()
            if name not in tables:
                raise QueryError(f"Table {name} not found in database {self.database} "
                                 f"(it has: {', '.join(sorted(tables)) or 'no tables'}); "
                                 "run the job first: it creates the tables")
            references.setdefault(name, []).append(node)
        return references

    def _scan(self, con, name: str, nodes: List[Any]) -> Scan:
        """Register table ``name`` in DuckDB with the partitions its references need; what it read."""
        table = self.catalog.tables()[name]
        partitions = self.catalog.partitions(table)
        keys = [k for k, _ in table.partition_keys]
        needed: set = set()
        scan = Scan(name, len(partitions), 0)
        for node in nodes:
            predicate = partition_predicate(node, keys) if keys else None
            if predicate is None:
                scan.unpruned_references += 1
            else:
                scan.pruned_references += 1
            needed.update(self._needed(con, table, predicate))
        wanted = [partitions[i] for i in sorted(needed)]
        scan.partitions_read = len(wanted)
        con.register(name, self._load(table, wanted, scan))
        return scan

    def _needed(self, con, table: CatalogTable, predicate) -> List[int]:
        """Indexes of the partitions whose values satisfy ``predicate`` (DuckDB evaluates it)."""
        import pyarrow as pa

        partitions = self.catalog.partitions(table)
        if predicate is None:
            return list(range(len(partitions)))
        frame = {"__i": pa.array(range(len(partitions)), type=pa.int64())}
        for key, type_name in table.partition_keys:
            frame[key] = pa.array([_partition_value(p.values.get(key, ""), type_name) for p in partitions],
                                  type=_arrow_type(type_name))
        con.register("__partitions", pa.table(frame))
        try:
            condition = predicate.sql(dialect="duckdb")
            rows = con.execute(f"select __i from __partitions where {condition}").fetchall()
        except Exception as error:  # duckdb.Error
            raise QueryError(f"Cannot evaluate the partition predicate {predicate.sql('athena')!r} "
                             f"of {table.name}: {error}") from error
        finally:
            con.unregister("__partitions")
        return sorted(r[0] for r in rows)

    def _load(self, table: CatalogTable, wanted: List[Partition], scan: Scan):
        """The wanted partitions' rows as one Arrow table (partition columns filled in)."""
        import pyarrow as pa

        data: Dict[str, List[Any]] = {name: [] for name, _ in table.columns + table.partition_keys}
        objects = self.catalog.objects_of(table, wanted)
        jobs: List[Tuple[Partition, Dict[str, Any]]] = [
            (partition, obj) for partition, objs in zip(wanted, objects) for obj in objs]
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:  # Athena reads in parallel too
            parsed = list(pool.map(lambda job: self.catalog.parse_object(table, *job), jobs))
        for (partition, obj), columns in zip(jobs, parsed):
            count = len(next(iter(columns.values()))) if columns else 0
            for name, values in columns.items():
                data[name].extend(values)
            for key, type_name in table.partition_keys:
                data[key].extend([_partition_value(partition.values.get(key, ""), type_name)] * count)
            scan.rows_read += count
            scan.objects_read += 1
            scan.bytes_read += int(obj.get("Size", 0))
        arrays = {}
        for name, type_name in table.columns + table.partition_keys:
            arrays[name] = pa.array(data[name], type=_arrow_type(type_name))
        return pa.table(arrays)


def _fetch(con, duck_sql: str) -> "pd.DataFrame":
    """Run ``duck_sql``; HUGEINT results (DuckDB's sum and count_if of integers) come back as
    BIGINT, the type Trino gives them."""
    relation = con.sql(duck_sql)
    if relation is None:
        raise QueryError("The query returned no result set (only SELECT queries are supported)")
    if any(str(t).upper() in ("HUGEINT", "UHUGEINT") for t in relation.types):
        casts = []
        for name, type_ in zip(relation.columns, relation.types):
            quoted = '"' + name.replace('"', '""') + '"'
            if str(type_).upper() in ("HUGEINT", "UHUGEINT"):
                casts.append(f"cast({quoted} as bigint) as {quoted}")
            else:
                casts.append(quoted)
        relation = relation.project(", ".join(casts))
    dates = [name for name, type_ in zip(relation.columns, relation.types) if str(type_).upper() == "DATE"]
    frame = relation.fetchdf()
    for name in dates:  # DATE as datetime.date, the way awswrangler returns Athena's dates
        frame[name] = [None if v is None or v != v else v.date() for v in frame[name].tolist()]
    return frame


def run_local(sql: str, database: str, today: Optional[dt.date] = None,
              params: Optional[Mapping[str, str]] = None,
              boto3_session: Optional[boto3.Session] = None) -> QueryResult:
    """One query over ``database``, locally (see ``LocalAthena``)."""
    return LocalAthena(database, boto3_session=boto3_session, today=today).run(sql, params)
