"""The operator's admin: every model's pages load, search, filter, act and stay cheap."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from stations.admin import RECENT_SESSIONS
from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    IdToken,
    MeterSample,
    OcppMessage,
    Site,
    StationEvent,
)
from tests.support.factories import STATION_PASSWORD, ChargingSessionFactory, make_station

pytestmark = pytest.mark.django_db

MODELS = [
    Site,
    ChargingStation,
    Connector,
    IdToken,
    ChargingSession,
    MeterSample,
    OcppMessage,
    StationEvent,
]
BOOT_FRAME = (
    '[2,"boot-1","BootNotification",{"chargePointVendor":"Alfen","chargePointModel":"Eve"}]'
)


@pytest.fixture
def network():
    """A small network with one of everything, the way stations report it."""
    site = Site.objects.create(name="Harbour Square")
    car = make_station("CP-CAR", site=site, vendor="Alfen", serial_number="SN-111", connected=True)
    bike = make_station(
        "CP-BIKE",
        connectors=3,
        kind="ebike",
        vendor="Weeyu",
        registration_status="pending",
    )
    driver = get_user_model().objects.create_user("dana", password=None)
    token = IdToken.objects.create(value="CARD-0001", owner=driver)
    now = timezone.now()
    active = ChargingSession.objects.create(
        station=car,
        connector=car.connectors.get(connector_id=1),
        id_token=token,
        id_tag=token.value,
        transaction_id="4711",
        started_at=now - timedelta(hours=1),
        energy_wh=12_345,
    )
    ended = ChargingSession.objects.create(
        station=bike,
        connector=bike.connectors.get(connector_id=2),
        id_tag="UNKNOWN-TAG",
        transaction_id="815",
        state=ChargingSession.State.ENDED,
        started_at=now - timedelta(days=1),
        ended_at=now - timedelta(hours=20),
        energy_wh=900,
    )
    sample = MeterSample.objects.create(
        station=car,
        connector_id=1,
        session=active,
        timestamp=now,
        measurand="Energy.Active.Import.Register",
        value=13_345,
        unit="Wh",
    )
    call = OcppMessage.objects.create(
        station=car,
        direction="in",
        message_type=2,
        action="BootNotification",
        unique_id="boot-1",
        payload=BOOT_FRAME,
    )
    error = OcppMessage.objects.create(
        station=bike,
        direction="out",
        message_type=4,
        action="Authorize",
        unique_id="auth-9",
        error_code="FormationViolation",
        payload='[4,"auth-9","FormationViolation","bad",{}]',
    )
    event = StationEvent.objects.create(
        station=car, kind="FirmwareStatus", status="Installed", data={"requestId": 7}
    )
    return {
        "site": site,
        "car": car,
        "bike": bike,
        "token": token,
        "active": active,
        "ended": ended,
        "sample": sample,
        "call": call,
        "error": error,
        "event": event,
    }


def changelist_url(model) -> str:
    return reverse(f"admin:stations_{model._meta.model_name}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:stations_{obj._meta.model_name}_change", args=[obj.pk])


def listed(response) -> set:
    return set(response.context["cl"].result_list)


def form_data(response) -> dict:
    """The POST a browser would send for the change form the response shows."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


# --- every page loads ---------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_loads_for_every_model(ops, network, model):
    response = ops.get(changelist_url(model))

    assert response.status_code == 200
    assert len(listed(response)) >= 1


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_page_loads_for_every_model(ops, network, model):
    obj = model.objects.first()

    response = ops.get(change_url(obj))

    assert response.status_code == 200


def test_station_add_page_loads(ops, network):
    assert ops.get(reverse("admin:stations_chargingstation_add")).status_code == 200


def test_staff_without_permissions_sees_no_station_pages(client, network):
    clerk = get_user_model().objects.create_user("clerk", password=None, is_staff=True)
    client.force_login(clerk)

    assert client.get(changelist_url(ChargingStation)).status_code == 403


