"""A local Athena: the saved queries of ``sql/`` answered over the data the job wrote, without AWS.

It does what Athena does with the same SQL text, on a laptop:

1. reads the table definitions and partitions from the Glue Data Catalog (boto3, so
   ``AWS_ENDPOINT_URL`` points it at moto's server);
2. works out which partitions each table reference needs by evaluating the query's own
   predicates on partition columns (``report_date``, ``status``) against every partition's
   values, with ``current_date`` pinned to a given day: partition pruning, as Athena does;
3. reads only those partitions' objects and parses each one exactly as the declared SerDe
   would (``parse_lazy_simple``: LazySimpleSerDe delimiters, escapes, null format, header
   lines and Hive's text parsing of bigint, boolean, date and timestamp values);
4. loads the rows into DuckDB and runs the query transpiled from Athena's dialect (Trino)
   with sqlglot, reporting the partitions, objects and bytes it read.

The saved queries themselves (finding a file, its header, its parameters, rendering it for
a given day) are ``backup_report.queries``, shared with the real-Athena path of
``backup-report query``; this module depends on it, never the reverse.
"""
from __future__ import annotations

import calendar
import csv
import datetime as dt
import decimal
import gzip
import re
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ..aws import AWS_ERRORS, botocore_config, describe_error
from ..errors import QueryError, UnsupportedFormat
from ..output import human_bytes
from ..queries import render_sql

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
#: Above this many partitions of a table, one listing of the table beats one per partition.
PER_PARTITION_LISTING = 8
#: Objects fetched and parsed at once.
READ_THREADS = 8
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"


# --------------------------------------------------------------------------- LazySimpleSerDe

ColumnSpec = Union[Tuple[str, str], Mapping[str, str]]


def _serde_byte(value: Optional[str], default: Optional[str]) -> Optional[str]:
    """Hive's LazySerDeParameters.getByte: a number is a byte value, else the first character."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        return value[0]
    if -128 <= number <= 127:
        return chr(number & 0xFF)
    return value[0]


def _split_lines(text: str) -> List[str]:
    """Hadoop's LineReader: a record ends at \\n, \\r or \\r\\n; no empty record after the last."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _split_fields(line: str, delim: str, escape: Optional[str], limit: int) -> List[str]:
    """Fields of a row, split on unescaped ``delim``, escapes kept (LazyStruct.parse)."""
    if escape is None or escape not in line:
        if limit:
            return line.split(delim, limit - 1)
        return line.split(delim)
    fields: List[str] = []
    start, i, n = 0, 0, len(line)
    while i < n:
        ch = line[i]
        if ch == escape and i + 1 < n:
            i += 2
            continue
        if ch == delim and not (limit and len(fields) == limit - 1):
            fields.append(line[start:i])
            start = i + 1
        i += 1
    fields.append(line[start:])
    return fields


