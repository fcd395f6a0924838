"""Page parsing: the one module that touches botocore's parser internals (audit it on botocore upgrades).

A successful List*Jobs page is decoded with orjson (``jsoncodec``) and converted by
converters built from the operation's botocore model, rather than by botocore's shape
walker, with the very same result. The parser hooks the client's ``before-parse`` event,
hands botocore the page as its parsed result and swaps the body for ``{}``; botocore still
signs, retries and parses every error response. A page it cannot reproduce exactly is left
to botocore and counted (``page_counts``), so a botocore upgrade that turns the fast path
off shows in the run's summary rather than only in its duration.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
from typing import Any, Callable, Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Set, Tuple

from . import jsoncodec
from .aws import parse_api_timestamp

log = logging.getLogger(__name__)

Convert = Callable[[Any], Any]
#: A value's converter; None: the value stays as it is.
Converter = Optional[Convert]


class PageCounts(NamedTuple):
    """Pages parsed fast, and pages left to botocore (``fallback``), in this process."""

    fast: int
    fallback: int

    def since(self, earlier: "PageCounts") -> "PageCounts":
        """The pages counted after ``earlier`` was read."""
        return PageCounts(self.fast - earlier.fast, self.fallback - earlier.fallback)

    def plus(self, other: "PageCounts") -> "PageCounts":
        return PageCounts(self.fast + other.fast, self.fallback + other.fallback)


class _Counter:
    """Thread-safe page counts, and the operations already warned about."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.fast = self.fallback = 0
        self.warned: Set[str] = set()

    def counted(self, fast: bool, operation: str) -> bool:
        """Count a page; True when it is ``operation``'s first fallback in this process."""
        with self.lock:
            if fast:
                self.fast += 1
                return False
            self.fallback += 1
            if operation in self.warned:
                return False
            self.warned.add(operation)
            return True


_COUNTER = _Counter()
# A forked listing process counts its own pages from zero (the run adds them up), with a
# lock of its own: another thread of the parent may have held the parent's while it forked.
os.register_at_fork(after_in_child=_COUNTER.reset)


def page_counts() -> PageCounts:
    """The pages this process parsed fast, and those left to botocore, so far (a forked
    process starts from zero)."""
    with _COUNTER.lock:
        return PageCounts(_COUNTER.fast, _COUNTER.fallback)


class _Unsupported(Exception):
    """A response the fast parser cannot turn into exactly botocore's result: botocore parses it."""


def _boolean(value: Any) -> bool:
    if type(value) is bool:
        return value
    return value.lower() == "true" if isinstance(value, str) else False  # botocore's ensure_boolean


#: orjson decodes an integer beyond 64 bits as a float, of at least this size: botocore (json) parses those.
_BEYOND_64_BITS = float(2 ** 63)


