"""A stand-in for STS ``AssumeRole`` that enforces a trust policy (moto's STS trusts anyone).

It speaks STS's query protocol, so botocore cannot tell it from STS: a role that is
not trusted, or an ExternalId that does not match the role's ``sts:ExternalId``
condition, is refused with ``AccessDenied`` the way STS refuses it.
"""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional
from urllib.parse import parse_qs

NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class TrustingSts:
    """``trust`` maps a role ARN to the ExternalId it requires (None: no condition)."""

    def __init__(self, trust: Dict[str, Optional[str]]):
        self.trust = trust
        self.requests: List[Dict[str, str]] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()

    def _handler(self):
        sts = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                sts.requests.append(form)
                role = form.get("RoleArn", "")
                if form.get("Action") != "AssumeRole":
                    return self._send(400, _error("InvalidAction", "only AssumeRole is served"))
                if role not in sts.trust or sts.trust[role] != form.get("ExternalId"):
                    message = ("User: arn:aws:sts::123456789012:assumed-role/backup-report-job/x is not "
                               f"authorized to perform: sts:AssumeRole on resource: {role}")
                    return self._send(403, _error("AccessDenied", message))
                expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
                key = "ASIA" + uuid.uuid4().hex[:16].upper()
                self._send(200, f"""<AssumeRoleResponse xmlns="{NS}"><AssumeRoleResult>
<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{uuid.uuid4().hex}</SecretAccessKey>
<SessionToken>{uuid.uuid4().hex}</SessionToken><Expiration>{expires}</Expiration></Credentials>
<AssumedRoleUser><Arn>{role}/{form.get('RoleSessionName')}</Arn><AssumedRoleId>AROAEXAMPLE:{form.get('RoleSessionName')}</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></AssumeRoleResponse>""")

            def _send(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _error(code: str, message: str) -> str:
    return (f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
