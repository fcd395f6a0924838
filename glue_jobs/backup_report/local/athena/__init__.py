"""A local Athena: the saved queries of ``sql/`` answered over the data the job wrote, without AWS.

It does what Athena does with the same SQL text, on a laptop:

1. reads the table definitions and partitions from the Glue Data Catalog (``catalog``: boto3,
   so ``AWS_ENDPOINT_URL`` points it at moto's server);
2. works out which partitions each table reference needs by evaluating the query's own
   predicates on partition columns (``report_date``, ``status``) against every partition's
   values, with ``current_date`` pinned to a given day: partition pruning, as Athena does
   (``sql`` finds the predicates, ``engine`` evaluates them);
3. reads only those partitions' objects and parses each one exactly as the declared SerDe
   would (``serde``: LazySimpleSerDe delimiters, escapes, null format, header lines and
   Hive's text parsing of bigint, boolean, date and timestamp values);
4. loads the rows into DuckDB and runs the query transpiled from Athena's dialect (Trino)
   with sqlglot (``sql``), reporting the partitions, objects and bytes it read (``engine``).

The saved queries themselves (finding a file, its header, its parameters, rendering it for
a given day) are ``backup_report.queries``, shared with the real-Athena path of
``backup-report query``; this package depends on it, never the reverse.
"""
from __future__ import annotations

from .engine import LocalAthena, QueryResult, Scan, run_local

__all__ = ["LocalAthena", "QueryResult", "Scan", "run_local"]