def _unescape(value: str, escape: Optional[str]) -> str:
    """LazyString with escaping: ``\\n`` -> LF, ``\\r`` -> CR, ``\\x`` -> ``x``.

    (Trino's own text reader copies the escaped character as is, so it reads ``\\n`` as
    ``n``; the job never writes an escaped ``n`` or ``r``, so both read its data alike.)
    """
    if escape is None or escape not in value:
        return value
    out: List[str] = []
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch == escape and i + 1 < n:
            nxt = value[i + 1]
            out.append("\n" if nxt == "n" else "\r" if nxt == "r" else nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


_INT_RANGES = {"tinyint": 7, "smallint": 15, "int": 31, "integer": 31, "bigint": 63}


def parse_hive_integer(text: str, bits: int = 63) -> Optional[int]:
    """Hive/Trino text integer: optional sign, digits, an ignored ``.digits`` part; else NULL."""
    if not text:
        return None
    body = text
    negative = body[0] == "-"
    if body[0] in "+-":
        body = body[1:]
    if not body:
        return None
    whole, dot, fraction = body.partition(".")
    if not whole.isascii() or (whole and not whole.isdigit()) or (fraction and not (fraction.isascii()
                                                                                    and fraction.isdigit())):
        return None
    value = int(whole) if whole else 0
    value = -value if negative else value
    if not -(2 ** bits) <= value <= 2 ** bits - 1:
        return None
    return value


def parse_hive_boolean(text: str, extended: bool = False) -> Optional[bool]:
    """``true``/``false`` in any case (plus t/f/1/0 with extended literals); else NULL."""
    lowered = text.lower()
    if lowered == "true" or (extended and lowered in ("t", "1")):
        return True
    if lowered == "false" or (extended and lowered in ("f", "0")):
        return False
    return None


_HIVE_TIMESTAMP = re.compile(
    r"([+-]?\d{1,10})-(\d{1,2})-(\d{1,2})"
    r"(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?)?", re.ASCII)
_ISO_TIMESTAMP = re.compile(
    r"([+-]?\d{4,10})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{0,9}))?)?", re.ASCII)


def _lenient(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
             nanos: int = 0) -> Optional[dt.datetime]:
    """java.time's LENIENT resolution: out-of-range fields roll over (Feb 30 -> Mar 1)."""
    try:
        months = year * 12 + (month - 1)
        base = dt.datetime(months // 12, months % 12 + 1, 1)
        return base + dt.timedelta(days=day - 1, hours=hour, minutes=minute, seconds=second,
                                   microseconds=nanos // 1000)  # Trino: nanos -> micros truncates
    except (ValueError, OverflowError):
        return None


def _round_millis(value: dt.datetime) -> Optional[dt.datetime]:
    """Athena reads Hive text timestamps with millisecond precision (rounded half up)."""
    micros = value.microsecond
    rounded = (micros + 500) // 1000 * 1000
    try:
        return value.replace(microsecond=0) + dt.timedelta(microseconds=rounded)
    except OverflowError:
        return None


def parse_hive_timestamp(text: str) -> Optional[dt.datetime]:
    """Hive's text timestamp ``yyyy-M-d[ H:m:s[.f{1,9}]]`` (or ISO ``...T...``), UTC; else NULL."""
    value = text.strip()
    if len(text) < 8:  # Hive's hard-coded minimum length
        return None
    match = _HIVE_TIMESTAMP.fullmatch(value)
    if match:
        y, mo, d, h, mi, s, frac = match.groups()
    else:
        match = _ISO_TIMESTAMP.fullmatch(value)
        if not match:
            return None
        y, mo, d, h, mi, s, frac = match.groups()
    nanos = int((frac or "").ljust(9, "0")) if frac else 0
    parsed = _lenient(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), nanos)
    return _round_millis(parsed) if parsed else None


def parse_hive_date(text: str) -> Optional[dt.date]:
    """Hive's text date ``yyyy-M-d`` (anything after a space ignored); else NULL."""
    value = text.strip().split(" ", 1)[0]
    match = re.fullmatch(r"([+-]?\d{1,10})-(\d{1,2})-(\d{1,2})", value, re.ASCII)
    if not match:
        return None
    parsed = _lenient(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    return parsed.date() if parsed else None


def _base_type(type_name: str) -> str:
    return type_name.strip().lower().split("(", 1)[0].strip()


def _value_parser(type_name: str, serde_params: Mapping[str, str]) -> Callable[[str], Any]:
    """The function turning one (unescaped for strings) field text into a value of ``type_name``."""
    base = _base_type(type_name)
    if base in ("string", "varchar", "char"):
        match = re.search(r"\((\d+)\)", type_name)
        if match:
            width = int(match.group(1))
            return lambda text: text[:width]
        return lambda text: text
    if base in _INT_RANGES:
        bits = _INT_RANGES[base]
        return lambda text: parse_hive_integer(text, bits)
    if base == "boolean":
        extended = str(serde_params.get("hive.lazysimple.extended_boolean_literal", "")).lower() == "true"
        return lambda text: parse_hive_boolean(text, extended)
    if base in ("double", "float"):
        def as_float(text: str) -> Optional[float]:
            if "_" in text:  # Python accepts 1_000, Java's Double.parseDouble does not
                return None
            try:
                return float(text)
            except ValueError:
                return None
        return as_float
    if base == "decimal":
        def as_decimal(text: str) -> Optional[float]:
            try:
                return float(decimal.Decimal(text.strip()))
            except (decimal.InvalidOperation, ValueError):
                return None
        return as_decimal
    if base == "timestamp":
        return parse_hive_timestamp
    if base == "date":
        return parse_hive_date
    raise UnsupportedFormat(f"Column type {type_name!r} is not supported by the local engine "
                            "(supported: string, varchar, char, tinyint..bigint, boolean, double, "
                            "float, decimal, date, timestamp)")


def _column_specs(columns: Sequence[ColumnSpec]) -> List[Tuple[str, str]]:
    specs = []
    for col in columns:
        if isinstance(col, Mapping):
            specs.append((str(col["Name"]), str(col["Type"])))
        else:
            specs.append((str(col[0]), str(col[1])))
    return specs


def _decode(data: Union[str, bytes]) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, (bytes, bytearray)) else data


def _skip_lines(lines: List[str], table_params: Mapping[str, str]) -> List[str]:
    header = int(str(table_params.get("skip.header.line.count", "0") or 0))
    footer = int(str(table_params.get("skip.footer.line.count", "0") or 0))
    lines = lines[max(header, 0):]
    return lines[:len(lines) - footer] if footer > 0 else lines


def parse_lazy_simple_columns(text: Union[str, bytes], columns: Sequence[ColumnSpec],
                              serde_params: Optional[Mapping[str, str]] = None,
                              table_params: Optional[Mapping[str, str]] = None) -> Dict[str, List[Any]]:
    """``parse_lazy_simple``, column-wise: ``{column: [value per row]}``."""
    specs = _column_specs(columns)
    serde_params = dict(serde_params or {})
    delim = _serde_byte(serde_params.get("field.delim"),
                        _serde_byte(serde_params.get("serialization.format"), "\x01"))
    escape = _serde_byte(serde_params.get("escape.delim"), None)
    null_format = serde_params.get("serialization.null.format", "\\N")
    takes_rest = str(serde_params.get("serialization.last.column.takes.rest", "")).lower() == "true"
    parsers = [_value_parser(t, serde_params) for _, t in specs]
    is_string = [_base_type(t) in ("string", "varchar", "char") for _, t in specs]
    width = len(specs)
    out: List[List[Any]] = [[] for _ in specs]
    for line in _skip_lines(_split_lines(_decode(text)), table_params or {}):
        fields = _split_fields(line, delim, escape, width if takes_rest else 0)
        for i in range(width):
            if i >= len(fields):
                out[i].append(None)
                continue
            raw = fields[i]
            if raw == null_format:
                out[i].append(None)
            elif is_string[i]:
                out[i].append(parsers[i](_unescape(raw, escape)))
            elif raw == "":
                out[i].append(None)
            else:
                out[i].append(parsers[i](raw))
    return {name: values for (name, _), values in zip(specs, out)}


def parse_lazy_simple(text: Union[str, bytes], columns: Sequence[ColumnSpec],
                      serde_params: Optional[Mapping[str, str]] = None,
                      table_params: Optional[Mapping[str, str]] = None) -> List[Dict[str, Any]]:
    """Rows of one text object, read as Hive's LazySimpleSerDe (and Athena) would read it.

    ``columns``: ``(name, hive type)`` pairs or Glue column dicts, in table order.
    ``serde_params``: the SerdeInfo parameters (``field.delim``, ``escape.delim``,
    ``serialization.null.format``, ...); ``table_params``: the table parameters
    (``skip.header.line.count``). Rows are split on ``\\n``, ``\\r`` and ``\\r\\n`` first;
    fields on unescaped ``field.delim``; a field equal to the null format is NULL (an
    empty non-string field too); strings are unescaped (``\\n`` -> LF, ``\\r`` -> CR,
    ``\\x`` -> ``x``); other types are parsed the Hive way and are NULL when unparsable.
    Missing trailing fields are NULL, extra fields are ignored.
    """
    by_column = parse_lazy_simple_columns(text, columns, serde_params, table_params)
    names = list(by_column)
    return [dict(zip(names, values)) for values in zip(*by_column.values())] if names else []


def parse_open_csv_columns(text: Union[str, bytes], columns: Sequence[ColumnSpec],
                           serde_params: Optional[Mapping[str, str]] = None,
                           table_params: Optional[Mapping[str, str]] = None) -> Dict[str, List[Any]]:
    """OpenCSVSerde: quoted fields, every value read as text first (an empty field is an
    empty string, not NULL), then cast to the column's type (unparsable -> NULL)."""
    specs = _column_specs(columns)
    serde_params = dict(serde_params or {})
    reader = csv.reader(_skip_lines(_split_lines(_decode(text)), table_params or {}),
                        delimiter=serde_params.get("separatorChar", ",") or ",",
                        quotechar=serde_params.get("quoteChar", '"') or '"',
                        escapechar=serde_params.get("escapeChar", "\\") or None, doublequote=True)
    parsers = []
    for _, type_name in specs:
        base = _base_type(type_name)
        if base in ("string", "varchar", "char"):
            parsers.append(lambda t: t)
        elif base == "timestamp":
            parsers.append(lambda t: (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(t))
                                      if re.fullmatch(r"-?\d+", t) else parse_hive_timestamp(t)) if t else None)
        elif base == "date":
            parsers.append(lambda t: (dt.date(1970, 1, 1) + dt.timedelta(days=int(t))
                                      if re.fullmatch(r"-?\d+", t) else parse_hive_date(t)) if t else None)
        else:
            inner = _value_parser(type_name, serde_params)
            parsers.append(lambda t, inner=inner: inner(t) if t else None)
    out: List[List[Any]] = [[] for _ in specs]
    for fields in reader:
        for i, parse in enumerate(parsers):
            out[i].append(parse(fields[i]) if i < len(fields) else None)
    return {name: values for (name, _), values in zip(specs, out)}


_READERS = {LAZY_SIMPLE_SERDE: parse_lazy_simple_columns, OPEN_CSV_SERDE: parse_open_csv_columns}


# --------------------------------------------------------------------------- catalog

@dataclass
class Partition:
    values: Dict[str, str]
    location: str
    serde_library: str
    serde_params: Dict[str, str]


@dataclass
class CatalogTable:
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


# --------------------------------------------------------------------------- query plan

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


def _date_literal(day: dt.date):
    from sqlglot import exp

    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.build("date"))


