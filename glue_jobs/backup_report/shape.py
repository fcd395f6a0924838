"""API list items -> a typed DataFrame in the column order of ``schema``.

Values are taken as a list per field (each nested parent once), then typed column by column
rather than item by item: the same values, in a fraction of the Python calls.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from bisect import bisect_right
from collections.abc import Mapping as AbcMapping
from itertools import accumulate, compress, filterfalse, repeat
from operator import attrgetter
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from .columns import Column
from .schema import Table

#: The status partition of a job the API returned without a state (never seen, never dropped).
UNKNOWN_STATUS = "UNKNOWN"

_LINE_BREAK_RUN = re.compile(r"\s*[\r\n]\s*")
_LINE_BREAK = re.compile(r"[\r\n]")

#: pandas dtype of each Athena type.
PANDAS_DTYPES = {
    "string": "object",
    "bigint": "Int64",
    "boolean": "boolean",
    "timestamp": "datetime64[us, UTC]",  # one resolution whatever pandas infers
}

#: ``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` without
#: building an encoder per value.
_to_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode

_NO_MEMBERS: Mapping[str, Any] = {}  # stands for a parent that is not a mapping: its members are None
_EMPTY_TEXTS = frozenset((None, ""))
_tzinfo = attrgetter("tzinfo")
#: Below this many microseconds (2**53) float(n) is exact, so n / 1e6 rounds as timedelta.total_seconds does.
_EXACT_MICROSECONDS = 2 ** 53


def one_line(text: Optional[str]) -> Optional[str]:
    """Turn every whitespace run containing a line break into one space.

    Athena's text reader splits rows on line breaks before it sees any escape.
    """
    if text is None or ("\n" not in text and "\r" not in text):
        return text
    return _LINE_BREAK_RUN.sub(" ", text)


def _one_line_all(values: List[Any]) -> List[Any]:
    """``[one_line(v) for v in values]``: per value only where a line break is, when all are text or None."""
    try:
        text = "".join(filter(None, values))  # TypeError: a value that is not text
        plain = set(filterfalse(None, values)) <= _EMPTY_TEXTS  # and the others are None or ""
    except Exception:  # noqa: BLE001 - whatever fails here, one_line decides per value (and raises)
        plain = False
    if not plain:
        return [one_line(v) for v in values]
    if "\n" not in text and "\r" not in text:
        return values
    # the values holding a break, found by where the breaks are in ``text``
    ends = list(accumulate(map(len, filter(None, values))))
    at = list(compress(range(len(values)), values))
    lines = list(values)
    for i in {at[bisect_right(ends, match.start())] for match in _LINE_BREAK.finditer(text)}:
        lines[i] = one_line(values[i])
    return lines


def _as_mappings(values: Sequence[Any]) -> Sequence[Any]:
    """``values`` with each one that is not a mapping replaced by an empty one."""
    kinds = set(map(type, values))
    if kinds <= {dict}:
        return values
    if kinds <= {dict, type(None)}:
        return [v or _NO_MEMBERS for v in values]
    return [v if type(v) is dict or issubclass(type(v), AbcMapping) else _NO_MEMBERS for v in values]


class _Fields:
    """The values of dotted field paths over ``items``, each path (and parent) taken once.

    ``paths``: those taken at once, member by member of each parent (a row of values per
    mapping, then a list per field): one pass over thousands of mappings rather than one per
    field, each of which would miss the CPU caches. Any other path is taken when asked for.
    """

    def __init__(self, items: Sequence[Mapping[str, Any]], paths: Iterable[str] = ()):
        self.items = items
        self._values: Dict[str, List[Any]] = {}
        self._parents: Dict[str, Sequence[Any]] = {}
        self._all_dicts: Dict[int, bool] = {}  # by id of a list of containers held in the above
        if items:
            self._take(paths)

    def _dicts(self, containers: Sequence[Any]) -> bool:
        all_dicts = self._all_dicts.get(id(containers))
        if all_dicts is None:
            all_dicts = self._all_dicts[id(containers)] = set(map(type, containers)) <= {dict}
        return all_dicts

    def _members(self, containers: Sequence[Any], key: str) -> List[Any]:
        """``[c.get(key) for c in containers]``, without a Python-level loop when they are all dicts."""
        if self._dicts(containers):
            return list(map(dict.get, containers, repeat(key)))
        return [c.get(key) for c in containers]

    def _take(self, paths: Iterable[str]) -> None:
        """The values of ``paths`` row by row, where their parents are all dicts (as ``_members``)."""
        keys: Dict[str, Dict[str, None]] = {}  # parent path -> its members' keys, in order
        for path in paths:
            while path:
                parent, _, key = path.rpartition(".")
                keys.setdefault(parent, {})[key] = None
                path = parent
        for parent in sorted(keys, key=lambda p: p.count(".") + 1 if p else 0):  # a parent before its members
            containers = self._containers(parent)
            if not self._dicts(containers):
                continue
            prefix = parent + "." if parent else ""
            members = [k for k in keys[parent] if prefix + k not in self._values]
            if not members:
                continue
            rows = [tuple(map(c.get, members)) for c in containers]
            self._values.update(zip([prefix + k for k in members], map(list, zip(*rows))))

    def values(self, path: str) -> List[Any]:
        """``item[k1][k2]...`` per item; None where a key is missing or a parent is not a mapping."""
        values = self._values.get(path)
        if values is None:
            parent, _, key = path.rpartition(".")
            values = self._values[path] = self._members(self._containers(parent), key)
        return values

    def _containers(self, path: str) -> Sequence[Any]:
        """The mappings at ``path`` (an empty one where there is none); "": the items."""
        if not path:
            return self.items  # a one-key path reads the item itself
        containers = self._parents.get(path)
        if containers is None:
            parent, _, key = path.rpartition(".")
            if parent:
                values = self.values(path)
            else:  # nested paths read only the items that are mappings (as ever)
                items = self._parents[""] = self._parents.get("") or _as_mappings(self.items)
                values = self.values(path) if items is self.items else self._members(items, key)
            containers = self._parents[path] = _as_mappings(values)
        return containers


def _is_utc_fixed(values: List[Any]) -> bool:
    """Whether every value is None or a datetime with a fixed-offset ``datetime.timezone``."""
    if not set(map(type, values)) <= {dt.datetime, type(None)}:
        return False
    return all(type(tz) is dt.timezone for tz in set(map(_tzinfo, filter(None, values))))


def _utc_microseconds(stamps: pd.Series) -> np.ndarray:
    return stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[us]").view(np.int64)


def _durations(created: List[Any], completed: List[Any], created_stamps: pd.Series,
               completed_stamps: pd.Series) -> pd.Series:
    """``int((completed - created).total_seconds())`` per row, None when either is missing."""
    if not (_is_utc_fixed(created) and _is_utc_fixed(completed)):
        return pd.Series([None if a is None or b is None else int((b - a).total_seconds())
                          for a, b in zip(created, completed)], dtype="Int64")
    # aware datetimes with fixed offsets: their difference is that of their UTC instants
    missing = (created_stamps.isna() | completed_stamps.isna()).to_numpy()
    micros = np.where(missing, 0, _utc_microseconds(completed_stamps) - _utc_microseconds(created_stamps))
    seconds = np.trunc(micros / 1e6).astype(np.int64)  # total_seconds() is n / 10**6, then int() truncates
    for i in np.flatnonzero(np.abs(micros) >= _EXACT_MICROSECONDS).tolist():  # centuries apart: as Python does
        seconds[i] = int(int(micros[i]) / 10 ** 6)
    return pd.Series(pd.arrays.IntegerArray(seconds, missing))


def _objects(values: List[Any]) -> pd.Series:
    """``pd.Series(values, dtype="object")``: the same values, several times faster with pandas 2."""
    return pd.Series(np.fromiter(values, dtype=object, count=len(values)), dtype="object", copy=False)


def _typed(type_: str, raw: Any) -> pd.Series:
    if type_ == "string":
        return _objects(_one_line_all(raw if isinstance(raw, list) else list(raw)))
    if type_ == "timestamp":
        return pd.to_datetime(_objects(raw if isinstance(raw, list) else list(raw)), utc=True).astype(
            PANDAS_DTYPES["timestamp"])
    return pd.Series(raw, dtype=PANDAS_DTYPES[type_])


def typed_frame(columns: Iterable[Column], values: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """A DataFrame of ``values`` with each column cast to the dtype of its Athena type."""
    # copy=False: the Series are new; pandas would copy each into consolidated blocks
    return pd.DataFrame({column.name: _typed(column.type, values[column.name]) for column in columns}, copy=False)


def _account_names(fields: _Fields, names: Mapping[str, str]) -> List[Any]:
    """``names.get(item.get("AccountId", "")) or None`` per item, looked up once per account."""
    accounts = fields.values("AccountId")
    try:
        distinct = set(accounts)
    except TypeError:
        distinct = {None}
    if None in distinct:  # a missing AccountId reads as "" (and a None one as None): per item
        return [names.get(item.get("AccountId", "")) or None for item in fields.items]
    lookup = {account: names.get(account) or None for account in distinct}
    return [lookup[account] for account in accounts]


def _paths(table: Table) -> List[str]:
    """The field paths ``shape_jobs`` reads for ``table``."""
    paths = [table.status_field]
    for column in table.columns:
        source = column.source
        if source == "derived:account_name":
            paths.append("AccountId")
        elif source == "derived:duration_seconds":
            paths += ["CreationDate", "CompletionDate"]
        elif not source.startswith("derived:"):
            paths.append(source[5:] if source.startswith("json:") else source)
    return paths


def _check_sources(table: Table) -> None:
    for column in table.columns:
        source = column.source
        if source.startswith("derived:") and source not in (
                "derived:account_name", "derived:region", "derived:duration_seconds"):
            raise ValueError(f"column {column.name}: no getter for {source}")


def shape_jobs(items: Sequence[Mapping[str, Any]], table: Table, region: str,
               names: Mapping[str, str]) -> pd.DataFrame:
    """Rows of ``table`` for ``items`` listed in ``region``, plus the ``status`` partition column."""
    _check_sources(table)
    fields = _Fields(items, _paths(table))
    stamps: Dict[str, pd.Series] = {}  # timestamp columns by source, for the duration

    def stamps_of(path: str) -> pd.Series:
        if path not in stamps:
            stamps[path] = _typed("timestamp", fields.values(path))
        return stamps[path]

    data: Dict[str, Any] = {}
    for column in table.columns:
        source = column.source
        if source == "derived:account_name":
            raw: Any = _account_names(fields, names)
        elif source == "derived:region":
            raw = [region] * len(items)
        elif source == "derived:duration_seconds":
            data[column.name] = _durations(fields.values("CreationDate"), fields.values("CompletionDate"),
                                           stamps_of("CreationDate"), stamps_of("CompletionDate"))
            continue
        elif source.startswith("json:"):
            raw = [None if v is None else _to_json(v) for v in fields.values(source[5:])]
        elif column.type == "timestamp":
            data[column.name] = stamps_of(source)
            continue
        else:
            raw = fields.values(source)
        data[column.name] = _typed(column.type, raw)
    statuses = fields.values(table.status_field)
    if not all(statuses):
        # a job without a state would otherwise vanish when rows are grouped by status
        statuses = [status or UNKNOWN_STATUS for status in statuses]
    data["status"] = _objects(statuses)
    return pd.DataFrame(data, copy=False)
