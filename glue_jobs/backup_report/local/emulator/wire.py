"""AWS Backup's wire protocol for ``List{Backup,Copy,Restore,Scan}Jobs``: botocore's model, request validation, errors.

The querystring name of every parameter, its type, range, enum and pattern come from
botocore's service model (``get_service_model('backup')``), not from a hand-written list.
Every ``By*`` filter of the four operations is implemented; a filter botocore adds later
and this emulator does not know is listed in ``UNSUPPORTED_MEMBERS``.

* Querystring timestamps are ISO 8601 (botocore's form, ``2026-11-27T00:00:00Z`` or with
  fractional seconds; an offset or epoch seconds are accepted too); response timestamps are
  JSON numbers, epoch seconds.
* ``MaxResults`` outside the model's range, a ``ByState``/``ByStatus`` outside its enum, a
  value breaking the model's pattern or an unparsable timestamp -> HTTP 400
  ``InvalidParameterValueException``. Unknown parameters are ignored, as AWS does.
* Errors are rest-json: the code in the ``x-amzn-ErrorType`` header, a JSON body.
* Region: the one of the request's SigV4 credential scope (``Authorization:
  AWS4-HMAC-SHA256 Credential=AKID/20261127/eu-west-1/backup/aws4_request, ...`` or a
  presigned ``X-Amz-Credential``). Signatures are not verified (any secret works).
"""
from __future__ import annotations

import calendar
import json
import re
from datetime import date, datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Tuple

import botocore.session

from .. import synthetic

#: Filter members whose value is compared with one field of the job (dotted = nested).
FIELD_FILTERS = {
    "ByResourceArn": "ResourceArn",
    "ByState": "State",
    "ByStatus": "Status",
    "ByBackupVaultName": "BackupVaultName",
    "ByResourceType": "ResourceType",
    "ByParentJobId": "ParentJobId",
    "ByMessageCategory": "MessageCategory",
    "ByDestinationVaultArn": "DestinationBackupVaultArn",
    "BySourceRecoveryPointArn": "SourceRecoveryPointArn",
    "ByRestoreTestingPlanArn": "CreatedBy.RestoreTestingPlanArn",
    "ByScanResultStatus": "ScanResult.ScanResultStatus",
    "ByMalwareScanner": "MalwareScanner",
    "ByRecoveryPointArn": "RecoveryPointArn",
}
#: Filter members on a timestamp: (job field, comparison). Both directions are strict.
RANGE_FILTERS = {
    "ByCreatedAfter": ("CreationDate", ">"),
    "ByCreatedBefore": ("CreationDate", "<"),
    "ByCompleteAfter": ("CompletionDate", ">"),
    "ByCompleteBefore": ("CompletionDate", "<"),
}
SPECIAL_MEMBERS = ("NextToken", "MaxResults", "ByAccountId")


class _Param:
    __slots__ = ("member", "qs_name", "type_name", "enum", "pattern", "min", "max")

    def __init__(self, member: str, shape: Any):
        self.member = member
        self.qs_name = shape.serialization.get("name", member)
        self.type_name = shape.type_name
        self.enum = tuple(getattr(shape, "enum", None) or ())
        meta = shape.metadata
        self.pattern = re.compile(meta["pattern"]) if meta.get("pattern") else None
        self.min = meta.get("min")
        self.max = meta.get("max")


class OpSpec:
    """One List*Jobs operation, as botocore's model describes it."""

    def __init__(self, model: Any, job_type: str):
        self.job_type = job_type
        self.name = synthetic.OPERATION[job_type]
        op = model.operation_model(self.name)
        self.method = op.http["method"]
        self.path = op.http["requestUri"].split("?")[0]
        self.id_field = synthetic.ID_FIELD[job_type]
        self.status_field = synthetic.STATUS_FIELD[job_type]
        out = op.output_shape
        self.result_key = next(n for n, s in out.members.items() if s.type_name == "list")
        item = out.members[self.result_key].member
        self.timestamp_fields = tuple(n for n, s in item.members.items() if s.type_name == "timestamp")
        self.params: Dict[str, _Param] = {}
        self.by_member: Dict[str, _Param] = {}
        self.unsupported: List[str] = []
        for member, shape in op.input_shape.members.items():
            if shape.serialization.get("location") != "querystring":
                self.unsupported.append(member)
                continue
            p = _Param(member, shape)
            self.params[p.qs_name] = p
            self.by_member[member] = p
            if member not in FIELD_FILTERS and member not in RANGE_FILTERS and member not in SPECIAL_MEMBERS:
                self.unsupported.append(member)
        #: the field filters this operation has, in a fixed order (record layout)
        self.field_filters: Tuple[str, ...] = tuple(m for m in self.by_member if m in FIELD_FILTERS)
        self.field_index = {m: k for k, m in enumerate(self.field_filters)}
        self.filter_paths = tuple(tuple(FIELD_FILTERS[m].split(".")) for m in self.field_filters)
        self.category_index = self.field_index.get("ByMessageCategory")
        lim = self.by_member.get("MaxResults")
        self.max_min = int(lim.min) if lim is not None and lim.min is not None else 1
        self.max_max = int(lim.max) if lim is not None and lim.max is not None else 1000