def _as_date(node) -> Optional[dt.date]:
    from sqlglot import exp

    if isinstance(node, exp.Cast) and node.to.is_type("date") and isinstance(node.this, exp.Literal) \
            and node.this.is_string:
        try:
            return dt.date.fromisoformat(node.this.name)
        except ValueError:
            return None
    return None


def _as_int(node) -> Optional[int]:
    from sqlglot import exp

    sign = 1
    if isinstance(node, exp.Neg):
        sign, node = -1, node.this
    if isinstance(node, exp.Paren):
        return _as_int(node.this)
    if isinstance(node, exp.Literal) and re.fullmatch(r"-?\d+", node.name.strip()):
        return sign * int(node.name.strip())
    return None


def _shift(day: dt.date, amount: int, unit: str) -> Optional[dt.date]:
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return day + dt.timedelta(days=amount)
    if unit == "week":
        return day + dt.timedelta(weeks=amount)
    if unit in ("month", "quarter", "year"):
        months = amount * {"month": 1, "quarter": 3, "year": 12}[unit]
        total = day.year * 12 + day.month - 1 + months
        year, month = divmod(total, 12)
        month += 1
        return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return None


def _rewrite(tree, fn):
    """Apply ``fn`` to every node, children first (so folding sees folded operands)."""
    for child in list(tree.iter_expressions()):
        _rewrite(child, fn)
    new = fn(tree)
    if new is not tree and tree.parent is not None:
        tree.replace(new)
    return new


