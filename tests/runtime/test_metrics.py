"""Prometheus metrics at /metrics: what real OCPP frames count, and who may read them."""

import collections
import json
import os

import pytest
import redis
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.db import OperationalError
from ocpp.v16 import call as call16
from prometheus_client.parser import text_string_to_metric_families

from chargenet.asgi import application
from runtime import metrics
from stations.commands.service import send_command
from stations.models import ChargingStation
from stations.ocpp.metrics import ERROR_CODES, OcppMetrics
from stations.writers import message_log as log_module
from stations.writers.message_log import message_log
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import (
    basic_auth,
    communicator_for,
    connected_station,
    raw_exchange,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def scrape(
    *, client: str = "127.0.0.1", headers=(), method: str = "GET"
) -> tuple[int, dict, str]:
    scope = {
        "type": "http",
        "method": method,
        "path": "/metrics",
        "raw_path": b"/metrics",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": (client, 50000),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = await communicator.receive_output(10)
    return start["status"], dict(start["headers"]), body["body"].decode()


def samples(text: str) -> dict:
    """{(sample name, sorted labels): value} of an exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def values() -> dict:
    status, _, text = await scrape()
    assert status == 200
    return samples(text)


def delta(after: dict, before: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0) - before.get(key, 0)


def frames(direction, kind, action, version="1.6"):
    return {"direction": direction, "version": version, "type": kind, "action": action}


async def test_real_frames_are_counted_by_direction_type_action_and_error_code():
    await sync_to_async(make_station)("CP-1")
    before = await values()
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        await cp.call(call16.Heartbeat())
        held = await values()
    raw = communicator_for("/ocpp/CP-1", headers=[basic_auth("CP-1", STATION_PASSWORD)])
    assert (await raw.connect(timeout=10))[0]
    try:
        unknown = await raw_exchange(raw, [2, "u1", "NoSuchAction", {}])
        bad = await raw_exchange(raw, [2, "u2", "Heartbeat", {"extra": 1}])
        malformed = await raw_exchange(raw, "not json")
    finally:
        await raw.disconnect()
    assert unknown[2] == "NotImplemented" and bad[2] == "FormationViolation"
    assert malformed[2] == "FormationViolation"
    after = await values()

    name = "chargenet_ocpp_frames_total"
    assert delta(after, before, name, **frames("in", "call", "BootNotification")) == 1
    assert delta(after, before, name, **frames("out", "callresult", "BootNotification")) == 1
    assert delta(after, before, name, **frames("in", "call", "Heartbeat")) == 2
    assert delta(after, before, name, **frames("out", "callresult", "Heartbeat")) == 1
    # A station's own action name is not a label: it counts as "other".
    assert delta(after, before, name, **frames("in", "call", "other")) == 1
    assert delta(after, before, name, **frames("in", "malformed", "")) == 1
    errors = "chargenet_ocpp_call_errors_total"
    out = {"direction": "out", "version": "1.6"}
    assert delta(after, before, errors, code="NotImplemented", **out) == 1
    assert delta(after, before, errors, code="FormationViolation", **out) == 2

    count = "chargenet_ocpp_reply_seconds_count"
    assert delta(after, before, count, version="1.6", action="BootNotification") == 1
    assert delta(after, before, count, version="1.6", action="Heartbeat") == 2
    assert delta(after, before, count, version="1.6", action="other") == 1
    total = "chargenet_ocpp_reply_seconds_sum"
    assert 0 < delta(after, before, total, version="1.6", action="Heartbeat") < 5
    assert delta(after, before, "chargenet_ocpp_reply_seconds_bucket", version="1.6",
                 action="Heartbeat", le="+Inf") == 2  # fmt: skip

    # A gauge of the whole process: other tests in it may hold stations too.
    connected = ("chargenet_stations_connected", ())
    assert held[connected] - before.get(connected, 0) == 1
    assert after[connected] - before.get(connected, 0) == 0
    assert after[("chargenet_celery_queue_length", (("queue", "celery"),))] == 0  # eager


async def test_command_outcomes_are_counted_by_action_and_outcome():
    station = await sync_to_async(make_station)("CP-1")
    before = await values()
    command = await sync_to_async(send_command)(station, "reset", {"type": "soft"})
    assert command.status == "offline"
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        assert await ChargingStation.objects.filter(pk=station.pk, connected=True).aexists()
        command = await sync_to_async(send_command)(station, "reset", {"type": "hard"})
    assert command.status == "accepted"
    after = await values()
    name = "chargenet_commands_total"
    assert delta(after, before, name, action="reset", outcome="offline") == 1
    assert delta(after, before, name, action="reset", outcome="accepted") == 1
    out = frames("out", "call", "Reset")
    assert delta(after, before, "chargenet_ocpp_frames_total", **out) == 1
    answer = frames("in", "callresult", "Reset")
    assert delta(after, before, "chargenet_ocpp_frames_total", **answer) == 1


async def test_the_log_buffer_depth_is_the_frames_waiting_to_be_written(flushed_log):
    await flushed_log()
    station = await sync_to_async(make_station)("CP-1")
    for number in range(3):
        message_log.add(
            station_id=station.pk,
            direction="in",
            message_type=2,
            action="Heartbeat",
            unique_id=str(number),
            error_code="",
            payload='[2,"x","Heartbeat",{}]',
        )
    waiting = await values()
    await flushed_log()
    written = await values()
    key = ("chargenet_log_buffer_depth", (("writer", "message_log"),))
    assert waiting[key] == 3 and written[key] == 0
    assert written[("chargenet_log_buffer_depth", (("writer", "meter_values"),))] == 0


async def test_frames_held_and_dropped_in_an_outage_are_exported(
    flushed_log, settings, monkeypatch
):
    """The depth counts what an outage holds, not only the next batch; drops count up."""

    async def database_away(rows):
        raise OperationalError("connection failed: Connection refused")

    await flushed_log()
    station = await sync_to_async(make_station)("CP-1")
    settings.OCPP_LOG_OUTAGE_BUFFER = 2
    monkeypatch.setattr(log_module, "_insert", database_away)
    monkeypatch.setattr(log_module, "OUTAGE_RETRY", 3600)  # no retry within the test
    for name in ("held", "_outage_since", "_retry", "_retry_pause"):  # restored after
        monkeypatch.setattr(message_log, name, getattr(message_log, name))
    monkeypatch.setattr(message_log, "held", collections.deque())
    before = await values()
    for number in range(5):
        message_log.add(
            station_id=station.pk,
            direction="in",
            message_type=2,
            action="Heartbeat",
            unique_id=str(number),
            error_code="",
            payload="{}",
        )
    try:
        await message_log.flush()
        after = await values()
    finally:
        message_log._retry.cancel()
    assert after[("chargenet_log_buffer_depth", (("writer", "message_log"),))] == 2
    assert delta(after, before, "chargenet_message_log_dropped_total") == 3


@pytest.mark.parametrize("client", ["10.1.2.3", "192.168.0.9", "2001:db8::1"])
async def test_other_addresses_are_refused_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    status, headers, body = await scrape(client=client)
    assert status == 403 and "chargenet_" not in body


async def test_a_bearer_token_opens_the_endpoint_from_anywhere(settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    status, headers, _ = await scrape(client="10.1.2.3")
    assert status == 401 and headers[b"www-authenticate"].startswith(b"Bearer")
    wrong = [(b"authorization", b"Bearer not-the-token")]
    assert (await scrape(client="10.1.2.3", headers=wrong))[0] == 401
    right = [(b"authorization", b"Bearer s3cret-metrics-token")]
    status, headers, body = await scrape(client="10.1.2.3", headers=right)
    assert status == 200 and "chargenet_stations_connected" in body
    assert headers[b"content-type"].startswith(b"text/plain; version=")


async def test_allowed_networks_and_this_machine_need_no_token(settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1", "10.0.0.0/8"]
    assert (await scrape(client="10.200.0.1"))[0] == 200
    assert (await scrape(client="127.0.0.1"))[0] == 200
    assert (await scrape(client="11.0.0.1"))[0] == 403
    settings.METRICS_ALLOWED_ADDRESSES = []
    assert (await scrape(client="127.0.0.1"))[0] == 403


async def test_only_get_and_head_are_answered():
    assert (await scrape(method="POST"))[0] == 405
    status, _, body = await scrape(method="HEAD")
    assert status == 200 and body == ""


def test_station_chosen_labels_stay_bounded():
    counted = OcppMetrics("1.6", frozenset({"Heartbeat"}))
    for number in range(1000):
        counted.frame("in", 2, f"Invented{number}", "")
        counted.frame("in", 4, "Heartbeat", f"Code{number}")
    assert len(counted._frames) == 2
    assert "GenericError" in ERROR_CODES


def test_address_checks_take_networks_and_ipv4_mapped_addresses():
    allowed = ("127.0.0.1", "10.0.0.0/8")
    assert metrics._address_allowed("::ffff:10.1.1.1", allowed)
    assert not metrics._address_allowed("not an address", allowed)
    assert not metrics._address_allowed("", allowed)


@pytest.mark.server
def test_celery_queue_lengths_come_from_the_broker(settings, monkeypatch):
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = settings.CELERY_BROKER_URL = url
    # A queue of its own: the tests' Celery workers may share this Redis database.
    queue = f"metrics-test-{os.getpid()}"
    monkeypatch.setattr(metrics, "celery_queues", lambda: [queue])
    metrics._broker.cache_clear()
    client = redis.Redis.from_url(url)
    keys = [queue, f"{queue}\x06\x163", f"{queue}\x06\x169"]
    try:
        client.rpush(keys[0], json.dumps({"task": 1}), json.dumps({"task": 2}))
        client.rpush(keys[1], json.dumps({"task": 3}))
        client.rpush(keys[2], json.dumps({"task": 4}))
        assert metrics.celery_queue_lengths() == {queue: 4}
    finally:
        client.delete(*keys)
        metrics._broker.cache_clear()


def test_without_an_answering_broker_the_queue_lengths_are_left_out(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    metrics._broker.cache_clear()
    try:
        assert metrics.celery_queue_lengths() is None
        assert "chargenet_celery_queue_length" not in {
            family.name for family in metrics.ProcessState().collect()
        }
    finally:
        metrics._broker.cache_clear()
