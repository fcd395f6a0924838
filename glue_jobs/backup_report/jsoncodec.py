"""JSON text in and out of the job's hot paths: orjson when installed, else the standard library.

orjson (a pin of the Glue job) decodes a ``List*Jobs`` page in about half the time of
``json`` and encodes the attention events' details several times faster. Both functions give
what the standard library gives, and what orjson refuses (NaN, lone surrogates, ...) goes to the
standard library, with one difference: an integer beyond 64 bits is decoded as the nearest float
(``fastparse.FastPageParser`` leaves a page with such a number to botocore).
"""
from __future__ import annotations

import json
from typing import Any

try:  # the job pins it (glue_jobs/requirements-glue.txt); the tools run without it too
    import orjson
except ImportError:  # pragma: no cover - exercised by a test that hides it
    orjson = None  # type: ignore[assignment]  # None: not installed; every use checks for it

#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` without a new encoder per call.
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def loads(body: bytes) -> Any:
    """``json.loads(body.decode("utf-8"))``: the same value (an integer beyond 64 bits: a float),
    or the same exception."""
    if orjson is not None:
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