def _integer(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is float and not -_BEYOND_64_BITS < value < _BEYOND_64_BITS:
        raise _Unsupported("an integer beyond 64 bits")
    return int(value)


def _float(value: Any) -> float:
    return value if type(value) is float else float(value)


class _Never:
    """No JSON value is of this type: a member checked against it is always converted."""


#: Scalar member types a structure converts in line: (the type a decoded value keeps, converter).
_SCALARS: Dict[str, Tuple[type, Convert]] = {
    "integer": (int, _integer), "long": (int, _integer), "float": (float, _float), "double": (float, _float),
    "boolean": (bool, _boolean)}


def _converter(shape: Any, timestamp: Convert, nulls: bool = True, within: FrozenSet[str] = frozenset()
               ) -> Converter:
    """What botocore's rest-json parser does to a JSON value of ``shape``; None: nothing.

    ``nulls=False``: for a body without any JSON null, so no null has to be looked for.
    Raises _Unsupported for the shapes whose handling is not reproduced here (renamed or
    non-body members, unions, documents, blobs, JSON-value strings, recursive structures);
    ``within``: the structures ``shape`` is a member of.
    """
    kind = shape.type_name
    if kind == "structure":
        return _structure(_members(shape, timestamp, nulls, within), timestamp, nulls)
    if kind == "list":
        return _list(_converter(shape.member, timestamp, nulls, within), nulls)
    if kind == "map":
        return _map(_converter(shape.key, timestamp, nulls, within), _converter(shape.value, timestamp, nulls, within))
    if kind == "timestamp":
        return timestamp
    if kind in _SCALARS:
        return _SCALARS[kind][1]
    if kind == "string" and not shape.serialization.get("jsonvalue"):
        return None
    raise _Unsupported(f"{shape.name} ({kind})")


def _members(shape: Any, timestamp: Convert, nulls: bool, within: FrozenSet[str]) -> Dict[str, Any]:
    """A structure's members: name -> scalar type name (converted in line), converter or None."""
    if shape.is_document_type or getattr(shape, "is_tagged_union", False) or shape.name in within:
        raise _Unsupported(shape.name)
    members: Dict[str, Any] = {}
    for name, member in shape.members.items():
        serialization = member.serialization
        if serialization.get("name", name) != name or serialization.get("location"):
            raise _Unsupported(f"{shape.name}.{name}")
        members[name] = (member.type_name if member.type_name in _SCALARS or member.type_name == "timestamp"
                         else _converter(member, timestamp, nulls, within | {shape.name}))
    return members


class _Groups(NamedTuple):
    """A structure's members to convert, by how they are checked."""

    #: timestamps
    stamps: Tuple[str, ...]
    #: (name, the type a value keeps as it is, converter): scalars, lists and maps, other structures
    checked: Tuple[Tuple[str, type, Convert], ...]
    #: (name, its modelled members, converter): structures of strings only (CreatedBy), left as
    #: they are when they hold only modelled (and non-null) members
    strings: Tuple[Tuple[str, FrozenSet[str], Convert], ...]


def _groups(members: Dict[str, Any]) -> _Groups:
    checked: List[Tuple[str, type, Convert]] = []
    strings: List[Tuple[str, FrozenSet[str], Convert]] = []
    for name, member in members.items():
        if member is None or member == "timestamp":
            continue
        if isinstance(member, str):
            checked.append((name, *_SCALARS[member]))
        elif getattr(member, "plain", None) is not None:
            strings.append((name, member.plain, member))
        else:
            checked.append((name, getattr(member, "unchanged", _Never), member))
    return _Groups(tuple(name for name, member in members.items() if member == "timestamp"),
                   tuple(checked), tuple(strings))


def _epoch(timestamp: Convert) -> Callable[[Any, Any], Any]:
    """``timestamp`` as ``(raw, utc)``: for the job's parser, what it does with epoch seconds
    (a string raises TypeError, and is then given to ``timestamp``)."""
    if timestamp is parse_api_timestamp:
        return dt.datetime.fromtimestamp

    def epoch(raw: Any, _utc: Any) -> Any:
        return timestamp(raw)
    return epoch


def _structure(members: Dict[str, Any], timestamp: Convert, nulls: bool) -> Convert:
    """A structure's converter; ``members``: name -> scalar type name, converter or None.

    The per-job hot path: a member is read only when it may need converting (reading a
    value is mostly a cache miss, a page's objects outgrow the caches), converted only when
    its decoded type is not already botocore's, and nulls are looked for only when the page
    holds one (``nulls``).
    """
    known = frozenset(members)
    stamps, checked, strings = _groups(members)
    epoch = _epoch(timestamp)

    # ``__class__``: a JSON value's type, read faster than type() calls it (Python 3.9)
    def convert(value: Any, _dict: type = dict, _utc: dt.tzinfo = dt.timezone.utc) -> Any:
        if value.__class__ is not _dict:
            raise _Unsupported("not an object")
        if not known.issuperset(value):  # botocore keeps only the modelled members
            value = {k: v for k, v in value.items() if k in known}
        get = value.get
        for name in stamps:
            raw = get(name)
            if raw is not None:
                try:
                    value[name] = epoch(raw, _utc)
                except TypeError:
                    value[name] = timestamp(raw)
        for name, keeps, member in checked:
            raw = get(name)
            if raw is not None and raw.__class__ is not keeps:
                value[name] = member(raw)
        for name, keys, member in strings:
            raw = get(name)
            if raw is not None and (raw.__class__ is not _dict or not keys.issuperset(raw)
                                    or (nulls and None in raw.values())):
                value[name] = member(raw)
        if nulls and None in value.values():  # botocore drops the members that are null
            value = {k: v for k, v in value.items() if v is not None}
        return value

    if all(member is None for member in members.values()):
        setattr(convert, "plain", known)  # noqa: B010 - a def has no typed attributes; read back with getattr
    return convert


def _list(item: Converter, nulls: bool) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not list:
            raise _Unsupported("not an array")
        if item is None:
            return value
        if nulls and None in value:  # botocore keeps null items
            return [None if v is None else item(v) for v in value]
        return list(map(item, value))
    if item is None:
        setattr(convert, "unchanged", list)  # noqa: B010 - a def has no typed attributes; the parent skips the call
    return convert


def _map(key: Converter, item: Converter) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise _Unsupported("not an object")
        if key is None and item is None:
            return value
        # botocore converts a null value too: int(None) fails (botocore then raises), a
        # boolean's is False, a structure's is null (``_structure`` leaves that to botocore)
        return {(k if key is None else key(k)): (v if item is None else item(v)) for k, v in value.items()}
    if key is None and item is None:
        setattr(convert, "unchanged", dict)  # noqa: B010 - a def has no typed attributes; the parent skips the call
    return convert


#: Finds a JSON null (or the word in a string): a page without is converted without looking
#: for nulls (a regular expression scans the bytes faster than ``in``).
_NULL = re.compile(rb"null")


class FastPageParser:
    """Parses the successful responses of ``operations`` with ``jsoncodec`` and the model.

    The result equals what botocore's rest-json parser gives with ``timestamp`` as its
    timestamp parser (``aws.parse_api_timestamp``, the job's): only modelled, non-null
    members, timestamps as UTC datetimes, numbers and booleans as botocore converts them.
    A page it cannot reproduce exactly, or of an operation whose converter could not be
    built, is left to botocore (counted as a fallback, with a warning the first time).
    """

    def __init__(self, service_model: Any, operations: Sequence[str], timestamp: Convert = parse_api_timestamp):
        self.operations = tuple(operations)
        #: operation -> (converter for a body with nulls, converter for a body without)
        self._converters: Dict[str, Tuple[Convert, Convert]] = {}
        #: operation -> why its pages are left to botocore
        self._unsupported: Dict[str, str] = {}
        for name in self.operations:
            output = service_model.operation_model(name).output_shape
            try:
                if output is None or "payload" in output.serialization:
                    raise _Unsupported("the output is not a JSON body")
                with_nulls = _converter(output, timestamp, True)
                without_nulls = _converter(output, timestamp, False)
                if with_nulls is None or without_nulls is None:
                    raise _Unsupported("no structure")
            except _Unsupported as why:
                log.debug("%s pages are parsed by botocore: %s", name, why)
                self._unsupported[name] = str(why)
                continue
            self._converters[name] = (with_nulls, without_nulls)

    def parse(self, operation: str, body: bytes) -> Optional[dict]:
        """The parsed page, or None when botocore must parse it (counted either way)."""
        try:
            with_nulls, without_nulls = self._converters[operation]
        except KeyError:
            return self._fallback(operation, self._unsupported.get(operation, "not an operation of this parser"))
        try:
            page = jsoncodec.loads(body)  # json.loads(body.decode("utf-8")), as botocore decodes it
            parsed = (with_nulls if _NULL.search(body) else without_nulls)(page)
        except (_Unsupported, ValueError, TypeError, AttributeError, OverflowError, OSError) as why:
            return self._fallback(operation, f"{type(why).__name__}: {why}")
        _COUNTER.counted(True, operation)
        return parsed

    @staticmethod
    def _fallback(operation: str, why: str) -> None:
        if _COUNTER.counted(False, operation):
            log.warning("%s: a page is parsed by botocore, not by the fast parser (slower, same rows): %s",
                        operation, why)
        return None

    def __call__(self, response_dict: dict, customized_response_dict: dict, operation_model: Any,
                 **_kwargs: Any) -> None:
        """The ``before-parse`` handler: the page becomes botocore's parsed result, the body ``{}``."""
        body = response_dict.get("body")
        if response_dict.get("status_code", 500) >= 300 or not isinstance(body, bytes) or not body:
            return
        parsed = self.parse(operation_model.name, body)
        if parsed is None:
            return
        customized_response_dict.update(parsed)
        response_dict["body"] = b"{}"


def install(client: Any, operations: Sequence[str]) -> FastPageParser:
    """Parse ``client``'s successful responses of ``operations`` (API names, e.g. ``ListBackupJobs``)
    with a ``FastPageParser``; an operation it cannot convert still counts its pages as fallbacks."""
    parser = FastPageParser(client.meta.service_model, operations)
    service = client.meta.service_model.service_id.hyphenize()
    for name in parser.operations:
        client.meta.events.register(f"before-parse.{service}.{name}", parser)
    return parser
