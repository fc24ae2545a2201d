"""ChargeNet calling a party: one HTTP request with the party's token (base64, as
OCPI 2.2.1 says), request ids, and the answer's envelope read.

Proxies from the environment are not used and redirects are not followed: the party
is reached at the URL it gave.
"""

import base64
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

from django.conf import settings


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


@dataclass
class Answer:
    status_code: int | None
    body: dict = field(default_factory=dict)
    error: str = ""
    duration_ms: int = 0

    @property
    def ocpi_status(self) -> int | None:
        code = self.body.get("status_code")
        return code if isinstance(code, int) else None

    @property
    def ok(self) -> bool:
        """A 2xx answer whose OCPI status is a success (1xxx)."""
        return (
            self.status_code is not None
            and 200 <= self.status_code < 300
            and self.ocpi_status is not None
            and 1000 <= self.ocpi_status < 2000
        )

    @property
    def data(self):
        return self.body.get("data")

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status_code}, OCPI {self.ocpi_status}: " + str(
            self.body.get("status_message", "")
        )


def encode_token(token: str) -> str:
    return base64.b64encode(token.encode()).decode("ascii")


def call(
    url: str,
    token: str,
    method: str = "GET",
    body: object = None,
    *,
    request_id: str | None = None,
) -> Answer:
    """One OCPI request; never raises for network or protocol trouble (see `error`)."""
    request_id = request_id or str(uuid.uuid4())
    headers = {
        "Authorization": f"Token {encode_token(token)}",
        "X-Request-ID": request_id,
        "X-Correlation-ID": request_id,
        "Accept": "application/json",
    }
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    status, raw, error = None, b"", ""
    try:
        with _opener.open(request, timeout=settings.OCPI_TIMEOUT) as response:
            status, raw = response.status, response.read(5_000_000)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(100_000)
        exc.close()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
    duration_ms = int((time.monotonic() - started) * 1000)
    parsed: dict = {}
    if raw:
        try:
            loaded = json.loads(raw)
            parsed = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            error = error or f"HTTP {status}: the answer is not JSON."
    if status is not None and not parsed and not error:
        error = f"HTTP {status}: the answer is not an OCPI envelope."
    return Answer(status, parsed, error[:500], duration_ms)
