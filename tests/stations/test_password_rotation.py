"""Station passwords rotate: the station gets a new one, the old one works until it is used."""

import base64
import json
import logging

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.urls import reverse
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from stations.commands.service import CommandError, command_send
from stations.models import ChargingStation, Command, OcppMessage
from stations.redact import MASK
from stations.services import handshake, passwords
from stations.writers.message_log import message_log
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import live_daphne
from tests.support.ocpp_client import basic_auth, connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

VERSIONS = [("ocpp1.6", "1.6", Station16), ("ocpp2.0.1", "2.0.1", Station201)]
IDS = ["1.6", "2.0.1"]
OUT_ACTIONS = ["ChangeConfiguration", "SetVariables"]


def sent_password(label: str, received: list[tuple[str, dict]]) -> str:
    """The password the station was given, read from the frame it received."""
    [(action, payload)] = received
    if label == "1.6":
        # 1.6 security whitepaper: AuthorizationKey is the password's bytes in hex.
        assert action == "ChangeConfiguration" and payload["key"] == "AuthorizationKey"
        return bytes.fromhex(payload["value"]).decode("ascii")
    assert action == "SetVariables"
    [item] = payload["set_variable_data"]
    assert item["component"] == {"name": "SecurityCtrlr"}
    assert item["variable"] == {"name": "BasicAuthPassword"}
    return item["attribute_value"]


async def rotate(subprotocol, label, client, answer=None):
    """Rotate CP-1's password with a library station answering; (command, password)."""
    station = await ChargingStation.objects.aget(station_id="CP-1")
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=subprotocol, station_class=client
    ) as (cp, _):
        await booted(cp, label)
        if answer:
            cp.answer[answer[0]] = answer[1]
        command = await command_send(station, "rotate_password", {}, timeout=5)
    return command, sent_password(label, cp.received)


def admit(password: str) -> handshake.Admission | handshake.Refusal:
    return handshake.admit(
        raw_path=b"/ocpp/CP-1",
        headers=[basic_auth("CP-1", password)],
        subprotocols=["ocpp1.6"],
        client="test",
    )


def opens(password: str) -> bool:
    return isinstance(admit(password), handshake.Admission)


@pytest.mark.parametrize(("subprotocol", "label", "client"), VERSIONS, ids=IDS)
async def test_accepted_the_new_password_is_kept_and_the_old_one_works_until_it_is_used(
    station, subprotocol, label, client
):
    command, new = await rotate(subprotocol, label, client)

    assert command.status == "accepted", command.error
    assert passwords.password_string_error(new, 20) is None and new != STATION_PASSWORD
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.check_password(new) and not saved.check_password(STATION_PASSWORD)
    # Mid-reconnect, the station may still use the old password: let it in.
    assert await database_sync_to_async(opens)(STATION_PASSWORD)
    assert await database_sync_to_async(opens)(new)
    refusal = await database_sync_to_async(admit)(STATION_PASSWORD)
    assert isinstance(refusal, handshake.Refusal) and refusal.status == 401
    assert await database_sync_to_async(opens)(new)


@pytest.mark.parametrize(
    ("subprotocol", "label", "client", "answer"),
    [
        ("ocpp1.6", "1.6", Station16, ("ChangeConfiguration", "Rejected")),
        ("ocpp2.0.1", "2.0.1", Station201, ("SetVariables", "Rejected")),
    ],
    ids=IDS,
)
async def test_rejected_nothing_changes(station, subprotocol, label, client, answer):
    before = await ChargingStation.objects.aget(pk=station.pk)

    command, new = await rotate(subprotocol, label, client, answer)

    assert command.status == "rejected"
    after = await ChargingStation.objects.aget(pk=station.pk)
    assert after.password == before.password
    assert after.password_pending == after.password_previous == ""
    assert await database_sync_to_async(opens)(STATION_PASSWORD)
    assert not await database_sync_to_async(opens)(new)


@pytest.mark.parametrize(("subprotocol", "label", "client"), VERSIONS, ids=IDS)
async def test_the_new_password_is_stored_nowhere_in_clear(
    station, subprotocol, label, client, caplog, api_client
):
    caplog.set_level(logging.DEBUG)

    command, new = await rotate(subprotocol, label, client)
    await message_log.flush()

    forms = (new, new.encode().hex())
    calls = OcppMessage.objects.filter(direction="out", action__in=OUT_ACTIONS)
    logged = [m.payload async for m in calls]
    assert logged and all(MASK in payload for payload in logged)
    payloads = [m.payload async for m in OcppMessage.objects.all()]
    assert not any(form in payload for form in forms for payload in payloads)
    stored = await Command.objects.aget(pk=command.pk)
    assert stored.params == {"password": MASK}
    assert not any(form in json.dumps(stored.response) for form in forms)
    api = await sync_to_async(api_client.get)(f"/api/v1/commands/{command.pk}/")
    assert api.status_code == 200 and not any(form in api.content.decode() for form in forms)
    assert not any(form in caplog.text for form in forms)