def _fold_dates(tree):
    """Date constant folding, so date arithmetic stays a date in DuckDB as in Trino:
    ``date 'D' - interval '30' day`` and ``date_add('day', -30, date 'D')`` -> ``date 'D-30'``."""
    from sqlglot import exp

    def fold(node):
        if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval):
            day = _as_date(node.this)
            amount = _as_int(node.expression.this)
            unit = node.expression.unit
            if day is not None and amount is not None and unit is not None:
                shifted = _shift(day, amount if isinstance(node, exp.Add) else -amount, unit.name)
                if shifted is not None:
                    return _date_literal(shifted)
        if isinstance(node, exp.DateAdd):
            day = _as_date(node.this)
            amount = _as_int(node.expression)
            unit = node.args.get("unit")
            if day is not None and amount is not None and unit is not None:
                shifted = _shift(day, amount, unit.name)
                if shifted is not None:
                    return _date_literal(shifted)
        return node

    return _rewrite(tree, fold)


def _duckdb_compatible(tree, today: dt.date, now: dt.datetime, database: Optional[str]):
    """The Trino AST adjusted where DuckDB differs: pinned clock, exact percentiles,
    date sequences, database qualifiers."""
    from sqlglot import exp

    def adjust(node):
        if isinstance(node, exp.CurrentDate):
            return _date_literal(today)
        if isinstance(node, (exp.CurrentTimestamp, exp.CurrentDatetime)):
            return exp.cast(exp.Literal.string(now.strftime("%Y-%m-%d %H:%M:%S.%f")),
                            exp.DataType.build("timestamp"))
        if isinstance(node, exp.ApproxQuantile):
            # Athena's approx_percentile is approximate; the local answer is the exact
            # nearest-rank percentile (always a value of the data, like Athena's).
            return exp.Anonymous(this="quantile_disc", expressions=[node.this, node.args["quantile"]])
        if isinstance(node, (exp.ArgMax, exp.ArgMin)) and node.args.get("expression") is not None \
                and not node.args.get("count"):
            # Trino's max_by/min_by return x of the extreme y even when x is null;
            # DuckDB's arg_max/arg_min skip null x, arg_max_null/arg_min_null do not.
            name = "arg_max_null" if isinstance(node, exp.ArgMax) else "arg_min_null"
            return exp.Anonymous(this=name, expressions=[node.this, node.expression])
        if isinstance(node, exp.RegexpExtract) and not node.args.get("_local"):
            # Trino: null when the pattern does not match; DuckDB: ''.
            extract = node.copy()
            extract.set("_local", True)
            matches = exp.Anonymous(this="regexp_matches", expressions=[node.this.copy(), node.expression.copy()])
            return exp.Case(ifs=[exp.If(this=matches, true=extract)])
        if isinstance(node, exp.SplitPart) and not node.args.get("_local"):
            # Trino: null when the index is past the last field; DuckDB: ''.
            part = node.copy()
            part.set("_local", True)
            fields = exp.Anonymous(this="len", expressions=[exp.Anonymous(
                this="string_split", expressions=[node.this.copy(), node.args["delimiter"].copy()])])
            return exp.Case(ifs=[exp.If(this=exp.GTE(this=fields, expression=node.args["part_index"].copy()),
                                        true=part)])
        if isinstance(node, exp.Table) and node.args.get("db") is not None and not node.args.get("catalog"):
            if database is None or node.text("db").lower() == database.lower():
                node.set("db", None)
        return node

    tree = _fold_dates(_rewrite(tree, adjust))

    def sequences(node):
        if isinstance(node, exp.GenerateSeries) and _as_date(node.args.get("start")) is not None:
            if not node.args.get("step"):
                node.set("step", exp.Interval(this=exp.Literal.string("1"), unit=exp.var("DAY")))
            return exp.cast(node.copy(), exp.DataType.build("array<date>", dialect="duckdb"))
        return node

    return _rewrite(tree, sequences)


