"""The emulator's one HTTP port: AWS Backup, AWS Config and the admin API, as a threaded server.

A request whose ``X-Amz-Target`` starts with ``StarlingDoveService.`` goes to AWS Config
(``config``); one under ``/_emulator/`` to the admin API; any other to AWS Backup
(``backup``). An emulator bug answers like AWS's 500 ``InternalFailure`` and the server
keeps serving.

Admin API (JSON, no signature), under ``/_emulator/``:

* ``POST /_emulator/reset``: forget jobs, faults, stats and AWS Config's items.
* ``POST /_emulator/jobs`` ``{"job_type": "backup"|"copy"|"restore"|"scan", "region": "...",
  "jobs": [API-shaped job dicts], "replace": false}``: upsert by job id (a job whose status
  changed replaces its old record); ``replace: true`` first empties that (type, region).
* ``POST /_emulator/generate``: an ``OrgSpec`` JSON (see ``synthetic``), or
  ``{"spec": {...}, "replace": false}``: generate in-process and load.
* ``POST /_emulator/settle`` ``{"seed": 0, "job_type": null, "region": null}``: move every
  non-final job to a final state (``synthetic.settle``).
* ``POST /_emulator/jobs/patch`` ``{"job_type": ..., "region": ..., "job_id": ..., "fields": {...}}``:
  AWS Backup's state moves on after a day left the window (a job finishing days later, a restore
  test's validation settling); a null field is removed. ``POST /_emulator/jobs/remove``
  ``{"job_type": ..., "region": ..., "job_ids": [...]}``: AWS Backup no longer lists them.
* ``POST /_emulator/summaries`` ``{"now": "2026-11-26T23:59:00Z" | null, "freeze": false}``: the
  clock of ``List*JobSummaries`` and whether its counts are frozen (``summaries``);
  ``GET /_emulator/summaries``.
* ``POST /_emulator/faults`` ``{"throttle_rate": 0.3, "throttle_regions": [...],
  "rate_limit_per_second": 20, "denied_regions": [...], "denied": [["eu-west-1",
  "ListCopyJobs"]], "seed": 1, "throttle_next": 0, "unavailable_rate": 0, "latency_seconds": 0,
  "cross_account_monitoring_off": false}`` (see ``faults``); ``GET /_emulator/faults``.
* ``GET /_emulator/stats`` (see ``stats``), ``POST /_emulator/stats/reset``, ``GET /_emulator/health``.
* ``/_emulator/config/...``: AWS Config's admin routes (see ``config``).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterable, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

from .. import synthetic
from .backup import BackupService
from .config import TARGET_PREFIX, ConfigService
from .stats import stats_to_json
from .wire import ApiError

ADMIN_PREFIX = "/_emulator/"


class BackupEmulator:
    """AWS Backup (``backup``) and AWS Config (``config``) in-process, served on one port
    (``start()`` / ``stop()``); the admin API's operations as methods."""

    def __init__(self, management_account_id: str = synthetic.DEFAULT_MANAGEMENT_ACCOUNT_ID,
                 host: str = "127.0.0.1", port: int = 0, seed: int = 0):
        if not re.fullmatch(r"\d{12}", str(management_account_id)):
            raise ValueError("management_account_id must be 12 digits")
        self.management_account_id = str(management_account_id)
        self.host = host
        self._port = int(port)
        secret = os.urandom(32)
        self.backup = BackupService(self.management_account_id, secret, int(seed))
        #: AWS Config's SelectAggregateResourceConfig, on the same port.
        self.config = ConfigService(secret)
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle
    def start(self) -> "BackupEmulator":
        if self._server is not None:
            return self
        server = _Server((self.host, self._port), _Handler)
        server.emulator = self
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"backup-emulator-{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> "BackupEmulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host = self.host if self.host not in ("0.0.0.0", "") else "127.0.0.1"
        return f"http://{host}:{self._port}"

    def env(self) -> Dict[str, str]:
        """The SDK settings that send AWS Backup and AWS Config calls here."""
        return {"AWS_ENDPOINT_URL_BACKUP": self.url, "AWS_ENDPOINT_URL_CONFIG_SERVICE": self.url}

    # -- the admin API's operations (``EmulatorClient`` has the same, over HTTP)
    def load_jobs(self, job_type: str, region: str, jobs: Iterable[Dict[str, Any]], replace: bool = False) -> int:
        """Upsert API-shaped jobs (by job id) into (job_type, region); ``replace`` empties it first."""
        return self.backup.jobs.load(job_type, region, jobs, replace)

    def generate(self, spec: Any, replace: bool = False) -> Dict[str, int]:
        """Generate an ``OrgSpec`` (object, dict or JSON) in-process and load it; counts by type/region."""
        return self.backup.jobs.generate(spec, replace)

    def settle(self, seed: int = 0, job_type: Optional[str] = None, region: Optional[str] = None) -> int:
        """Move every non-final job (of a type / region, or all) to a final state; returns how many."""
        return self.backup.jobs.settle(seed, job_type, region)

    def patch_job(self, job_type: str, region: str, job_id: str, fields: Dict[str, Any]) -> Dict[str, Any]:
        """Change fields of one job (None removes one): AWS Backup's state moving on. Returns the job."""
        return self.backup.jobs.patch(job_type, region, job_id, fields)

    def remove_jobs(self, job_type: str, region: str, job_ids: Iterable[str]) -> int:
        """Forget jobs: AWS Backup no longer lists (nor counts) them. Returns how many there were."""
        return self.backup.jobs.remove(job_type, region, job_ids)

    def set_summaries(self, now: Any = None, freeze: bool = False) -> Dict[str, Any]:
        """The clock of ``List*JobSummaries`` (None: none) and whether its counts are frozen now."""
        return self.backup.summaries.configure(None if now is None else str(now), freeze)

    def job_count(self, job_type: Optional[str] = None, region: Optional[str] = None) -> int:
        return self.backup.jobs.count(job_type, region)

    def set_faults(self, **faults: Any) -> Dict[str, Any]:
        """Replace AWS Backup's fault configuration (``faults.Faults``; none: no faults). Returns it."""
        return self.backup.set_faults(**faults)

    def faults(self) -> Dict[str, Any]:
        return self.backup.faults.current.to_dict()

    def stats(self) -> Dict[str, Any]:
        """AWS Backup's counters since the last reset (``stats``); tuple keys."""
        return self.backup.stats()

    def reset_stats(self) -> None:
        self.backup.counters.reset()

    def reset(self) -> None:
        """Forget every job, fault, statistic and AWS Config item."""
        self.backup.reset()
        self.config.reset()

    # -- the admin API over HTTP
    def handle_admin(self, method: str, path: str, body: bytes) -> Tuple[int, Any]:
        """One admin request: (HTTP status, JSON-able answer)."""
        route = path[len(ADMIN_PREFIX):].strip("/")
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError as e:
            return 400, {"error": f"request body is not JSON: {e}"}
        try:
            if route.startswith("config/"):
                return self.config.handle_admin(method, route[len("config/"):], data)
            route_handler = self._admin_routes().get((method, route))
            if route_handler is not None:
                return 200, route_handler(data)
        except (KeyError, TypeError, ValueError) as e:
            return 400, {"error": f"{type(e).__name__}: {e}"}
        return 404, {"error": f"no admin route {method} {path}"}

    def _admin_routes(self) -> Dict[Tuple[str, str], Callable[[Any], Any]]:
        return {
            ("GET", "health"): lambda _: {"ok": True, "management_account_id": self.management_account_id,
                                          "jobs": self.job_count()},
            ("GET", "stats"): lambda _: stats_to_json(self.stats()),
            ("GET", "faults"): lambda _: self.faults(),
            ("POST", "reset"): lambda _: _ok(self.reset),
            ("POST", "stats/reset"): lambda _: _ok(self.reset_stats),
            ("POST", "jobs"): self._admin_jobs,
            ("POST", "generate"): self._admin_generate,
            ("POST", "settle"): lambda data: {"settled": self.settle(int(data.get("seed", 0)), data.get("job_type"),
                                                                     data.get("region"))},
            ("POST", "faults"): lambda data: self.set_faults(**data),
            ("POST", "jobs/patch"): lambda data: {"job": self.patch_job(data["job_type"], data["region"],
                                                                        data["job_id"], data.get("fields") or {})},
            ("POST", "jobs/remove"): lambda data: {"removed": self.remove_jobs(data["job_type"], data["region"],
                                                                               data.get("job_ids") or [])},
            ("POST", "summaries"): lambda data: self.set_summaries(data.get("now"), bool(data.get("freeze"))),
            ("GET", "summaries"): lambda _: self.backup.summaries.settings(),
        }

    def _admin_jobs(self, data: Any) -> Dict[str, int]:
        n = self.load_jobs(data["job_type"], data["region"], data.get("jobs", []), bool(data.get("replace", False)))
        return {"loaded": n, "total": self.job_count(data["job_type"], data["region"])}

    def _admin_generate(self, data: Any) -> Dict[str, Any]:
        if not isinstance(data, dict):
            raise ValueError("the body must be an OrgSpec object or {\"spec\": ..., \"replace\": ...}")
        data = dict(data)
        replace = bool(data.pop("replace", False))
        counts = self.generate(data.get("spec", data), replace)
        return {"loaded": counts, "total": sum(counts.values())}


