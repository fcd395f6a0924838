"""The CSV text of the report's objects, built column by column: byte for byte what pandas'
``to_csv(**CSV_OPTIONS)`` writes, in a fraction of its CPU (a speed trick: docs/performance.md
has the figures; tests/test_write.py compares both ways on every kind of value).

Frames holding a value this module does not reproduce (a number or a list in a text column, an
unexpected dtype) get None from ``lines``: the caller has pandas write them.
"""
from __future__ import annotations

import csv
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from .schema import CSV_DELIMITER, CSV_ESCAPE, CSV_NULL, Table

CSV_OPTIONS: Dict[str, Any] = dict(
    sep=CSV_DELIMITER,
    index=False,
    header=True,
    quoting=csv.QUOTE_NONE,
    escapechar=CSV_ESCAPE,
    na_rep=CSV_NULL,
    lineterminator="\n",
    encoding="utf-8",
)


def _timestamp_strings(values: pd.Series) -> Tuple[np.ndarray, np.ndarray]:
    """``TIMESTAMP_FORMAT`` text of UTC timestamps (a str array) and where they are NaT."""
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    text = np.datetime_as_string(naive, unit="us")
    code_points = text.view(np.uint32)  # UCS-4: every "T" becomes " " in place, as str.replace would
    code_points[code_points == ord("T")] = ord(" ")
    return text, np.isnat(naive)


def timestamp_text(values: pd.Series) -> np.ndarray:
    """UTC timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` (``TIMESTAMP_FORMAT``), None for NaT.

    Vectorised: much faster than ``date_format``, which calls strftime per value.
    """
    strings, missing = _timestamp_strings(values)
    text: np.ndarray = strings.astype(object)
    text[missing] = None
    return text


def csv_text_frame(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """``frame``'s table columns as the text the CSV holds: timestamps and booleans as Hive reads them."""
    out = frame[list(table.column_names)].copy()
    for column in table.columns:
        if column.type == "boolean":
            out[column.name] = out[column.name].map({True: "true", False: "false"}).astype("object")
        elif column.type == "timestamp":
            out[column.name] = timestamp_text(out[column.name])
    return out


def _escaped_characters() -> Optional[List[str]]:
    """The characters pandas' ``to_csv(**CSV_OPTIONS)`` escapes (the escape character first), asked
    of pandas itself: they differ with the Python version (3.9 escapes NUL and not '"', 3.11 the
    reverse). None if it writes one of them otherwise than plain or escaped."""
    chars = [chr(code) for code in range(128)] + ["\x85", "\u2028", "\u2029"]
    options = {k: v for k, v in CSV_OPTIONS.items() if k != "encoding"}
    text = pd.DataFrame([chars], dtype=object).to_csv(**{**options, "header": False})
    escaped, at = [], 0
    for char in chars:
        if text.startswith(CSV_ESCAPE + char, at):
            escaped.append(char)
            at += len(CSV_ESCAPE) + 1
        elif text.startswith(char, at):
            at += 1
        else:
            return None
        if not text.startswith(CSV_DELIMITER, at) and not text.startswith(CSV_OPTIONS["lineterminator"], at):
            return None
        at += 1
    if at != len(text):
        return None
    return sorted(escaped, key=lambda char: char != CSV_ESCAPE)


#: None: every frame is written by pandas (a csv writer this module does not reproduce).
_ESCAPED = _escaped_characters()
_TEXT_TYPES = {str, type(None)}
#: Joins a column's values to escape them in one pass (escaped by no Python version).
_SEPARATOR = "\x1f"


def _escape(values: List[str]) -> List[str]:
    """``values`` with each escaped character preceded by the escape character, as pandas writes them."""
    assert _ESCAPED is not None  # lines() builds no text when pandas' escapes are not known
    text = _SEPARATOR.join(values)
    if not any(char in text for char in _ESCAPED):
        return values
    if _SEPARATOR in _ESCAPED or text.count(_SEPARATOR) != len(values) - 1:  # one by one
        for char in _ESCAPED:
            values = [v.replace(char, CSV_ESCAPE + char) for v in values]
        return values
    for char in _ESCAPED:  # the escape character first: the escapes added are not escaped again
        text = text.replace(char, CSV_ESCAPE + char)
    return text.split(_SEPARATOR)


def csv_line(values: List[str]) -> str:
    """One data line of ``values`` (text, "" for NULL) as the writer writes it."""
    return CSV_DELIMITER.join(_escape(list(values)))


def lines(frame: pd.DataFrame, table: Table) -> Optional[List[str]]:
    """The data lines (without terminator) that ``to_csv(csv_text_frame(frame, table), **CSV_OPTIONS)``
    writes, built column by column; None when a column holds values only pandas knows how to
    print (a number or a list in a text column, an unexpected dtype): pandas writes those frames."""
    if _ESCAPED is None or len(table.columns) < 2:  # a lone empty field would need quoting
        return None
    columns = []
    for column in table.columns:
        values = frame[column.name]
        dtype, text_type = values.dtype, column.type not in ("boolean", "timestamp")
        if column.type == "timestamp" and isinstance(dtype, pd.DatetimeTZDtype):
            strings, missing = _timestamp_strings(values)
            cells = np.where(missing, CSV_NULL, strings).tolist()
        elif column.type == "boolean" and isinstance(dtype, pd.BooleanDtype):
            cells = np.where(values.isna().to_numpy(), CSV_NULL,
                             np.where(values.to_numpy(dtype=bool, na_value=False), "true", "false")).tolist()
        elif text_type and isinstance(dtype, pd.Int64Dtype):
            cells = np.where(values.isna().to_numpy(), CSV_NULL,
                             values.to_numpy(dtype=np.int64, na_value=0).astype(str)).tolist()
        elif text_type and dtype == object:
            cells = values.tolist()
            kinds = set(map(type, cells))
            if not kinds <= _TEXT_TYPES:
                return None
            if type(None) in kinds:
                cells = [CSV_NULL if v is None else v for v in cells]
            cells = _escape(cells)
        else:
            return None
        columns.append(cells)
    return list(map(CSV_DELIMITER.join, zip(*columns)))


def body(table: Table, lines: List[str]) -> bytes:
    """The CSV object of ``lines``: the header, then each line terminated."""
    end = CSV_OPTIONS["lineterminator"]
    text = CSV_DELIMITER.join(_escape(list(table.column_names))) + end
    if lines:
        text += end.join(lines) + end
    return text.encode(CSV_OPTIONS["encoding"])
