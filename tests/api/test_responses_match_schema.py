"""Published types are true: real responses of every list and detail endpoint under
/api/v1/ validate against the schema the API serves, and every money field is a decimal
string in both (a client generated from the schema must read what the API sends).
"""

import copy
import re
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator
from rest_framework.test import APIClient

from billing import services
from billing.balances import balance_top_up
from stations.models import ChargingProfile, Command, Reservation, Site
from tests.support.billing import (
    FRIDAY,
    assign,
    car_readings,
    car_tariff,
    driver,
    ebike_tariff,
    network,
    session,
    token_for,
)
from webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db
MONEY = re.compile(r"^-?\d+(\.\d+)?$")
MONEY_KEYS = {"net", "tax", "gross", "total", "amount", "cost", "unit_price"}
# Endpoints that carry money: their detail must be exercised, not only an empty list.
MONEY_ENDPOINTS = {
    "/api/v1/invoices/{id}/",
    "/api/v1/sessions/{id}/",
    "/api/v1/tariffs/{id}/",
    "/api/v1/reports/{id}/",
    "/api/v1/me/sessions/{id}/",
    "/api/v1/me/balance/",
}


def _nullable(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema (a null is allowed too)."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def world(media_root, eager_tasks, django_capture_on_commit_callbacks, api_client, operator):
    """A priced, invoiced and reported network, a driver with a balance, and one of
    everything else the API lists (command, reservation, profile, webhook)."""
    _, car, bike = network()
    assign(car_tariff(), station=car)
    assign(ebike_tariff(), station=bike)
    dora = driver()
    card = token_for(dora, "DORA")
    ended = session(car, FRIDAY, 180, 18_500, token=card, readings=car_readings())
    services.session_price(ended)
    session(car, FRIDAY + timedelta(days=1), 10, 100, token=card, ended=False, connector=2)
    balance_top_up(driver=dora, currency="EUR", amount=D("20.00"), note="Welcome")
    reset = Command.objects.create(
        station=car,
        action="reset",
        params={"type": "soft"},
        status="accepted",
        ocpp_action="Reset",
        response={"status": "Accepted"},
        requested_by=operator,
    )
    Reservation.objects.create(
        station=car,
        id_token=card,
        id_tag=card.value,
        expires_at=timezone.now() + timedelta(hours=1),
        status="accepted",
        command=reset,
    )
    ChargingProfile.objects.create(
        station=car,
        profile_id=1,
        purpose="tx_default",
        periods=[{"start_period": 0, "limit": 11000}],
        status="accepted",
    )
    hook = WebhookSubscription.objects.create(
        owner=operator, url="https://example.com/hook", secret="s" * 32, events=["session.priced"]
    )
    WebhookDelivery.objects.create(subscription=hook, kind="session.priced", body="{}")
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/v1/invoices/", {"session": ended.pk}).status_code == 201
        services.report_request(period_start=date(2025, 3, 1), period_end=date(2025, 3, 31))
    return dora


def _items(body):
    return body["results"] if isinstance(body, dict) and "results" in body else body


def _money_values(node, found):
    """Every value under a money key, anywhere in a response."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in MONEY_KEYS and not isinstance(value, (dict, list)):
                found.append((key, value))
            _money_values(value, found)
    elif isinstance(node, list):
        for item in node:
            _money_values(item, found)


def test_every_list_and_detail_response_validates_against_the_served_schema(
    schema, world, api_client
):
    document = _nullable(copy.deepcopy(schema))
    me = APIClient()
    me.force_authenticate(user=world)
    checked, money = set(), []

    window = {"start": "2025-03-01T00:00:00Z", "end": "2025-04-01T00:00:00Z"}
    site = Site.objects.first() or Site.objects.create(name="Uptime")
    queries = {  # what these reads need to answer at all
        "/api/v1/uptime/": {"site": site.pk, **window},
        "/api/v1/stations/{station_id}/uptime/": window,
    }

    def check(path: str, url: str) -> object:
        client = me if path.startswith("/api/v1/me/") else api_client
        response = client.get(url, queries.get(path, {}))
        assert response.status_code == 200, (url, response.content[:300])
        body = response.json()
        target = {**document, **content_schema(document, path)}
        errors = sorted(Draft202012Validator(target).iter_errors(body), key=str)
        assert not errors, f"{url}: {errors[0].message} at {list(errors[0].absolute_path)}"
        _money_values(body, money)
        checked.add(path)
        return body

    def content_schema(document, path):
        return document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]

    paths = [  # files (PDF, CSV, XLSX, diagnostics) have no JSON to validate
        p
        for p, ops in schema["paths"].items()
        if "application/json"
        in ops.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
    ]
    firsts = {}
    for path in (p for p in paths if "{" not in p):
        body = check(path, path)
        items = _items(body) if isinstance(body, (dict, list)) else []
        if isinstance(items, list) and items:
            firsts[path] = items[0]
    for path in (p for p in paths if "{" in p):
        name = re.search(r"\{(\w+)\}", path).group(1)
        parent = path[: path.index("{")]
        first = firsts.get(parent)
        assert first is not None, f"nothing listed at {parent} to read back"
        url = path.replace("{" + name + "}", str(first.get(name, first.get("id"))))
        check(path, url)

    assert checked == set(paths), set(paths) - checked  # every list and every detail
    assert checked >= MONEY_ENDPOINTS
    assert {key for key, _ in money} >= {"net", "tax", "gross", "total", "amount", "cost"}
    bad = [(key, value) for key, value in money if value is not None and not (
        isinstance(value, str) and MONEY.match(value)
    )]  # fmt: skip
    assert not bad, bad


def test_every_money_field_is_a_decimal_string_in_the_schema(schema):
    components = schema["components"]["schemas"]
    found = []
    for name, component in components.items():
        for field, spec in component.get("properties", {}).items():
            if field in MONEY_KEYS | {"balances"}:
                found.append((name, field, spec))
    assert {(name, field) for name, field, _ in found} >= {
        ("Invoice", "net"),
        ("Invoice", "tax"),
        ("Invoice", "gross"),
        ("InvoiceLine", "gross"),
        ("PriceLine", "amount"),
        ("PriceLine", "unit_price"),
    }
    for name, field, spec in found:
        spec = spec.get("additionalProperties", spec)
        assert (spec.get("type"), spec.get("format")) == ("string", "decimal"), (name, field)
        assert spec.get("pattern"), (name, field)
