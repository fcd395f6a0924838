"""AWS Config's ``SelectAggregateResourceConfig``, served on the emulator's port next to AWS Backup.

The wire protocol is the real one (botocore's ``config`` model): JSON 1.1, ``POST /`` with
``X-Amz-Target: StarlingDoveService.SelectAggregateResourceConfig``, a SigV4 credential scope
for the ``config`` service; the answer's ``Results`` are JSON documents in strings and
``QueryInfo.SelectFields`` names the selected properties. A client reaches it through
``AWS_ENDPOINT_URL_CONFIG_SERVICE`` (botocore's name for the service id "Config Service").

Semantics:

* Aggregators are names with the items loaded into them (``load``); an unknown name ->
  ``NoSuchConfigurationAggregatorException``.
* The expression is evaluated, for the subset the job sends and no more: ``SELECT`` of property
  paths (dots into nested objects), optional ``WHERE`` made of ``path = 'value'``,
  ``path IN ('a', 'b')``, ``AND``, ``OR`` and parentheses (a path through a list, such as
  ``tags.key``, matches when any element does). Anything else (``*``, ``COUNT``, ``GROUP BY``,
  ``ORDER BY``, ``LIKE``, ``BETWEEN``, ``NOT``, ...) is valid for AWS Config but not evaluated
  here: it fails loudly with ``InvalidExpressionException`` saying so, rather than answering
  wrongly.
* Pages: ``Limit`` (or ``MaxResults``) 1..100, 25 when absent or 0; above 100 ->
  ``InvalidLimitException``. Items come in a stable order (account, region, type, id);
  ``NextToken`` is an opaque, HMAC-signed cursor bound to the aggregator and expression (another
  one -> ``InvalidNextTokenException``).
* Faults (``set_faults``): ``denied`` -> ``AccessDeniedException``; ``throttle_next`` N requests
  and ``throttle_always`` -> ``ThrottlingException`` (botocore retries it).

Admin routes (under the Backup emulator's ``/_emulator/``): ``POST config/resources``
``{"aggregator", "items", "replace"}``, ``POST config/faults``, ``GET config/stats``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

TARGET_PREFIX = "StarlingDoveService."
OPERATION = "SelectAggregateResourceConfig"
DEFAULT_PAGE = 25
MAX_PAGE = 100
_AUTH_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request")
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),=*<>!])|(?P<word>[A-Za-z0-9_.:\-]+))")
_KEYWORDS = {"select", "where", "and", "or", "in"}
_NOT_EVALUATED = {"not", "like", "between", "group", "order", "by", "count", "sum", "min", "max", "avg",
                  "as", "distinct", "from", "having", "limit", "asc", "desc", "null", "is"}


class ConfigApiError(Exception):
    """An AWS Config error: HTTP status, error code (``__type``) and message."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status

    def body(self) -> bytes:
        return json.dumps({"__type": self.code, "message": self.message}).encode("utf-8")


def _unsupported(what: str) -> ConfigApiError:
    return ConfigApiError("InvalidExpressionException",
                          f"{what}: the local AWS Config emulator evaluates only SELECT <property paths> "
                          "[WHERE <path> = '<value>' | <path> IN ('<value>', ...), with AND, OR and "
                          "parentheses]; AWS Config accepts more, this emulator refuses it rather than "
                          "answer wrongly")


# --------------------------------------------------------------------------- the expression

