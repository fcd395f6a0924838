"""The saved queries of ``sql/``: find one, read its header, set its parameters, run it on Athena.

A saved query is one ``.sql`` file whose leading comment block says what it answers
(``-- Question:``, ``-- Audience:``, ...). A literal followed by a tag comment is a
parameter: ``interval '30' /* :days */ day`` is parameter ``days``, default 30. The
``-- Parameters:`` line gives each one's allowed range (``days = 30 (1..3650; ...)``), and
the question tags the values it mentions the same way (``the last 30 /* :days */ days``), so
that the question read back (``SavedQuery.describe``) says what a run with other values did.
``render_sql`` sets parameters and pins ``current_date`` to a day; the same text then
runs on Athena (``run_on_athena``) or on the local engine (``backup_report.local.athena``).

Only the standard library is needed to render a query: the few lexical rules that matter
here (string literals, quoted identifiers, comments) are read by ``tokens``.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Tuple,
    Union,
)

from .errors import AthenaQueryFailed, NoSuchQuery, ParameterError, QueryError
from .resources import sql_dir

if TYPE_CHECKING:  # pragma: no cover
    import boto3
    import pandas as pd

_HEADER_FIELD = re.compile(r"^--\s?([A-Za-z][A-Za-z ]*?):\s*(.*)$")
_TAG_AFTER = re.compile(r"\s*/\*\s*:([a-z_][a-z0-9_]*)\s*\*/")
_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WORD = re.compile(r"[^\W\d]\w*")
_NUMERIC_PREFIX = re.compile(r"^\d+_")
_TAGGED_WORD = re.compile(r"(\S+)\s*/\*\s*:([a-z_][a-z0-9_]*)\s*\*/")
_ONE_DAYS = re.compile(r"\b1 days\b")


@dataclass(frozen=True)
class Parameter:
    """A tagged literal of a saved query: ``'30' /* :days */`` is parameter ``days``, default 30."""

    name: str
    default: str
    quoted: bool  # a string literal ('30') rather than a number (30)
    minimum: Optional[int] = None  # the range the query's header declares (``days = 30 (1..3650; ...)``)
    maximum: Optional[int] = None


@dataclass(frozen=True)
class SavedQuery:
    """One ``sql/*.sql`` file and what its header comment says about it."""

    name: str
    path: Path
    text: str
    header: Mapping[str, str]

    @property
    def short_name(self) -> str:
        """The name without its numeric prefix: ``failed_backup_jobs``."""
        return _NUMERIC_PREFIX.sub("", self.name)

    @property
    def question(self) -> str:
        """The question, with the parameters' defaults."""
        return self.describe()

    def describe(self, params: Optional[Mapping[str, str]] = None) -> str:
        """The question as a run with ``params`` answers it: "... in the last 14 days ..."."""
        return describe_question(self.header.get("question", ""), params)

    @property
    def audience(self) -> str:
        return self.header.get("audience", "")

    @property
    def parameters(self) -> Dict[str, Parameter]:
        return query_parameters(self.text)


# --------------------------------------------------------------------------- the catalogue

def parse_header(text: str) -> Dict[str, str]:
    """``-- Key: value`` lines of the leading comment block (continuation lines appended)."""
    fields: Dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        match = _HEADER_FIELD.match(stripped)
        if match:
            current = match.group(1).strip().lower()
            fields[current] = match.group(2).strip()
        elif current:
            more = stripped[2:].strip()
            if more:
                fields[current] = (fields[current] + " " + more).strip()
    return fields


def load_query(path: Union[str, Path]) -> SavedQuery:
    """The saved query in file ``path``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    return SavedQuery(name=path.stem, path=path, text=text, header=parse_header(text))


def list_queries(directory: Optional[Union[str, Path]] = None) -> List[SavedQuery]:
    """Every saved query of ``directory`` (default: ``resources.sql_dir()``), by file name."""
    folder = Path(directory) if directory else sql_dir()
    return [load_query(p) for p in sorted(folder.glob("*.sql"))]


def find_query(name_or_file: str, directory: Optional[Union[str, Path]] = None) -> SavedQuery:
    """A saved query by path, by file name (with or without ``.sql``) or by its name
    without the numeric prefix (``failed_backup_jobs`` finds ``01_failed_backup_jobs.sql``)."""
    candidate = Path(name_or_file)
    if candidate.suffix == ".sql" and candidate.is_file():
        return load_query(candidate)
    queries = list_queries(directory)
    wanted = name_or_file[:-4] if name_or_file.endswith(".sql") else name_or_file
    for query in queries:
        if wanted in (query.name, query.short_name):
            return query
    names = ", ".join(q.short_name for q in queries) or "(none found)"
    raise NoSuchQuery(f"No saved query {name_or_file!r} in {directory or sql_dir()}: "
                      f"pass a .sql file or one of: {names}")


# --------------------------------------------------------------------------- the text

class Token(NamedTuple):
    """A lexical token of SQL text: ``kind`` is string, number, word, identifier or symbol;
    ``text[start:end]`` is the token as written; ``value`` a string's content."""

    kind: str
    start: int
    end: int
    value: str


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text`` (comments and white space skipped), by Trino's lexical rules."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise QueryError(f"Cannot read the SQL text: a /* comment is never closed (line "
                                 f"{text.count(chr(10), 0, i) + 1})")
            i = end + 2
        elif ch in "'\"`":
            j = i + 1
            while True:
                j = text.find(ch, j)
                if j < 0:
                    what = "string literal" if ch == "'" else "quoted identifier"
                    raise QueryError(f"Cannot read the SQL text: a {what} is never closed (line "
                                     f"{text.count(chr(10), 0, i) + 1})")
                if text.startswith(ch * 2, j):  # a doubled quote is the quote itself
                    j += 2
                    continue
                break
            kind = "string" if ch == "'" else "identifier"
            yield Token(kind, i, j + 1, text[i + 1:j].replace(ch * 2, ch))
            i = j + 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            match = _NUMBER.match(text, i)
            assert match is not None
            yield Token("number", i, match.end(), match.group(0))
            i = match.end()
        else:
            word = _WORD.match(text, i)
            end = word.end() if word else i + 1
            yield Token("word" if word else "symbol", i, end, text[i:end])
            i = end


def _tagged(text: str) -> Iterator[Tuple[Token, str]]:
    """Each literal followed by a ``/* :name */`` tag, with the name."""
    for token in tokens(text):
        if token.kind in ("string", "number"):
            tag = _TAG_AFTER.match(text, token.end)
            if tag:
                yield token, tag.group(1)


def query_parameters(text: str) -> Dict[str, Parameter]:
    """The tagged literals of ``text``: a literal followed by ``/* :name */``, with the range
    the ``-- Parameters:`` header gives it (``name = default (low..high; ...)``)."""
    declared = parse_header(text).get("parameters", "")
    found: Dict[str, Parameter] = {}
    for token, name in _tagged(text):
        if name not in found:
            bounds = re.search(rf"\b{name}\s*=\s*\S+\s*\(\s*(-?\d+)\s*\.\.\s*(-?\d+)", declared)
            low, high = (int(bounds.group(1)), int(bounds.group(2))) if bounds else (None, None)
            found[name] = Parameter(name, token.value, token.kind == "string", low, high)
    return found


def describe_question(question: str, params: Optional[Mapping[str, str]] = None) -> str:
    """``question`` with each tagged value (``30 /* :days */``) set from ``params`` (else its
    default) and the tags removed."""
    params = params or {}
    text = _TAGGED_WORD.sub(lambda m: str(params.get(m.group(2), m.group(1))), question)
    return _ONE_DAYS.sub("1 day", text)


def _literal(param: Parameter, value: str) -> str:
    if re.fullmatch(r"-?\d+", param.default) and not re.fullmatch(r"-?\d+", value):
        raise ParameterError(f"--param {param.name}={value}: must be a whole number "
                             f"(like its default {param.default})")
    if re.fullmatch(r"-?\d+(\.\d+)?", param.default) and not re.fullmatch(r"-?\d+(\.\d+)?", value):
        raise ParameterError(f"--param {param.name}={value}: must be a number (like its default {param.default})")
    if param.minimum is not None and param.maximum is not None and \
            not param.minimum <= float(value) <= param.maximum:
        raise ParameterError(f"--param {param.name}={value} is out of range: {param.name} must be "
                             f"{param.minimum}..{param.maximum} (default {param.default})")
    return "'" + value.replace("'", "''") + "'" if param.quoted else value


def render_sql(text: str, params: Optional[Mapping[str, str]] = None, today: Optional[dt.date] = None) -> str:
    """``text`` with tagged parameters set and, when ``today`` is given, ``current_date``
    replaced by that date: the same text for Athena and for the local engine.

    Raises ParameterError for a parameter the query does not declare.
    """
    params = {k: str(v) for k, v in (params or {}).items()}
    declared = query_parameters(text)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        have = ", ".join(f"{p.name} (default {p.default})" for p in declared.values()) or "none"
        raise ParameterError(f"Unknown --param {', '.join(unknown)}: this query's parameters are: {have}")
    edits: List[Tuple[int, int, str]] = []
    if today is not None:
        edits += [(t.start, t.end, f"date '{today.isoformat()}'") for t in tokens(text)
                  if t.kind == "word" and t.value.lower() == "current_date"]
    edits += [(t.start, t.end, _literal(declared[name], params[name])) for t, name in _tagged(text)
              if name in params]  # the token's span includes a string's quotes
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def parse_params(pairs: Iterable[str]) -> Dict[str, str]:
    """``["days=7", "stale_days=3"]`` -> ``{"days": "7", ...}``."""
    out: Dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not _PARAM_NAME.match(name):
            raise ParameterError(f"--param {pair!r}: write it as name=value, e.g. --param days=7")
        out[name] = value.strip()
    return out


def parse_day(text: str) -> dt.date:
    """``2026-11-26`` as a date; ParameterError (naming --today) otherwise."""
    try:
        if not _DATE_TEXT.match(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"--today {text!r}: write the day as YYYY-MM-DD") from None


# --------------------------------------------------------------------------- Athena

def run_on_athena(sql: str, database: str, workgroup: str,
                  boto3_session: Optional["boto3.Session"] = None) -> "pd.DataFrame":
    """``sql`` on Athena, through awswrangler, in ``workgroup`` (its result location is set there).

    The frame's ``query_metadata`` is Athena's (see ``scanned_bytes``).
    """
    import awswrangler as wr

    from .aws import AWS_ERRORS, cause, named_error

    wrangler_errors = tuple(c for c in vars(wr.exceptions).values()
                            if isinstance(c, type) and issubclass(c, Exception))
    try:
        _check_workgroup(workgroup, boto3_session)
        return wr.athena.read_sql_query(sql, database=database, workgroup=workgroup, ctas_approach=False,
                                        boto3_session=boto3_session)
    except AthenaQueryFailed:
        raise
    except wrangler_errors as error:
        raise named_error(AthenaQueryFailed, f"Athena failed the query in workgroup {workgroup}, database {database}",
                          error) from error
    except AWS_ERRORS as error:
        raise named_error(AthenaQueryFailed,
                          f"Cannot run the query on Athena (workgroup {workgroup}, database {database})", error,
                          "check your AWS credentials and region, or pass --local to query the local copy") from error
    except Exception as error:  # whatever else the client library trips on: one line, never a traceback
        raise AthenaQueryFailed(f"Cannot read Athena's answer (workgroup {workgroup}, database {database}): "
                                f"{cause(error)}{_local_hint()}") from error


def _local_hint() -> str:
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    if not url:
        return ""
    return (f"; AWS_ENDPOINT_URL points at {url}, not at Athena: for the local AWS of `backup-report local up` "
            "add --local (its Athena does not run queries)")


def _check_workgroup(workgroup: str, boto3_session: Optional["boto3.Session"]) -> None:
    """AthenaQueryFailed unless ``workgroup`` exists. Athena refuses an unknown workgroup with
    InvalidRequestException; moto's Athena answers ``{"WorkGroup": null}`` instead, on which
    awswrangler fails with ``KeyError: 'WorkGroup'``: both end here, named."""
    import boto3
    from botocore.exceptions import ClientError

    from .aws import botocore_config, error_code

    session = boto3_session or boto3.Session()
    missing = (f"Athena workgroup {workgroup} does not exist in {session.region_name or 'the default region'}: "
               "deploy the reporting stack (it creates workgroup backup-report), or pass --workgroup")
    try:
        answer = session.client("athena", config=botocore_config()).get_work_group(WorkGroup=workgroup)
    except ClientError as error:
        if error_code(error) == "InvalidRequestException" and "not found" in str(error).lower():
            raise AthenaQueryFailed(missing + _local_hint()) from error
        raise
    if not answer.get("WorkGroup"):
        raise AthenaQueryFailed(missing + _local_hint())


def scanned_bytes(frame: "pd.DataFrame") -> Optional[int]:
    """The bytes Athena scanned for ``frame`` (what the query cost), when it says."""
    scanned = (getattr(frame, "query_metadata", None) or {}).get("Statistics", {}).get("DataScannedInBytes")
    return None if scanned is None else int(scanned)
