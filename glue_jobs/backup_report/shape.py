"""API list items -> a typed DataFrame in the column order of ``schema``."""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

import pandas as pd

from .schema import Column, Table

#: The status partition of a job the API returned without a state (never seen, never dropped).
UNKNOWN_STATUS = "UNKNOWN"

_LINE_BREAK_RUN = re.compile(r"\s*[\r\n]\s*")

#: pandas dtype of each Athena type.
PANDAS_DTYPES = {
    "string": "object",
    "bigint": "Int64",
    "boolean": "boolean",
    "timestamp": "datetime64[us, UTC]",  # one resolution whatever pandas infers
}


def one_line(text: Optional[str]) -> Optional[str]:
    """Turn every whitespace run containing a line break into one space.

    Athena's text reader splits rows on line breaks before it sees any escape.
    """
    if text is None or ("\n" not in text and "\r" not in text):
        return text
    return _LINE_BREAK_RUN.sub(" ", text)


def _path_getter(path: str) -> Callable[[Mapping[str, Any]], Any]:
    keys = path.split(".")
    if len(keys) == 1:
        key = keys[0]
        return lambda item: item.get(key)

    def get(item: Mapping[str, Any]) -> Any:
        value: Any = item
        for key in keys:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    return get


def _duration(item: Mapping[str, Any]) -> Optional[int]:
    created, completed = item.get("CreationDate"), item.get("CompletionDate")
    if created is None or completed is None:
        return None
    return int((completed - created).total_seconds())


def _getter(column: Column, region: str, names: Mapping[str, str]) -> Callable[[Mapping[str, Any]], Any]:
    source = column.source
    if source == "derived:account_name":
        return lambda item: names.get(item.get("AccountId", "")) or None
    if source == "derived:region":
        return lambda item: region
    if source == "derived:duration_seconds":
        return _duration
    if source.startswith("json:"):
        get = _path_getter(source[5:])

        def as_json(item: Mapping[str, Any]) -> Optional[str]:
            value = get(item)
            return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False,
                                                         separators=(",", ":"))
        return as_json
    if source.startswith("derived:"):
        raise ValueError(f"column {column.name}: no getter for {source}")
    return _path_getter(source)


def typed_frame(columns: Iterable[Column], values: Dict[str, List[Any]]) -> pd.DataFrame:
    """A DataFrame of ``values`` with each column cast to the dtype of its Athena type."""
    data = {}
    for column in columns:
        raw = values[column.name]
        if column.type == "string":
            data[column.name] = pd.Series([one_line(v) for v in raw], dtype="object")
        elif column.type == "timestamp":
            data[column.name] = pd.to_datetime(pd.Series(raw, dtype="object"), utc=True).astype(
                PANDAS_DTYPES["timestamp"])
        else:
            data[column.name] = pd.Series(raw, dtype=PANDAS_DTYPES[column.type])
    return pd.DataFrame(data)


def shape_jobs(items: List[Mapping[str, Any]], table: Table, region: str,
               names: Mapping[str, str]) -> pd.DataFrame:
    """Rows of ``table`` for ``items`` listed in ``region``, plus the ``status`` partition column."""
    getters = {c.name: _getter(c, region, names) for c in table.columns}
    values = {name: [get(item) for item in items] for name, get in getters.items()}
    frame = typed_frame(table.columns, values)
    # A job without a state would otherwise vanish when rows are grouped by status.
    frame["status"] = pd.Series([item.get(table.status_field) or UNKNOWN_STATUS for item in items],
                                dtype="object")
    return frame

