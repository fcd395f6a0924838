"""JSON text in and out of the job's hot paths: orjson when installed, else the standard library.

orjson (a pin of the Glue job) decodes a ``List*Jobs`` page in about half the time of
``json`` and encodes the attention events' details several times faster. Both functions give
exactly what the standard library gives: what orjson refuses (NaN, lone surrogates, ...) or
would read otherwise (an integer beyond 64 bits becomes a float) goes to the standard library.
"""
from __future__ import annotations

import json
import re
from typing import Any

try:  # the job pins it (glue_jobs/requirements-glue.txt); the tools run without it too
    import orjson
except ImportError:  # pragma: no cover - exercised by a test that hides it
    orjson = None  # type: ignore[assignment]

#: 19 digits in a row: maybe an integer beyond 64 bits, which orjson reads as a float (json: an int).
#: Anywhere in the body (a string's digits too): such a page is decoded by ``json``, as before.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` without a new encoder per call.
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def loads(body: bytes) -> Any:
    """``json.loads(body.decode("utf-8"))``: the same value, or the same exception."""
    if orjson is not None and not _LONG_DIGITS.search(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # the standard library's verdict: a value it accepts, or its own error
    return json.loads(body.decode("utf-8"))


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII characters as they are: ``json.dumps(value, ensure_ascii=False,
    separators=(",", ":"))`` for dicts with string keys, lists, strings, integers, booleans and None
    (an event's detail; floats are not for this function: orjson writes ``1e16``, json ``1e+16``)."""
    if orjson is not None:
        try:
            return orjson.dumps(value).decode("utf-8")
        except TypeError:  # a type or value orjson does not write as json does (lone surrogate, big int)
            pass
    return _compact(value)
