"""Query answers as text: the readable table, CSV and JSON of ``backup-report query`` and the demo."""
from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from typing import TYPE_CHECKING, Any, List, Optional, Sequence

from .errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Widest cell of the readable table; longer values are cut with an ellipsis.
MAX_CELL = 60
#: Columns left out first when a table must fit a terminal: the window its heading states
#: (``report_days``) and long identifiers (ARNs, tags, job and run ids), which CSV and JSON carry.
_LEFT_OUT_FIRST = re.compile(r"^days_(from|to)$|(^|_)(arn|tags|job_id|run_id)$")


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


def select_columns(frame: "pd.DataFrame", names: Sequence[str]) -> "pd.DataFrame":
    """``frame`` with only the columns ``names``, in that order (``--columns``).

    Raises ParameterError naming the answer's columns when one is not among them.
    """
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ParameterError(f"--columns {','.join(missing)}: the answer has no such column; "
                             f"its columns are: {', '.join(str(c) for c in frame.columns)}")
    return frame.reindex(columns=list(names))  # every name is a column (checked above)


def fit_columns(names: Sequence[str], widths: Sequence[int], width: int) -> List[int]:
    """Indexes of the columns that fit in ``width`` characters (two spaces between columns): all
    when they fit; else ``days_from``/``days_to`` and long identifiers (ARNs, tags, ids) go first,
    the last one first, then the other columns from the right. The first column always stays."""
    shown = list(range(len(names)))

    def total() -> int:
        return sum(widths[i] for i in shown) + 2 * (len(shown) - 1)

    for i in [i for i in reversed(shown) if _LEFT_OUT_FIRST.search(names[i])]:
        if total() <= width:
            break
        shown.remove(i)
    while total() > width and len(shown) > 1:
        shown.pop()
    return shown


def comment(text: str, width: Optional[int] = None) -> str:
    """``text`` as SQL comment lines (``-- ...``), wrapped at ``width`` characters when given."""
    if width is None:
        return f"-- {text}"
    return textwrap.fill(text, width=max(width, 20), initial_indent="-- ", subsequent_indent="--     ",
                         break_on_hyphens=False, break_long_words=False)


def report_days(frame: "pd.DataFrame") -> str:
    """``report days 2026-11-25 to 2026-11-26``: the days the answer counted (its ``days_from``
    and ``days_to`` columns, which end on the newest reported day), or "" when it does not say."""
    if not len(frame) or "days_from" not in frame.columns or "days_to" not in frame.columns:
        return ""
    windows = sorted({(format_cell(a), format_cell(b)) for a, b in zip(frame["days_from"], frame["days_to"])})
    return "; ".join(f"report day {a}" if a == b else f"report days {a} to {b}" for a, b in windows)


def format_table(frame: "pd.DataFrame", max_rows: int = 200, max_cell: int = MAX_CELL,
                 width: Optional[int] = None) -> str:
    """A readable, aligned text table of ``frame`` (cells cut at ``max_cell`` characters).

    With ``width``, only the columns that fit in that many characters are shown (``fit_columns``)
    and a last line names the ones left out.
    """
    columns = [str(c) for c in frame.columns]
    rows = [[format_cell(v) for v in record]
            for record in frame.head(max_rows).itertuples(index=False, name=None)]
    rows = [[c if len(c) <= max_cell else c[:max_cell - 1] + "…" for c in row] for row in rows]
    widths = [max([len(name)] + [len(r[i]) for r in rows]) for i, name in enumerate(columns)]
    numeric = [str(frame[c].dtype).lower().startswith(("int", "float", "uint")) for c in frame.columns]
    shown = list(range(len(columns))) if width is None else fit_columns(columns, widths, width)

    def line(values: Sequence[str]) -> str:
        return "  ".join(values[i].rjust(widths[i]) if numeric[i] else values[i].ljust(widths[i])
                         for i in shown).rstrip()

    out = [line(columns), "  ".join("-" * widths[i] for i in shown)]
    out.extend(line(r) for r in rows)
    if len(frame) > max_rows:
        out.append(f"... {len(frame) - max_rows} more row(s) (--format csv or json prints every row)")
    if not len(frame):
        out.append("(no rows)")
    left_out = [name for i, name in enumerate(columns) if i not in shown]
    if left_out:
        out.append(comment(f"{len(shown)} of {len(columns)} columns fit in {width} characters; not shown: "
                           f"{', '.join(left_out)} (choose with --columns NAME,...; --format csv or json "
                           "prints them all)", width))
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
