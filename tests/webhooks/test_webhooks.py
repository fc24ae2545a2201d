"""Webhooks: subscriptions over the API, signed deliveries to a local receiver, retries
with backoff, the delivery log, automatic disabling, and the domain events wired to them.

All traffic goes to a tiny HTTP server on 127.0.0.1 started by the test.
"""

import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from stations import events
from stations.commands.service import command_finish
from stations.models import Command
from stations.services import sessions
from tests.support.factories import make_station
from webhooks import delivery, dispatch, signing
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs: deliveries happen


@dataclass
class Received:
    path: str
    headers: object  # http.client.HTTPMessage: case-insensitive
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers, in order; then `default`
    default: int = 200


@contextlib.contextmanager
def receiver(*statuses: int, default: int = 200):
    state = Receiver(url="", statuses=list(statuses), default=default)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                state.requests.append(Received(self.path, self.headers, body))
                status = state.statuses.pop(0) if state.statuses else state.default
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def fast_retries(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_TIMEOUT = 2
    dispatch._forget()


def subscribe(url: str, events=("session.started",), **fields) -> WebhookSubscription:
    owner = get_user_model().objects.get_or_create(username="hooks", is_staff=True)[0]
    return WebhookSubscription.objects.create(owner=owner, url=url, events=list(events), **fields)


def check_signature(request, secret: str) -> None:
    timestamp = request.headers["X-ChargeNet-Timestamp"]
    signature = request.headers["X-ChargeNet-Signature"]
    assert signature.startswith("sha256=")
    assert signing.verify(secret, timestamp, request.body, signature)
    assert not signing.verify("another-secret", timestamp, request.body, signature)
    assert not signing.verify(secret, timestamp, request.body + b" ", signature)


# Signing


def test_signature_covers_timestamp_and_body():
    body = b'{"kind":"ping"}'
    header = signing.signature("s3cret", 1_700_000_000, body)
    assert header == signing.signature("s3cret", "1700000000", body)
    assert signing.verify("s3cret", "1700000000", body, header, now=1_700_000_100)
    assert not signing.verify("s3cret", "1700000001", body, header, now=1_700_000_100)
    # Replays outside the tolerance are refused; garbage timestamps too.
    assert not signing.verify("s3cret", "1700000000", body, header, now=1_700_000_000 + 301)
    assert not signing.verify("s3cret", "soon", body, header)


def test_backoff_is_exponential_and_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    assert [delivery.backoff(n) for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]


# Deliveries


def test_event_is_delivered_signed():
    station = make_station("CP-HOOK")
    with receiver() as hook:
        sub = subscribe(hook.url, events=["session.started", "session.ended"])
        events.publish("session.started", station.pk, {"session": 7, "state": "active"})
        events.publish("connector.status", station.pk, {"connector": 1})  # not subscribed
    assert len(hook.requests) == 1
    request = hook.requests[0]
    check_signature(request, sub.secret)
    assert request.headers["X-ChargeNet-Event"] == "session.started"
    payload = request.json()
    assert payload["kind"] == "session.started"
    assert payload["station_id"] == "CP-HOOK"
    assert payload["data"] == {"session": 7, "state": "active"}
    assert request.headers["X-ChargeNet-Delivery"] == payload["id"]
    (row,) = WebhookDelivery.objects.filter(subscription=sub)
    assert (row.status, row.attempts, row.last_status_code) == ("succeeded", 1, 200)
    (attempt,) = row.log.all()
    assert attempt.status_code == 200 and attempt.error == "" and attempt.duration_ms >= 0


def test_nothing_is_sent_when_the_transaction_rolls_back():
    from django.db import transaction

    station = make_station("CP-RB")
    with receiver() as hook:
        subscribe(hook.url)
        with contextlib.suppress(RuntimeError), transaction.atomic():
            events.publish("session.started", station.pk, {"session": 1})
            raise RuntimeError
    assert hook.requests == []
    assert not WebhookDelivery.objects.exists()


def test_failures_are_retried_until_success():
    station = make_station("CP-RETRY")
    with receiver(500, 503) as hook:
        sub = subscribe(hook.url)
        events.publish("session.started", station.pk, {"session": 1})
    assert len(hook.requests) == 3
    # Every attempt is signed afresh, for the same event id.
    assert len({r.headers["X-ChargeNet-Delivery"] for r in hook.requests}) == 1
    for request in hook.requests:
        check_signature(request, sub.secret)
    row = WebhookDelivery.objects.get(subscription=sub)
    assert (row.status, row.attempts) == ("succeeded", 3)
    assert [(a.attempt, a.status_code) for a in row.log.all()] == [(1, 500), (2, 503), (3, 200)]
    assert row.log.first().error.startswith("HTTP 500")
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0 and sub.active


def test_a_delivery_is_given_up_after_max_attempts(settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    station = make_station("CP-GIVEUP")
    with receiver(default=500) as hook:
        sub = subscribe(hook.url)
        events.publish("session.started", station.pk, {"session": 1})
    assert len(hook.requests) == 3
    row = WebhookDelivery.objects.get(subscription=sub)
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 3, 500)
    assert row.finished_at is not None and row.next_attempt_at is None


def test_unreachable_receiver_is_logged_without_status():
    with receiver() as hook:
        url = hook.url  # the port is closed once the receiver stops
    sub = subscribe(url)
    dispatch.enqueue("session.started", {"session": 1}, [sub.pk])
    row = WebhookDelivery.objects.get(subscription=sub)
    assert row.status == "failed" and row.last_status_code is None
    assert row.last_error
    assert all(a.status_code is None and a.error for a in row.log.all())


def test_redirects_are_not_followed():
    with receiver(default=302) as hook:
        sub = subscribe(hook.url)
        dispatch.enqueue("session.started", {"session": 1}, [sub.pk])
    row = WebhookDelivery.objects.get(subscription=sub)
    assert row.status == "failed" and row.last_status_code == 302


def test_subscription_is_disabled_after_repeated_failures(settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_DISABLE_AFTER = 3
    station = make_station("CP-DOWN")
    with receiver(default=500) as hook:
        sub = subscribe(hook.url)
        events.publish("session.started", station.pk, {"session": 1})  # 2 failures
        events.publish("session.started", station.pk, {"session": 2})  # 1 more: disabled
        events.publish("session.started", station.pk, {"session": 3})  # not queued
    assert len(hook.requests) == 3
    sub.refresh_from_db()
    assert not sub.active
    assert sub.consecutive_failures == 3
    assert sub.disabled_at is not None and "3 failed" in sub.disabled_reason
    assert WebhookDelivery.objects.filter(subscription=sub).count() == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}


def test_pending_retry_of_a_disabled_subscription_is_cancelled():
    with receiver() as hook:
        sub = subscribe(hook.url)
        row = WebhookDelivery.objects.create(subscription=sub, kind="session.started", body="{}")
        sub.active = False
        sub.save()
        delivery.attempt(row.pk)
    assert hook.requests == []
    row.refresh_from_db()
    assert row.status == "cancelled" and row.attempts == 0


# Domain events reach subscribers


def test_session_and_command_events_are_delivered():
    station = make_station("CP-EV")
    kinds = ["session.started", "session.ended", "command.finished", "connector.status"]
    with receiver() as hook:
        subscribe(hook.url, events=kinds)
        result = sessions.session_start(
            station_pk=station.pk,
            connector_id=1,
            id_tag="TAG-1",
            meter_start_wh=100,
            timestamp=timezone.now(),
        )
        command = Command.objects.create(station=station, action="reset", params={})
        command_finish(command_id=command.pk, status="accepted", response={})
        command_finish(command_id=command.pk, status="failed")  # once only
    received = [r.json() for r in hook.requests]
    started = [p for p in received if p["kind"] == "session.started"]
    assert len(started) == 1
    assert started[0]["data"]["session"] == result.session.pk
    assert started[0]["station_id"] == "CP-EV"
    finished = [p for p in received if p["kind"] == "command.finished"]
    assert len(finished) == 1
    assert finished[0]["station_id"] == "CP-EV"
    assert finished[0]["data"] == {"command": command.pk, "status": "accepted", "action": "reset"}


def test_no_query_is_made_per_event_without_subscribers(django_assert_num_queries):
    station = make_station("CP-QUIET")
    dispatch._active_subscriptions()  # warm the per-process cache
    with django_assert_num_queries(0):
        dispatch._dispatch("session.updated", {"session": 1}, station.pk)


# The API


@pytest.fixture
def client_for(db):
    def make(username="integrator", staff=True, superuser=False) -> APIClient:
        user = get_user_model().objects.create_user(
            username, password="pw-123456789", is_staff=staff, is_superuser=superuser
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client

    return make


def test_api_creates_a_subscription_with_a_secret(client_for):
    client = client_for()
    response = client.post(
        "/api/v1/webhooks/",
        {"url": "https://example.com/hook", "events": ["session.ended", "session.priced"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == "integrator" and body["active"] is True
    assert len(body["secret"]) == 64
    assert body["events"] == ["session.ended", "session.priced"]
    assert client.get("/api/v1/webhooks/").json()["results"][0]["id"] == body["id"]
    rotated = client.post(f"/api/v1/webhooks/{body['id']}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"]


@pytest.mark.parametrize(
    "payload, field_name",
    [
        ({"url": "ftp://example.com/x", "events": ["session.ended"]}, "url"),
        ({"url": "https://example.com/x", "events": ["session.exploded"]}, "events"),
        ({"url": "https://example.com/x", "events": []}, "events"),
    ],
)
def test_api_refuses_bad_subscriptions(client_for, payload, field_name):
    response = client_for().post("/api/v1/webhooks/", payload, format="json")
    assert response.status_code == 400
    assert field_name in response.json()["errors"]


def test_api_shows_operators_only_their_own_subscriptions(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    root = client_for("root", superuser=True)
    created = alice.post(
        "/api/v1/webhooks/",
        {"url": "https://example.com/a", "events": ["session.ended"]},
        format="json",
    ).json()
    assert bob.get("/api/v1/webhooks/").json()["count"] == 0
    assert bob.get(f"/api/v1/webhooks/{created['id']}/").status_code == 404
    assert root.get("/api/v1/webhooks/").json()["count"] == 1
    assert client_for("driver", staff=False).get("/api/v1/webhooks/").status_code == 403
    assert APIClient().get("/api/v1/webhooks/").status_code == 401


def test_api_ping_and_delivery_log(client_for):
    client = client_for()
    with receiver(500) as hook:
        created = client.post(
            "/api/v1/webhooks/", {"url": hook.url, "events": ["session.ended"]}, format="json"
        ).json()
        response = client.post(f"/api/v1/webhooks/{created['id']}/ping/")
    assert response.status_code == 202
    assert response.json()["kind"] == "ping"
    assert [r.json()["kind"] for r in hook.requests] == ["ping", "ping"]
    check_signature(hook.requests[0], created["secret"])
    log = client.get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()
    assert log["count"] == 1
    (entry,) = log["results"]
    assert entry["status"] == "succeeded" and entry["attempts"] == 2
    assert [a["status_code"] for a in entry["log"]] == [500, 200]


def test_api_reenables_a_disabled_subscription(client_for):
    client = client_for()
    created = client.post(
        "/api/v1/webhooks/",
        {"url": "https://example.com/a", "events": ["session.ended"]},
        format="json",
    ).json()
    WebhookSubscription.objects.filter(pk=created["id"]).update(
        active=False, consecutive_failures=15, disabled_reason="Disabled after 15 failed"
    )
    response = client.patch(f"/api/v1/webhooks/{created['id']}/", {"active": True}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["active"] is True and body["consecutive_failures"] == 0
    assert body["disabled_reason"] == ""
