"""Athena's SQL (Trino) rewritten for DuckDB with sqlglot, and the partition predicates a query implies.

``duckdb_compatible`` adjusts the parsed tree where DuckDB differs from Trino (a pinned clock,
exact percentiles, null-returning ``regexp_extract`` / ``split_part``, date arithmetic and
sequences, database qualifiers); ``partition_predicate`` is the part of a WHERE clause that only
uses a table's partition keys: what partition pruning evaluates.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any, List, Optional, Sequence


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


def duckdb_compatible(tree, today: dt.date, now: dt.datetime, database: Optional[str]):
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
        if (isinstance(node, exp.Table) and node.args.get("db") is not None and not node.args.get("catalog")
                and (database is None or node.text("db").lower() == database.lower())):
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


def cte_names(tree) -> set:
    from sqlglot import exp

    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _conjuncts(condition) -> List[Any]:
    from sqlglot import exp

    if isinstance(condition, exp.And):
        return _conjuncts(condition.this) + _conjuncts(condition.expression)
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    return [condition]


def partition_predicate(table_node, partition_keys: Sequence[str]):
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