# --- search and filters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        (ChargingStation, "CP-BIKE", "bike"),
        (ChargingStation, "weeyu", "bike"),
        (ChargingStation, "SN-111", "car"),
        (IdToken, "dana", "token"),
        (IdToken, "CARD-0001", "token"),
        (ChargingSession, "4711", "active"),
        (ChargingSession, "UNKNOWN-TAG", "ended"),
        (OcppMessage, "auth-9", "error"),
        (OcppMessage, "BootNotification", "call"),
        (MeterSample, "CP-CAR", "sample"),
        (StationEvent, "FirmwareStatus", "event"),
    ],
)
def test_search_finds_by_operator_words(ops, network, model, query, expected):
    response = ops.get(changelist_url(model), {"q": query})

    assert listed(response) == {network[expected]}


@pytest.mark.parametrize(
    ("model", "params", "expected"),
    [
        (ChargingStation, {"connected__exact": "1"}, {"car"}),
        (ChargingStation, {"registration_status__exact": "pending"}, {"bike"}),
        (ChargingStation, {"kind__exact": "ebike"}, {"bike"}),
        (ChargingStation, {"site__id__exact": "SITE"}, {"car"}),
        (ChargingSession, {"state__exact": "active"}, {"active"}),
        (ChargingSession, {"state__exact": "ended"}, {"ended"}),
        (OcppMessage, {"direction__exact": "in"}, {"call"}),
        (OcppMessage, {"message_type": "4"}, {"error"}),
        (OcppMessage, {"action": "Authorize"}, {"error"}),
        (StationEvent, {"kind": "FirmwareStatus"}, {"event"}),
    ],
)
def test_filters_narrow_the_list(ops, network, model, params, expected):
    params = {k: str(network["site"].pk) if v == "SITE" else v for k, v in params.items()}

    response = ops.get(changelist_url(model), params)

    assert response.status_code == 200
    assert listed(response) == {network[name] for name in expected}


def test_session_list_shows_energy_in_kwh_and_date_drilldown(ops, network):
    response = ops.get(changelist_url(ChargingSession))

    assert "12.345 kWh" in response.content.decode()
    assert response.context["cl"].date_hierarchy == "started_at"


# --- station password, write-only -------------------------------------------------------


def test_new_password_sets_a_station_hash(ops, network):
    car = network["car"]
    page = ops.get(change_url(car))
    data = form_data(page) | {"new_password": "a-brand-new-secret-42"}

    response = ops.post(change_url(car), data)

    assert response.status_code == 302, response.context["errors"]
    car.refresh_from_db()
    assert car.password.startswith("station_pbkdf2_sha256$")
    assert car.check_password("a-brand-new-secret-42")
    assert not car.check_password(STATION_PASSWORD)


def test_empty_new_password_keeps_the_current_one(ops, network):
    car = network["car"]
    data = form_data(ops.get(change_url(car))) | {"vendor": "Alfen NL"}

    response = ops.post(change_url(car), data)

    assert response.status_code == 302
    car.refresh_from_db()
    assert car.vendor == "Alfen NL"
    assert car.check_password(STATION_PASSWORD)


def test_too_short_password_is_refused(ops, network):
    car = network["car"]
    data = form_data(ops.get(change_url(car))) | {"new_password": "short"}

    response = ops.post(change_url(car), data)

    assert response.status_code == 200
    assert "new_password" in response.context["adminform"].form.errors
    car.refresh_from_db()
    assert car.check_password(STATION_PASSWORD)


def test_password_hash_is_never_rendered(ops, network):
    car = network["car"]

    page = ops.get(change_url(car)).content.decode()

    salt_and_hash = car.password.split("$", 2)[2]
    assert car.password not in page
    assert salt_and_hash.split("$")[0] not in page
    assert 'name="password"' not in page
    assert 'name="new_password"' in page


def test_station_created_in_admin_gets_its_password(ops, network):
    add_url = reverse("admin:stations_chargingstation_add")
    data = form_data(ops.get(add_url)) | {
        "station_id": "CP-NEW",
        "kind": "car",
        "registration_status": "accepted",
        "new_password": "sixteen-chars-ok",
    }

    response = ops.post(add_url, data)

    assert response.status_code == 302, response.context["errors"]
    assert ChargingStation.objects.get(station_id="CP-NEW").check_password("sixteen-chars-ok")


