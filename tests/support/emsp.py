"""An eMSP speaking OCPI 2.2.1 over real HTTP, for the roaming tests.

`Emsp` serves its own versions, version details and RECEIVER endpoints from a threaded
HTTP server on 127.0.0.1, records every request ChargeNet makes to it (`received`), and
calls ChargeNet (`get`, `post`, ...) with its token, base64-encoded as 2.2.1 says.
Its answers are envelopes; `down = True` makes it answer 503 to pushes.
"""

import base64
import json
import secrets
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODULES = ("credentials", "locations", "sessions", "cdrs", "tariffs", "tokens", "commands")


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: object


@dataclass
class Reply:
    status: int
    headers: dict
    body: dict

    @property
    def data(self):
        return self.body.get("data")


@dataclass
class Emsp:
    country_code: str = "DE"
    party_id: str = "EMS"
    token_b: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token: str = ""  # what it uses to call ChargeNet: token A, then C
    received: list[Received] = field(default_factory=list)
    down: bool = False
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def versions_url(self) -> str:
        return f"{self.base}/ocpi/versions"

    def credentials(self) -> dict:
        return {
            "token": self.token_b,
            "url": self.versions_url,
            "roles": [
                {
                    "role": "EMSP",
                    "business_details": {"name": "Test Mobility"},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }

    # Its server side -------------------------------------------------------------
    def start(self) -> "Emsp":
        emsp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, data=None, code: int = 1000) -> None:
                body = {
                    "status_code": code,
                    "status_message": "OK" if code == 1000 else "Error",
                    "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                if data is not None:
                    body["data"] = data
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                expected = "Token " + base64.b64encode(emsp.token_b.encode()).decode()
                if self.headers.get("Authorization") != expected:
                    self._answer(401, code=2000)
                    return
                if emsp.down and self.path.startswith("/ocpi/emsp/"):
                    self._answer(503, code=3000)  # nothing recorded: it never arrived
                    return
                emsp.received.append(
                    Received(self.command, self.path, dict(self.headers.items()), body)
                )
                if self.path == "/ocpi/versions":
                    self._answer(200, [{"version": "2.2.1", "url": f"{emsp.base}/ocpi/2.2.1"}])
                elif self.path == "/ocpi/2.2.1":
                    endpoints = [
                        {
                            "identifier": module,
                            "role": "RECEIVER" if module != "tokens" else "SENDER",
                            "url": f"{emsp.base}/ocpi/emsp/2.2.1/{module}",
                        }
                        for module in MODULES
                    ]
                    self._answer(200, {"version": "2.2.1", "endpoints": endpoints})
                else:
                    self._answer(200, emsp.answer_for(self.command, self.path, body))

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def answer_for(self, method: str, path: str, body):
        """What its RECEIVER endpoints answer (real-time authorisation included)."""
        path = path.split("?")[0]
        if path.endswith("/authorize"):
            uid = path.split("/")[-2]
            allowed = "ALLOWED" if uid.startswith("OK") else "NOT_ALLOWED"
            return {"allowed": allowed, "token": None, "authorization_reference": f"REF-{uid}"}
        return None

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def of(self, prefix: str, method: str | None = None) -> list[Received]:
        return [
            r
            for r in self.received
            if r.path.startswith(prefix) and (method is None or r.method == method)
        ]

    # Its client side -------------------------------------------------------------
    def call(self, method: str, url: str, body=None, *, plain: bool = False) -> Reply:
        token = self.token if plain else base64.b64encode(self.token.encode()).decode()
        headers = {"Authorization": f"Token {token}", "X-Request-ID": "req-1"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=30) as response:
                return Reply(response.status, dict(response.headers), json.loads(response.read()))
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return Reply(exc.code, dict(exc.headers), json.loads(raw) if raw else {})

    def get(self, url: str, **kwargs) -> Reply:
        return self.call("GET", url, **kwargs)


def token(uid: str, whitelist: str = "ALWAYS", valid: bool = True, **fields) -> dict:
    """An OCPI 2.2.1 Token object of the test eMSP (DE*EMS)."""
    return {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": uid,
        "type": "RFID",
        "contract_id": f"DE-EMS-C{uid[:20]}",
        "issuer": "Test Mobility",
        "valid": valid,
        "whitelist": whitelist,
        "last_updated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **fields,
    }
