"""jsoncodec: orjson's speed, the standard library's results (values and errors)."""
import json

import pytest

from backup_report import jsoncodec

_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

BODIES = [
    b'{"BackupJobs":[{"BackupJobId":"a","CreationDate":1795736585.634,"IsParent":false,'
    b'"BackupSizeInBytes":415780971,"CreatedBy":{"BackupPlanId":"p"},"StatusMessage":null}],"NextToken":"t"}',
    '{"m":"caf\u00e9 \u2028 \U0001f600 \\n \\u0000 \\ud83d\\ude00","n":-0,"f":-0.0,"e":1E-7}'.encode(),
    b'{"a":1,"a":2}',  # the last one wins, in both
    b'{"inf":1e400,"nan":NaN}',  # json's extensions
    b'{"lone":"\\ud800"}',  # a lone surrogate escape: json keeps it
    b'  [1, 2.5, "x"]  ',
    b'[18446744073709551615, -9223372036854775808, 9223372036854775808, "1234567890123456789012"]',
]
#: Floats near the edges of double precision, each with fewer than 19 digits in a row (orjson reads them).
FLOATS = (b'[0.1, 2.2250738585072011e-308, 1.7976931348623157e308, 5e-324, 4.9e-324, 9007199254740993, '
          b'0.30000000000000004, 1795736585.634, 1795736585.6349999, 1e22, 1e23, 8.41e21, 123456789.123456789, '
          b'0.30000000000000004441, 123456789.12345678901234567890, 1795736585.63400000000000000001]')
BAD_BODIES = [b'\xef\xbb\xbf{"a":1}', b'{"a":1', b'{"a":"\xff"}', b"", b'{"a":1} x']


@pytest.fixture(params=["orjson", "standard library"])
def codec(request, monkeypatch):
    if request.param == "orjson":
        assert jsoncodec.orjson is not None, "orjson is a pin of the job: it must be installed"
    else:
        monkeypatch.setattr(jsoncodec, "orjson", None)
    return jsoncodec


def _same(a, b) -> bool:
    """Equal values of the same types all the way down (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


@pytest.mark.parametrize("body", BODIES)
def test_loads_gives_what_json_gives(codec, body):
    assert _same(codec.loads(body), json.loads(body.decode("utf-8")))


def test_loads_reads_floats_as_json_does_with_orjson(monkeypatch):
    expected = json.loads(FLOATS.decode("utf-8"))
    monkeypatch.setattr(jsoncodec.json, "loads", None)  # orjson alone
    assert _same(jsoncodec.loads(FLOATS), expected)
    assert [repr(v) for v in jsoncodec.loads(FLOATS)] == [repr(v) for v in expected]


def test_loads_reads_an_integer_beyond_64_bits_as_the_nearest_float(codec):
    body = b'[18446744073709551616, -9223372036854775809, 123456789012345678901234567890]'
    exact = json.loads(body.decode("utf-8"))
    decoded = codec.loads(body)
    if codec.orjson is None:
        assert _same(decoded, exact)
    else:  # the documented difference (fastparse.FastPageParser leaves such pages to botocore)
        assert decoded == [float(n) for n in exact] and all(type(v) is float for v in decoded)


@pytest.mark.parametrize("body", BAD_BODIES)
def test_loads_raises_what_json_raises(codec, body):
    with pytest.raises(ValueError) as expected:
        json.loads(body.decode("utf-8"))
    with pytest.raises(type(expected.value)):
        codec.loads(body)


def test_dumps_writes_every_character_as_json_does(codec):
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    value = {"run_id": "jr_1", "part": 3, "ok": True, "none": None,
             "jobs": [{"status_message": text[i:i + 4096]} for i in range(0, len(text), 4096)]}
    assert codec.dumps(value) == _compact(value)


@pytest.mark.parametrize("value", [{"s": "lone \ud800 surrogate"}, {"n": 2 ** 70}, {1: "int key"}, []])
def test_dumps_falls_back_where_orjson_differs(codec, value):
    assert codec.dumps(value) == _compact(value)