# --- actions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status"),
    [("accept_registration", "accepted"), ("reject_registration", "rejected")],
)
def test_registration_actions_set_the_status(ops, network, action, status):
    stations = [network["car"], network["bike"]]

    response = ops.post(
        changelist_url(ChargingStation),
        {"action": action, "_selected_action": [s.pk for s in stations]},
    )

    assert response.status_code == 302
    assert set(ChargingStation.objects.values_list("registration_status", flat=True)) == {status}


def test_block_token_action(ops, network):
    token = network["token"]

    ops.post(changelist_url(IdToken), {"action": "block_tokens", "_selected_action": [token.pk]})

    token.refresh_from_db()
    assert token.status == IdToken.Status.BLOCKED


# --- the message log and other reported data ----------------------------------------------


def test_message_payload_is_pretty_printed(ops, network):
    page = ops.get(change_url(network["call"])).content.decode()

    pretty = json.dumps(json.loads(BOOT_FRAME), indent=2)
    assert f'<pre class="ocpp-payload">{escape(pretty)}</pre>' in page


def test_message_payload_that_is_not_json_is_shown_raw(ops, network):
    broken = OcppMessage.objects.create(direction="in", payload="[2, <oops>")

    page = ops.get(change_url(broken)).content.decode()

    assert f'<pre class="ocpp-payload">{escape("[2, <oops>")}</pre>' in page


def test_call_errors_are_highlighted(ops, network):
    page = ops.get(changelist_url(OcppMessage)).content.decode()

    assert page.count('class="ocpp-callerror"') == 1
    assert "CallError FormationViolation" in page


@pytest.mark.parametrize("model", [OcppMessage, MeterSample, StationEvent, ChargingSession])
def test_reported_data_cannot_be_added_or_edited(ops, network, model):
    obj = model.objects.first()

    assert ops.get(reverse(f"admin:stations_{model._meta.model_name}_add")).status_code == 403
    assert ops.post(change_url(obj), {}).status_code == 403


def test_connector_status_is_read_only_in_the_station_inline(ops, network):
    page = ops.get(change_url(network["car"]))

    connector_form = page.context["inline_admin_formsets"][0].formset.forms[0]
    assert "connector_id" in connector_form.fields
    assert "status" not in connector_form.fields


def test_station_page_shows_only_recent_sessions(ops, network):
    car = network["car"]
    start = timezone.now() - timedelta(days=30)
    ChargingSession.objects.bulk_create(
        ChargingSession(
            station=car, transaction_id=str(1000 + n), started_at=start + timedelta(hours=n)
        )
        for n in range(RECENT_SESSIONS + 5)
    )

    page = ops.get(change_url(car))

    sessions = page.context["inline_admin_formsets"][1].formset
    assert len(sessions.forms) == RECENT_SESSIONS
    assert sessions.forms[0].instance == network["active"]  # the newest first


# --- query counts ---------------------------------------------------------------------------


def add_stations(count: int, site: Site) -> None:
    for n in range(count):
        station = make_station(f"CP-X{n:02}", site=site, connectors=3, password=None)
        ChargingSessionFactory(station=station, transaction_id=str(n))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelists_do_not_query_per_row(ops, network, model, django_assert_max_num_queries):
    add_stations(15, network["site"])

    with django_assert_max_num_queries(9):
        response = ops.get(changelist_url(model))

    assert response.status_code == 200


def test_station_change_page_does_not_query_per_connector_or_session(
    ops, network, django_assert_max_num_queries
):
    car = network["car"]
    add_stations(3, network["site"])
    Connector.objects.bulk_create(Connector(station=car, connector_id=n) for n in range(3, 11))
    ChargingSession.objects.bulk_create(
        ChargingSession(station=car, connector=car.connectors.first(), started_at=timezone.now())
        for _ in range(RECENT_SESSIONS)
    )

    with django_assert_max_num_queries(14):
        response = ops.get(change_url(car))

    assert response.status_code == 200


def test_station_changelist_queries_stay_flat(ops, network, django_assert_max_num_queries):
    add_stations(15, network["site"])

    with django_assert_max_num_queries(8):
        response = ops.get(changelist_url(ChargingStation))

    assert len(listed(response)) == 17
    assert "Available ×3" in response.content.decode()