def _ok(action: Callable[[], None]) -> Dict[str, bool]:
    """Do ``action`` (an admin call that answers nothing but success)."""
    action()
    return {"ok": True}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulator: BackupEmulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Server"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, headers: Dict[str, str], body: bytes) -> None:
        self.send_response(status)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dispatch(self) -> None:
        body = self._read_body()
        parts = urlsplit(self.path)
        emu = self.server.emulator
        try:
            if parts.path.startswith(ADMIN_PREFIX) or parts.path.rstrip("/") == ADMIN_PREFIX.rstrip("/"):
                status, payload = emu.handle_admin(self.command, parts.path, body)
                self._send(status, {}, json.dumps(payload).encode("utf-8"))
                return
            target = self.headers.get("X-Amz-Target") or ""
            if target.startswith(TARGET_PREFIX):  # AWS Config (JSON 1.1), not AWS Backup
                status, out = emu.config.handle(target, dict(self.headers.items()), body)
                self._send(status, {}, out)
                return
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self._send(*emu.backup.handle(self.command, parts.path, query, self.headers))
        except Exception as e:  # an emulator bug: answer like AWS's 500, keep serving
            self._send(*ApiError(500, "InternalFailure", f"{type(e).__name__}: {e}", kind="Server").response())

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_HEAD = _dispatch
