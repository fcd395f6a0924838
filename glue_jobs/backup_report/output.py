"""Query answers as text: the readable table, CSV and JSON of ``backup-report query`` and the demo."""
from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Widest cell of the readable table; longer values are cut with an ellipsis.
MAX_CELL = 60


def human_bytes(count: float) -> str:
    """``1536`` -> ``1.5 KB`` (units of 1024): a byte count as people read it."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1024 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"  # pragma: no cover - the loop returns


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA (not for arrays or lists)."""
    import pandas as pd

    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays, lists
        return False


def format_cell(value: Any) -> str:
    """One value as table text: empty for NULL, ISO dates (UTC), no trailing zeros, one line."""
    if is_missing(value):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4f}".rstrip("0")
    if hasattr(value, "isoformat"):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
        return text[:-3] if len(text) > 23 and text[-3:] == "000" else text
    return str(value).replace("\t", " ").replace("\n", " ").replace("\r", " ")


def format_table(frame: "pd.DataFrame", max_rows: int = 200, max_cell: int = MAX_CELL) -> str:
    """A readable, aligned text table of ``frame`` (cells cut at ``max_cell`` characters)."""
    columns = [str(c) for c in frame.columns]
    rows = [[format_cell(v) for v in record]
            for record in frame.head(max_rows).itertuples(index=False, name=None)]
    rows = [[c if len(c) <= max_cell else c[:max_cell - 1] + "…" for c in row] for row in rows]
    widths = [max([len(name)] + [len(r[i]) for r in rows]) for i, name in enumerate(columns)]
    numeric = [str(frame[c].dtype).lower().startswith(("int", "float", "uint")) for c in frame.columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    if len(frame) > max_rows:
        out.append(f"... {len(frame) - max_rows} more row(s) (use --csv or --json for all)")
    if not len(frame):
        out.append("(no rows)")
    return "\n".join(out)


def _json_value(value: Any) -> Any:
    if is_missing(value):
        return None
    kind = type(value).__name__
    if isinstance(value, bool) or kind == "bool_":
        return bool(value)
    if isinstance(value, int) or kind.startswith(("int", "uint")):
        return int(value)
    if isinstance(value, float) or kind.startswith("float"):
        return float(value)
    if isinstance(value, str):
        return value
    return format_cell(value)


def format_json(frame: "pd.DataFrame") -> str:
    """A JSON array with one object per row: numbers as numbers, NULL as null, dates as ISO text."""
    records = [{str(k): _json_value(v) for k, v in zip(frame.columns, row)}
               for row in frame.itertuples(index=False, name=None)]
    return json.dumps(records, ensure_ascii=False, indent=1)


def format_csv(frame: "pd.DataFrame") -> str:
    """CSV with a header line; values formatted as in the table, strings as they are."""
    out = frame.copy()
    for column in out.columns:
        out[column] = [v if isinstance(v, str) else format_cell(v) for v in out[column]]
    return out.to_csv(index=False, lineterminator="\n")
