"""This process's Prometheus metrics at `GET /metrics`, answered before Django.

Each daphne process counts and serves its own (prometheus_client's default registry;
no files shared between processes): scrape every process at its own port. The
balancer does not pass /metrics on (deploy/haproxy.cfg.in): behind it, one scrape
would reach one process at random.

Access: a request carrying `Authorization: Bearer <METRICS_TOKEN>` (when the setting
is set), or one from an address in METRICS_ALLOWED_ADDRESSES (default: this machine
only). Anything else gets 401 (a token is configured) or 403.

Counted where things happen: frames, CallErrors and reply latency in
stations/ocpp/metrics.py, command outcomes in stations/commands/service.py. What is a
state rather than a count is read when scraped (`ProcessState`): the stations this
process holds, the depth of the log buffers, the frames the message log dropped in an
outage, and the Celery queues' lengths in the broker (0 when tasks run in-process).
"""

import asyncio
import functools
import hmac
import ipaddress
import logging

import redis
from django.conf import settings
from kombu.transport.redis import PRIORITY_STEPS, Channel
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from chargenet.celery import app as celery_app
from stations.services import connections
from stations.writers.message_log import message_log
from stations.writers.meter_writer import meter_values_pending

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
BROKER_TIMEOUT = 1.0  # seconds a scrape waits for the broker's queue lengths


def with_metrics(app):
    """`app`, with `GET /metrics` answered before Django sees it."""

    async def application(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == METRICS_PATH:
            await _answer(scope, send)
            return
        await app(scope, receive, send)

    return application


async def _answer(scope, send) -> None:
    headers = dict(scope.get("headers") or [])
    address = (scope.get("client") or ("",))[0] or ""
    status = metrics_access(headers.get(b"authorization", b"").decode("latin-1"), address)
    if status == 200 and scope.get("method") not in ("GET", "HEAD"):
        status = 405
    extra = []
    if status == 200:
        body = await asyncio.to_thread(generate_latest, REGISTRY)
        content_type = CONTENT_TYPE_LATEST.encode()
    else:
        body = {401: b"Bearer token required\n", 403: b"Forbidden\n"}.get(status, b"GET only\n")
        content_type = b"text/plain; charset=utf-8"
        if status == 401:
            extra.append((b"www-authenticate", b'Bearer realm="metrics"'))
        elif status == 405:
            extra.append((b"allow", b"GET, HEAD"))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"cache-control", b"no-store"),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def metrics_access(authorization: str, address: str) -> int:
    """200 when the request may read the metrics, else 401 or 403 (see the module)."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            return 200
    if _address_allowed(address, tuple(settings.METRICS_ALLOWED_ADDRESSES)):
        return 200
    return 401 if token else 403


def _address_allowed(address: str, allowed: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(allowed))


@functools.cache
def _networks(allowed: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


# --- what is read when scraped ------------------------------------------------------


class ProcessState(Collector):
    """Read at each scrape: held stations, log buffers and drops, Celery queues."""

    def collect(self):
        yield GaugeMetricFamily(
            "chargenet_stations_connected",
            "Stations whose OCPP socket this process holds.",
            value=connections.stations_held(),
        )
        buffers = GaugeMetricFamily(
            "chargenet_log_buffer_depth",
            "Items waiting in this process's write buffers: OCPP frames for the message "
            "log (with those held while the database is away), MeterValues messages for "
            "the meter writer.",
            labels=["writer"],
        )
        # Held frames too: during an outage they are what grows, not the batch.
        buffers.add_metric(["message_log"], message_log.waiting)
        buffers.add_metric(["meter_values"], meter_values_pending())
        yield buffers
        yield CounterMetricFamily(
            "chargenet_message_log_dropped",
            "OCPP frames the message log dropped, oldest first, while the database was "
            "away and more than OCPP_LOG_OUTAGE_BUFFER were held.",
            value=message_log.dropped,
        )
        lengths = celery_queue_lengths()
        if lengths is not None:
            queues = GaugeMetricFamily(
                "chargenet_celery_queue_length",
                "Tasks waiting in the Celery broker (Redis), per queue; 0 when tasks run "
                "in-process (embedded mode).",
                labels=["queue"],
            )
            for queue, length in sorted(lengths.items()):
                queues.add_metric([queue], length)
            yield queues


def celery_queues() -> list[str]:
    names = {celery_app.conf.task_default_queue}
    names.update(queue.name for queue in celery_app.conf.task_queues or ())
    return sorted(names)


def celery_queue_lengths() -> dict[str, int] | None:
    """Tasks waiting per queue (every priority list of Redis's transport); None when the
    broker does not answer (the metric is left out rather than the scrape failed)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        return dict.fromkeys(celery_queues(), 0)
    keys = {
        queue: [queue, *(f"{queue}{Channel.sep}{step}" for step in PRIORITY_STEPS if step)]
        for queue in celery_queues()
    }
    try:
        pipe = _broker().pipeline(transaction=False)
        for names in keys.values():
            for name in names:
                pipe.llen(name)
        sizes = iter(pipe.execute())
    except redis.RedisError:
        logger.warning("Celery queue lengths: the broker does not answer", exc_info=True)
        return None
    return {queue: sum(next(sizes) for _ in names) for queue, names in keys.items()}


@functools.cache
def _broker() -> redis.Redis:
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_timeout=BROKER_TIMEOUT,
        socket_connect_timeout=BROKER_TIMEOUT,
    )


REGISTRY.register(ProcessState())