def _cte_names(tree) -> set:
    from sqlglot import exp

    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _conjuncts(condition) -> List[Any]:
    from sqlglot import exp

    if isinstance(condition, exp.And):
        return _conjuncts(condition.this) + _conjuncts(condition.expression)
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    return [condition]


def _partition_predicate(table_node, partition_keys: Sequence[str]):
    """The part of the enclosing SELECT's WHERE that only uses this table's partition keys,
    or None when nothing restricts them (then every partition must be read)."""
    from sqlglot import exp

    parent = table_node.parent
    if not isinstance(parent, exp.From):
        return None  # a join: only the FROM table of a SELECT is pruned here
    select = parent.parent
    if not isinstance(select, exp.Select) or not select.args.get("where"):
        return None
    alias = table_node.alias_or_name.lower()
    single = not select.args.get("joins")
    keys = {k.lower() for k in partition_keys}
    kept = []
    for conjunct in _conjuncts(select.args["where"].this):
        columns = list(conjunct.find_all(exp.Column))
        if not columns or conjunct.find(exp.Select, exp.AggFunc, exp.Window):
            continue
        usable = all(c.name.lower() in keys and (c.table.lower() == alias if c.table else single)
                     for c in columns)
        if usable:
            kept.append(conjunct.copy())
    if not kept:
        return None
    predicate = kept[0]
    for more in kept[1:]:
        predicate = exp.and_(predicate, more)
    for column in list(predicate.find_all(exp.Column)):
        column.replace(exp.column(column.name.lower()))
    return predicate


