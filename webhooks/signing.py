"""Signing: HMAC-SHA256 over "<timestamp>.<raw body>" with the subscription's secret.

Headers of every delivery:
  X-ChargeNet-Event: the event kind       X-ChargeNet-Delivery: the event id (UUID)
  X-ChargeNet-Timestamp: Unix seconds     X-ChargeNet-Signature: sha256=<hex digest>
A receiver recomputes the digest, compares in constant time and refuses old timestamps.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-ChargeNet-Signature"
TIMESTAMP_HEADER = "X-ChargeNet-Timestamp"
EVENT_HEADER = "X-ChargeNet-Event"
DELIVERY_HEADER = "X-ChargeNet-Delivery"
DEFAULT_TOLERANCE = 300  # seconds


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` at `timestamp`, within `tolerance` seconds of now."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    if age > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")


def headers(secret: str, body: bytes, *, kind: str, event_id: str, timestamp: int) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "ChargeNet-Webhooks/1",
        EVENT_HEADER: kind,
        DELIVERY_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