def _load_ops() -> Dict[str, OpSpec]:
    model = botocore.session.get_session().get_service_model("backup")
    return {t: OpSpec(model, t) for t in synthetic.JOB_TYPES}


OPS: Dict[str, OpSpec] = _load_ops()
OPS_BY_NAME: Dict[str, OpSpec] = {o.name: o for o in OPS.values()}
OPS_BY_PATH: Dict[str, OpSpec] = {o.path.rstrip("/"): o for o in OPS.values()}
#: (operation, member) of querystring members this emulator does not implement (should be empty).
UNSUPPORTED_MEMBERS: Tuple[Tuple[str, str], ...] = tuple(
    (o.name, m) for o in OPS.values() for m in o.unsupported)


def op_name(text: str) -> str:
    """ListCopyJobs, list_copy_jobs or copy -> ListCopyJobs."""
    if text in OPS_BY_NAME:
        return text
    if text in OPS:
        return OPS[text].name
    camel = "".join(part.capitalize() for part in text.split("_"))
    if camel in OPS_BY_NAME:
        return camel
    raise ValueError(f"unknown operation {text!r}: one of {sorted(OPS_BY_NAME)}")


# --------------------------------------------------------------------------- time


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$")


def parse_timestamp_us(text: str) -> int:
    """An ISO 8601 timestamp (or epoch seconds) as integer microseconds since the epoch."""
    text = text.strip()
    m = _ISO_RE.match(text)
    if m:
        y, mo, d, h, mi, s, frac, tz = m.groups()
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
        us = calendar.timegm(dt.timetuple()) * 1_000_000
        if frac:
            us += int((frac + "000000")[:6])
        if tz and tz not in ("Z", "z"):
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            us -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * 1_000_000
        return us
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}") from None
    return int(round(value * 1_000_000))


def to_epoch(value: Any) -> float:
    """A timestamp given to load_jobs (epoch number, datetime, date, ISO text) as epoch seconds."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return (value - _EPOCH).total_seconds()
    if isinstance(value, date):
        return float(calendar.timegm(value.timetuple()))
    if isinstance(value, str):
        return parse_timestamp_us(value) / 1_000_000
    raise ValueError(f"not a timestamp: {value!r}")


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error response in AWS's rest-json form."""

    def __init__(self, status: int, code: str, message: str, kind: str = "User"):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.kind = kind

    def body(self) -> bytes:
        if self.code in ("InvalidParameterValueException", "ServiceUnavailableException",
                         "MissingParameterValueException", "ResourceNotFoundException"):
            payload: Dict[str, Any] = {"Code": self.code, "Message": self.message, "Type": self.kind}
        else:
            payload = {"message": self.message}
        return json.dumps(payload).encode("utf-8")

    def response(self) -> Tuple[int, Dict[str, str], bytes]:
        """(HTTP status, headers, body) of this error."""
        return self.status, {"x-amzn-ErrorType": self.code}, self.body()


def invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidParameterValueException", message)


# --------------------------------------------------------------------------- requests

_AUTH_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")


def credential_scope(headers: Any, query: Mapping[str, str]) -> Optional[Tuple[str, str, str, str]]:
    """(access key id, day, region, service) of the request's SigV4 scope, or None when unsigned."""
    auth = headers.get("Authorization") or query.get("X-Amz-Credential") or ""
    if "Credential=" not in auth and query.get("X-Amz-Credential"):
        auth = "Credential=" + query["X-Amz-Credential"]
    m = _AUTH_RE.search(auth)
    if m is None:
        return None
    akid, day, region, service = m.groups()
    return akid, day, region, service


def parse_query(op: OpSpec, query: Mapping[str, str]) -> Dict[str, Any]:
    """The request's parameters by member name, typed and checked against the model. Raises ApiError."""
    parsed: Dict[str, Any] = {}
    for qs_name, raw in query.items():
        p = op.params.get(qs_name)
        if p is None:
            continue  # unknown parameters are ignored, as AWS does
        if p.type_name == "integer":
            try:
                value: Any = int(raw)
            except ValueError:
                raise invalid(f"Invalid value for {p.member}: {raw!r} is not an integer.") from None
            if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
                raise invalid(f"Invalid value for {p.member}: {value}. It must be between "
                              f"{p.min} and {p.max}.")
        elif p.type_name == "timestamp":
            try:
                value = parse_timestamp_us(raw)
            except ValueError:
                raise invalid(f"Invalid value for {p.member}: {raw!r} is not a timestamp.") from None
        else:
            value = raw
            if p.member == "ByAccountId" and raw == "*":
                pass
            elif p.enum and raw not in p.enum:
                raise invalid(f"Invalid value for {p.member}: {raw!r}. Valid values: {', '.join(p.enum)}.")
            elif p.pattern is not None and not p.pattern.search(raw):
                raise invalid(f"Invalid value for {p.member}: {raw!r} does not match "
                              f"{p.pattern.pattern}.")
        parsed[p.member] = value
    return parsed


def page_body(op: OpSpec, items: List[bytes], next_token: Optional[str]) -> bytes:
    """A List*Jobs answer: the jobs' JSON (encoded at load) and the NextToken when more match."""
    body = b"".join((b'{"', op.result_key.encode("ascii"), b'":[', b",".join(items), b"]"))
    if next_token is not None:
        body += b',"NextToken":' + json.dumps(next_token).encode("ascii")
    return body + b"}"