_DUCKDB_TYPES = {
    "string": "VARCHAR", "varchar": "VARCHAR", "char": "VARCHAR",
    "tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INTEGER", "integer": "INTEGER",
    "bigint": "BIGINT", "boolean": "BOOLEAN", "double": "DOUBLE", "float": "FLOAT",
    "decimal": "DOUBLE", "date": "DATE", "timestamp": "TIMESTAMP",
}


def _arrow_type(type_name: str):
    import pyarrow as pa

    base = _base_type(type_name)
    return {
        "string": pa.string(), "varchar": pa.string(), "char": pa.string(),
        "tinyint": pa.int8(), "smallint": pa.int16(), "int": pa.int32(), "integer": pa.int32(),
        "bigint": pa.int64(), "boolean": pa.bool_(), "double": pa.float64(), "float": pa.float32(),
        "decimal": pa.float64(), "date": pa.date32(), "timestamp": pa.timestamp("ms"),
    }[base]


def _partition_value(text: str, type_name: str) -> Any:
    if text == "__HIVE_DEFAULT_PARTITION__":
        return None
    base = _base_type(type_name)
    if base in ("string", "varchar", "char"):
        return text
    if base == "date":
        return parse_hive_date(text)
    if base == "timestamp":
        return parse_hive_timestamp(text)
    return _value_parser(type_name, {})(text)