async def test_a_station_that_reconnects_before_its_answer_is_read_is_let_in(station):
    """The pending password opens the station and becomes its password."""
    await database_sync_to_async(passwords.station_password_offer)(
        station_pk=station.pk, raw="Fresh0Password0123"
    )

    assert await database_sync_to_async(opens)("Fresh0Password0123")

    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.check_password("Fresh0Password0123") and not saved.password_pending
    assert not await database_sync_to_async(opens)(STATION_PASSWORD)
    # The late Accepted changes nothing more.
    settled = await database_sync_to_async(passwords.station_password_settle)(
        station_pk=station.pk, raw="Fresh0Password0123", status="accepted"
    )
    assert settled and not await database_sync_to_async(opens)(STATION_PASSWORD)


def test_without_an_answer_both_passwords_open_the_station(station):
    """A timeout leaves it open whether the station took the new password or not."""
    passwords.station_password_offer(station_pk=station.pk, raw="Fresh0Password0123")

    assert not passwords.station_password_settle(
        station_pk=station.pk, raw="Fresh0Password0123", status="timeout"
    )

    assert opens(STATION_PASSWORD)
    assert opens("Fresh0Password0123")  # ...and from now on it is the password
    assert not opens(STATION_PASSWORD)


def test_a_password_set_by_hand_ends_every_rotation(station):
    passwords.station_password_offer(station_pk=station.pk, raw="Fresh0Password0123")
    passwords.station_password_settle(
        station_pk=station.pk, raw="Fresh0Password0123", status="accepted"
    )
    station.refresh_from_db()
    assert station.password_previous

    station.set_password("Typed-by-an-operator-1")
    station.save()

    assert opens("Typed-by-an-operator-1")
    assert not opens(STATION_PASSWORD) and not opens("Fresh0Password0123")


async def test_callers_cannot_choose_the_password_and_nothing_is_sent(station):
    with pytest.raises(CommandError) as refused:
        await command_send(station, "rotate_password", {"password": "Chosen-by-caller-1"})
    assert "password" in refused.value.errors
    assert not await Command.objects.aexists()


async def test_a_station_without_a_password_has_none_to_rotate(transactional_db):
    bare = await database_sync_to_async(make_station)("CP-2", password=None)

    with pytest.raises(CommandError):
        await command_send(bare, "rotate_password", {})

    assert not await Command.objects.aexists()


def test_the_generated_passwords_fit_every_version():
    made = {passwords.station_password_generate() for _ in range(50)}
    assert len(made) == 50
    assert all(passwords.password_string_error(p, 20) is None for p in made)


# --- the operator's ways in: admin action, station page, REST API -------------------


async def test_the_admin_action_rotates(station, client):
    user = await get_user_model().objects.acreate_superuser("ops", "ops@example.com", None)
    await sync_to_async(client.force_login)(user)
    url = reverse("admin:stations_chargingstation_changelist")
    data = {"action": "command_rotate_password", "_selected_action": [str(station.pk)]}
    post = sync_to_async(client.post, thread_sensitive=False)
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        await booted(cp, "1.6")
        response = await post(url, data, follow=True)
    assert "CP-1: rotate password — Accepted" in response.content.decode()
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.check_password(sent_password("1.6", cp.received))


async def test_the_station_page_and_the_api_rotate(station, client, operator, api_client):
    await sync_to_async(client.force_login)(operator)
    page_post = sync_to_async(client.post, thread_sensitive=False)
    api_post = sync_to_async(api_client.post, thread_sensitive=False)
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station201,
                                 version="ocpp2.0.1") as (cp, _):  # fmt: skip
        await booted(cp, "2.0.1")
        page = await page_post(
            reverse("dashboard:station-command", args=["CP-1", "rotate_password"]),
            HTTP_ACCEPT="application/json",
        )
        api = await api_post(
            "/api/v1/stations/CP-1/commands/", {"action": "rotate_password"}, format="json"
        )
    assert page.status_code == 200 and page.json()["status"] == "accepted"
    assert api.status_code == 201 and api.json()["status"] == "accepted"
    assert api.json()["params"] == {"password": MASK}
    first, second = (sent_password("2.0.1", [item]) for item in cp.received)
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.check_password(second)
    assert await database_sync_to_async(opens)(first)  # the replaced one, until `second` is used


def test_the_station_page_offers_the_command(station, client, operator):
    client.force_login(operator)
    page = client.get(reverse("dashboard:station", args=["CP-1"])).content.decode()
    assert 'data-action="rotate_password"' in page


# --- a real handshake on a live daphne ------------------------------------------------


def auth(password: str) -> dict:
    token = base64.b64encode(f"CP-1:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def status_of(address: str, password: str) -> int:
    url = f"ws://{address}/ocpp/CP-1"
    try:
        async with connect(url, subprotocols=["ocpp1.6"], additional_headers=auth(password)):
            return 101
    except InvalidStatus as error:
        return error.response.status_code


@pytest.mark.live
async def test_after_the_new_password_is_used_the_old_one_gets_401(station):
    _, new = await rotate("ocpp1.6", "1.6", Station16)

    with live_daphne() as address:
        assert await status_of(address, STATION_PASSWORD) == 101
        assert await status_of(address, new) == 101
        assert await status_of(address, STATION_PASSWORD) == 401
        assert await status_of(address, new) == 101
