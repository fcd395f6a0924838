"""Hive's text SerDes: a CSV object's rows parsed exactly the way Athena's declared SerDe parses them.

``parse_lazy_simple`` is LazySimpleSerDe (the job's tables: delimiters, escapes, null format,
header lines and Hive's text parsing of bigint, boolean, date and timestamp values);
``parse_open_csv_columns`` is OpenCSVSerde. ``READERS`` maps a SerDe library to its reader.
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ..errors import UnsupportedFormat

LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
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


def base_type(type_name: str) -> str:
    return type_name.strip().lower().split("(", 1)[0].strip()


def _unless_empty(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse``, with an empty field read as NULL (OpenCSVSerDe's text-first rule)."""
    return lambda text: parse(text) if text else None


def _as_float(text: str) -> Optional[float]:
    if "_" in text:  # Python accepts 1_000, Java's Double.parseDouble does not
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _as_decimal(text: str) -> Optional[float]:
    try:
        return float(decimal.Decimal(text.strip()))
    except (decimal.InvalidOperation, ValueError):
        return None


def value_parser(type_name: str, serde_params: Mapping[str, str]) -> Callable[[str], Any]:
    """The function turning one (unescaped for strings) field text into a value of ``type_name``."""
    base = base_type(type_name)
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
        return _as_float
    if base == "decimal":
        return _as_decimal
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
                        _serde_byte(serde_params.get("serialization.format"), "\x01")) or "\x01"
    escape = _serde_byte(serde_params.get("escape.delim"), None)
    null_format = serde_params.get("serialization.null.format", "\\N")
    takes_rest = str(serde_params.get("serialization.last.column.takes.rest", "")).lower() == "true"
    parsers = [value_parser(t, serde_params) for _, t in specs]
    is_string = [base_type(t) in ("string", "varchar", "char") for _, t in specs]
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
        base = base_type(type_name)
        if base in ("string", "varchar", "char"):
            parsers.append(lambda t: t)
        elif base == "timestamp":
            parsers.append(lambda t: (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(t))
                                      if re.fullmatch(r"-?\d+", t) else parse_hive_timestamp(t)) if t else None)
        elif base == "date":
            parsers.append(lambda t: (dt.date(1970, 1, 1) + dt.timedelta(days=int(t))
                                      if re.fullmatch(r"-?\d+", t) else parse_hive_date(t)) if t else None)
        else:
            parsers.append(_unless_empty(value_parser(type_name, serde_params)))
    out: List[List[Any]] = [[] for _ in specs]
    for fields in reader:
        for i, parse in enumerate(parsers):
            out[i].append(parse(fields[i]) if i < len(fields) else None)
    return {name: values for (name, _), values in zip(specs, out)}


READERS = {LAZY_SIMPLE_SERDE: parse_lazy_simple_columns, OPEN_CSV_SERDE: parse_open_csv_columns}