class LocalAthena:
    """Run Athena (Trino) SQL over a Glue database's tables, locally, with partition pruning.

    ``today`` pins ``current_date`` (default: today, UTC); ``now`` pins ``current_timestamp``
    (default: now when ``today`` is today, else the last millisecond of ``today``).
    """

    def __init__(self, database: str, boto3_session: Optional[boto3.Session] = None,
                 today: Optional[dt.date] = None, now: Optional[dt.datetime] = None):
        self.database = database
        self.session = boto3_session or boto3.Session()
        real_now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        self.today = today or real_now.date()
        if now is None:
            now = real_now if self.today == real_now.date() else \
                dt.datetime.combine(self.today, dt.time(23, 59, 59, 999000))
        self.now = now.replace(tzinfo=None) if now.tzinfo is None else \
            now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        self._tables: Optional[Dict[str, CatalogTable]] = None
        self._objects: Dict[Tuple[str, str, str], Dict[str, List[Any]]] = {}
        self._glue = self.session.client("glue", config=botocore_config())
        self._s3 = self.session.client("s3", config=botocore_config())

    # -- catalog ---------------------------------------------------------------------
    def tables(self) -> Dict[str, CatalogTable]:
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
                if error.response.get("Error", {}).get("Code") == "EntityNotFoundException":
                    raise QueryError(f"Glue database {self.database} does not exist: pass --database "
                                     "with the job's GLUE_DATABASE") from error
                raise QueryError(f"Cannot read the Glue catalog of {self.database}: "
                                 f"{describe_error(error)}") from error
            except BotoCoreError as error:
                raise QueryError(f"Cannot reach the Glue catalog: {describe_error(error)}") from error
            self._tables = tables
        return self._tables

    def partitions(self, table: CatalogTable) -> List[Partition]:
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

    # -- storage ---------------------------------------------------------------------
    def _list(self, bucket: str, prefix: str, recursive: bool) -> List[Dict[str, Any]]:
        try:
            extra = {} if recursive else {"Delimiter": "/"}
            pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **extra)
            return [obj for page in pages for obj in page.get("Contents", [])]
        except AWS_ERRORS as error:
            raise QueryError(f"Cannot list s3://{bucket}/{prefix}: {describe_error(error)}") from error

    def _objects_of(self, table: CatalogTable, wanted: List[Partition]) -> List[List[Dict[str, Any]]]:
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

    def _parse_object(self, table: CatalogTable, partition: Partition, obj: Dict[str, Any]) -> Dict[str, List[Any]]:
        reader = _READERS.get(partition.serde_library)
        if reader is None:
            raise UnsupportedFormat(f"{table.name}: SerDe {partition.serde_library} is not supported by the "
                                    f"local engine (supported: {', '.join(sorted(_READERS))})")
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

    def _load(self, table: CatalogTable, wanted: List[Partition], scan: Scan):
        from concurrent.futures import ThreadPoolExecutor

        import pyarrow as pa

        data: Dict[str, List[Any]] = {name: [] for name, _ in table.columns + table.partition_keys}
        objects = self._objects_of(table, wanted)
        jobs = [(partition, obj) for partition, objs in zip(wanted, objects) for obj in objs]
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:  # Athena reads in parallel too
            parsed = list(pool.map(lambda job: self._parse_object(table, *job), jobs))
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

    # -- pruning ---------------------------------------------------------------------
    def _needed(self, con, table: CatalogTable, predicate) -> List[int]:
        """Indexes of the partitions whose values satisfy ``predicate`` (DuckDB evaluates it)."""
        import pyarrow as pa

        partitions = self.partitions(table)
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

    # -- queries ---------------------------------------------------------------------
    def run(self, sql: str, params: Optional[Mapping[str, str]] = None) -> QueryResult:
        """Answer ``sql`` (Athena engine v3 text) over the catalog's data."""
        import duckdb
        import sqlglot
        from sqlglot import exp

        text = render_sql(sql, params, None)
        try:
            statements = [s for s in sqlglot.parse(text, read="athena") if s is not None]
        except sqlglot.errors.ParseError as error:
            raise QueryError(f"Cannot parse the query as Athena SQL: {error}") from error
        if len(statements) != 1:
            raise QueryError(f"Expected one SQL statement, found {len(statements)}")
        tree = _duckdb_compatible(statements[0], self.today, self.now, self.database)

        ctes = _cte_names(tree)
        references: Dict[str, List[Any]] = {}
        for node in tree.find_all(exp.Table):
            name = node.name.lower()
            if not name or (name in ctes and not node.args.get("db")):
                continue
            if node.args.get("db") is not None or node.args.get("catalog") is not None:
                raise QueryError(f"Table {node.sql('athena')} is not in database {self.database}: "
                                 "the local engine reads one database (--database)")
            if name not in self.tables():
                raise QueryError(f"Table {name} not found in database {self.database} "
                                 f"(it has: {', '.join(sorted(self.tables())) or 'no tables'}); "
                                 "run the job first: it creates the tables")
            references.setdefault(name, []).append(node)

        con = duckdb.connect(database=":memory:")
        try:
            con.execute("set integer_division = true")  # Trino: bigint / bigint is a bigint
            con.execute("set TimeZone = 'UTC'")
            scans = []
            for name, nodes in sorted(references.items()):
                table = self.tables()[name]
                keys = [k for k, _ in table.partition_keys]
                needed: set = set()
                scan = Scan(name, len(self.partitions(table)), 0)
                for node in nodes:
                    predicate = _partition_predicate(node, keys) if keys else None
                    if predicate is None:
                        scan.unpruned_references += 1
                    else:
                        scan.pruned_references += 1
                    needed.update(self._needed(con, table, predicate))
                wanted = [self.partitions(table)[i] for i in sorted(needed)]
                scan.partitions_read = len(wanted)
                con.register(name, self._load(table, wanted, scan))
                scans.append(scan)
            duck_sql = tree.sql(dialect="duckdb")
            try:
                frame = _fetch(con, duck_sql)
            except Exception as error:  # duckdb.Error
                raise QueryError(f"The local engine could not run the query: {error}\n"
                                 f"-- as run by DuckDB:\n{duck_sql}") from error
        finally:
            con.close()
        return QueryResult(frame=frame, scans=scans, sql=duck_sql, today=self.today)


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