def _tokens(text: str) -> List[Tuple[str, str]]:
    out: List[Tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _unsupported(f"unexpected text {text[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            value = value[1:-1].replace("''", "'")
        elif kind == "word" and value.lower() in _KEYWORDS | _NOT_EVALUATED:
            kind, value = "kw", value.lower()
        out.append((kind, value))
        pos = match.end()
    return out


class Query:
    """A parsed expression: the selected paths and the WHERE condition (a nested tuple)."""

    def __init__(self, text: str):
        self.text = text
        self._tokens = _tokens(text)
        self._i = 0
        self._expect("kw", "select")
        self.fields: List[str] = [self._path()]
        while self._accept("punct", ","):
            self.fields.append(self._path())
        self.condition: Any = None
        if self._accept("kw", "where"):
            self.condition = self._or()
        if self._i < len(self._tokens):
            raise _unsupported(f"{self._tokens[self._i][1]!r} after the {'WHERE' if self.condition else 'SELECT'} "
                               "clause")

    # -- parser
    def _peek(self) -> Tuple[str, str]:
        return self._tokens[self._i] if self._i < len(self._tokens) else ("end", "")

    def _accept(self, kind: str, value: Optional[str] = None) -> bool:
        k, v = self._peek()
        if k == kind and (value is None or v == value):
            self._i += 1
            return True
        return False

    def _expect(self, kind: str, value: Optional[str] = None) -> str:
        k, v = self._peek()
        if k != kind or (value is not None and v != value):
            found = v or "the end"
            if k == "kw" and v in _NOT_EVALUATED or (k == "punct" and v not in "(),="):
                raise _unsupported(f"{v.upper()!r}")
            raise ConfigApiError("InvalidExpressionException",
                                 f"Syntax error: expected {value or kind}, found {found!r} in {self.text!r}")
        self._i += 1
        return v

    def _path(self) -> str:
        k, v = self._peek()
        if k == "kw" or (k == "punct" and v == "*"):
            raise _unsupported(f"{v.upper()!r} in the SELECT list")
        return self._expect("word")

    def _or(self) -> Any:
        node = self._and()
        while self._accept("kw", "or"):
            node = ("or", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._factor()
        while self._accept("kw", "and"):
            node = ("and", node, self._factor())
        return node

    def _factor(self) -> Any:
        if self._accept("punct", "("):
            node = self._or()
            self._expect("punct", ")")
            return node
        path = self._path()
        if self._accept("punct", "="):
            return ("in", path, (self._expect("str"),))
        self._expect("kw", "in")
        self._expect("punct", "(")
        values = [self._expect("str")]
        while self._accept("punct", ","):
            values.append(self._expect("str"))
        self._expect("punct", ")")
        return ("in", path, tuple(values))

    # -- evaluation
    def matches(self, item: Mapping[str, Any]) -> bool:
        return self.condition is None or _holds(self.condition, item)

    def project(self, item: Mapping[str, Any]) -> Dict[str, Any]:
        """The selected properties of ``item``, nested as AWS Config returns them; absent ones left out."""
        out: Dict[str, Any] = {}
        for path in self.fields:
            found, value = _lookup(item, path.split("."))
            if not found:
                continue
            target = out
            keys = path.split(".")
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = value
        return out


def _lookup(value: Any, keys: Sequence[str]) -> Tuple[bool, Any]:
    for n, key in enumerate(keys):
        if isinstance(value, list):
            found = [v for ok, v in (_lookup(e, keys[n:]) for e in value) if ok]
            return bool(found), found
        if not isinstance(value, Mapping) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _holds(node: Any, item: Mapping[str, Any]) -> bool:
    op = node[0]
    if op == "and":
        return _holds(node[1], item) and _holds(node[2], item)
    if op == "or":
        return _holds(node[1], item) or _holds(node[2], item)
    found, value = _lookup(item, node[1].split("."))
    values = value if isinstance(value, list) else [value]
    return found and any(v is not None and str(v) in node[2] for v in values)


# --------------------------------------------------------------------------- the service

class ConfigService:
    """Aggregators and their items, faults and statistics; answers the API and the admin routes."""

    def __init__(self, secret: bytes):
        self._secret = secret
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.aggregators: Dict[str, List[Dict[str, Any]]] = {}
            self.faults: Dict[str, Any] = {"denied": False, "throttle_next": 0, "throttle_always": False}
            self.stats: Dict[str, Any] = {"requests": 0, "pages": 0, "results": 0, "throttled": 0, "denied": 0,
                                          "errors": 0, "expressions": [], "limits": []}

    def load(self, aggregator: str, items: Sequence[Mapping[str, Any]], replace: bool = False) -> int:
        """Add Config items (dicts shaped like configuration items) to ``aggregator`` (created if new)."""
        if not re.fullmatch(r"[\w-]{1,256}", aggregator or ""):
            raise ValueError(f"not an aggregator name: {aggregator!r}")
        for item in items:
            if not isinstance(item, Mapping) or not item.get("resourceType") or not item.get("resourceId"):
                raise ValueError("a Config item needs resourceType and resourceId")
        key = lambda i: (str(i.get("accountId")), str(i.get("awsRegion")), str(i["resourceType"]),  # noqa: E731
                         str(i["resourceId"]))
        with self._lock:
            current = [] if replace else self.aggregators.get(aggregator, [])
            merged = {key(i): dict(i) for i in current}
            merged.update({key(i): dict(i) for i in items})
            self.aggregators[aggregator] = [merged[k] for k in sorted(merged)]
            return len(self.aggregators[aggregator])

    def set_faults(self, denied: bool = False, throttle_next: int = 0, throttle_always: bool = False) -> Dict:
        with self._lock:
            self.faults = {"denied": bool(denied), "throttle_next": int(throttle_next),
                           "throttle_always": bool(throttle_always)}
            return dict(self.faults)

    # -- the API
    def handle(self, target: str, headers: Mapping[str, str], body: bytes) -> Tuple[int, bytes]:
        """One API request: (HTTP status, JSON body)."""
        try:
            if target != TARGET_PREFIX + OPERATION:
                raise ConfigApiError("UnknownOperationException",
                                     f"the local AWS Config emulator serves only {OPERATION}, not {target}")
            auth = _AUTH_RE.search(headers.get("Authorization") or "")
            if auth is None:
                raise ConfigApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            if auth.group(4) != "config":
                raise ConfigApiError("InvalidSignatureException",
                                     "Credential should be scoped to correct service: 'config'.", 403)
            with self._lock:
                self.stats["requests"] += 1
            request = json.loads(body.decode("utf-8") or "{}")
            status, out = 200, self._select(request)
        except ConfigApiError as error:
            with self._lock:
                self.stats["errors"] += 1
                if error.code == "ThrottlingException":
                    self.stats["throttled"] += 1
                elif error.code == "AccessDeniedException":
                    self.stats["denied"] += 1
            return error.status, error.body()
        except ValueError as error:
            return 400, ConfigApiError("SerializationException", str(error)).body()
        return status, json.dumps(out).encode("utf-8")

    def _fault(self, aggregator: str) -> None:
        with self._lock:
            faults = self.faults
            if faults["denied"]:
                raise ConfigApiError("AccessDeniedException",
                                     "User: arn:aws:sts::123456789012:assumed-role/BackupReportRead/emulator is not "
                                     "authorized to perform: config:SelectAggregateResourceConfig on resource: "
                                     f"config-aggregator {aggregator}")
            if faults["throttle_always"] or faults["throttle_next"] > 0:
                faults["throttle_next"] = max(0, faults["throttle_next"] - 1)
                raise ConfigApiError("ThrottlingException", "Rate exceeded")

    def _select(self, request: Mapping[str, Any]) -> Dict[str, Any]:
        aggregator = request.get("ConfigurationAggregatorName")
        text = request.get("Expression")
        if not isinstance(aggregator, str) or not isinstance(text, str):
            raise ConfigApiError("ValidationException",
                                 "ConfigurationAggregatorName and Expression are required")
        self._fault(aggregator)
        limit = request.get("Limit") or request.get("MaxResults") or 0
        if not isinstance(limit, int) or limit < 0 or limit > MAX_PAGE:
            raise ConfigApiError("InvalidLimitException", f"Limit must be between 0 and {MAX_PAGE}, not {limit}")
        query = Query(text)
        with self._lock:
            self.stats["expressions"].append(text)
            self.stats["limits"].append(limit)
            items = self.aggregators.get(aggregator)
        if items is None:
            raise ConfigApiError("NoSuchConfigurationAggregatorException",
                                 f"The configuration aggregator {aggregator} does not exist. Check the "
                                 "configuration aggregator name and try again.")
        scope = hashlib.sha256(f"{aggregator}\n{text}".encode("utf-8")).hexdigest()[:16]
        start = self._cursor(request.get("NextToken"), scope)
        matching = [i for i in items if query.matches(i)]
        page = matching[start:start + (limit or DEFAULT_PAGE)]
        out: Dict[str, Any] = {"Results": [json.dumps(query.project(i), separators=(",", ":")) for i in page],
                               "QueryInfo": {"SelectFields": [{"Name": f} for f in query.fields]}}
        end = start + len(page)
        if end < len(matching):
            out["NextToken"] = self._token(end, scope)
        with self._lock:
            self.stats["pages"] += 1
            self.stats["results"] += len(page)
        return out

    def _token(self, offset: int, scope: str) -> str:
        payload = f"{offset}:{scope}".encode("ascii")
        mac = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()[:24]
        return base64.urlsafe_b64encode(payload + b":" + mac.encode("ascii")).decode("ascii")

    def _cursor(self, token: Any, scope: str) -> int:
        if token in (None, ""):
            return 0
        try:
            offset, token_scope, mac = base64.urlsafe_b64decode(str(token).encode("ascii")).decode("ascii").split(":")
            good = hmac.new(self._secret, f"{offset}:{token_scope}".encode("ascii"), hashlib.sha256).hexdigest()[:24]
            if hmac.compare_digest(good, mac) and token_scope == scope:
                return int(offset)
        except (ValueError, UnicodeDecodeError):
            pass
        raise ConfigApiError("InvalidNextTokenException",
                             "The specified next token is invalid. Specify the nextToken string that was "
                             "returned in the previous response to get the next page of results.")

    # -- admin
    def handle_admin(self, method: str, route: str, data: Any) -> Tuple[int, Any]:
        if method == "GET" and route == "stats":
            with self._lock:
                return 200, json.loads(json.dumps(self.stats))
        if method == "POST" and route == "resources":
            total = self.load(data["aggregator"], data.get("items", []), bool(data.get("replace", False)))
            return 200, {"total": total}
        if method == "POST" and route == "faults":
            return 200, self.set_faults(**data)
        return 404, {"error": f"no admin route {method} config/{route}"}
