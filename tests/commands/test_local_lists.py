"""Local authorisation lists: full and differential updates from the IdToken table."""

import contextlib
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone

from chargenet.celery import app
from stations.models import DeviceModelVariable, IdToken, LocalAuthList
from stations.services import local_lists
from stations.tasks import sync_local_lists
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]


def in_thread(function):
    return sync_to_async(function, thread_sensitive=False)


@contextlib.asynccontextmanager
async def connect(version="ocpp1.6", client=Station16):
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=version, station_class=client
    ) as (cp, communicator):
        await booted(cp, "1.6" if version == "ocpp1.6" else "2.0.1")
        yield cp, communicator


@pytest.fixture
def tokens(transactional_db):
    group = IdToken.objects.create(value="FLEET")
    IdToken.objects.create(value="CARD-1", parent=group)
    IdToken.objects.create(value="CARD-2", status="blocked")
    IdToken.objects.create(value="CARD-3", expires_at=timezone.now() - timedelta(days=1))
    IdToken.objects.create(value="X" * 30, type="eMAID")  # too long for a 1.6 idTag
    return group


def sync(station, **kwargs):
    return in_thread(local_lists.local_list_sync)(station=station, timeout=5, **kwargs)


def sent_lists(cp) -> list[dict]:
    return [payload for action, payload in cp.received if action == "SendLocalList"]


async def test_first_sync_sends_the_whole_table(station, tokens):
    async with connect() as (cp, _):
        result = await sync(station)
    assert result.status == "accepted" and result.version == 1
    (sent,) = sent_lists(cp)
    assert sent["list_version"] == 1 and sent["update_type"] == "Full"
    entries = {e["id_tag"]: e["id_tag_info"] for e in sent["local_authorization_list"]}
    assert set(entries) == {"FLEET", "CARD-1", "CARD-2", "CARD-3"}  # no 30-character idTag
    assert entries["CARD-1"] == {"status": "Accepted", "parent_id_tag": "FLEET"}
    assert entries["CARD-2"]["status"] == "Blocked"
    assert entries["CARD-3"]["status"] == "Expired"
    state = await LocalAuthList.objects.aget(station=station)
    assert state.version == 1 and not state.needs_sync and set(state.entries) == set(entries)


async def test_a_change_sends_only_the_difference(station, tokens):
    async with connect() as (cp, _):
        await sync(station)
        await IdToken.objects.filter(value="CARD-1").aupdate(status="blocked")
        await IdToken.objects.filter(value="CARD-3").adelete()
        await IdToken.objects.acreate(value="CARD-4")
        result = await sync(station)
    assert result.version == 2
    sent = sent_lists(cp)[1]
    assert sent["update_type"] == "Differential" and sent["list_version"] == 2
    entries = {e["id_tag"]: e.get("id_tag_info") for e in sent["local_authorization_list"]}
    assert entries == {
        "CARD-1": {"status": "Blocked", "parent_id_tag": "FLEET"},
        "CARD-4": {"status": "Accepted"},
        "CARD-3": None,  # removed from the list
    }


async def test_nothing_changed_sends_nothing(station, tokens):
    async with connect() as (cp, _):
        await sync(station)
        result = await sync(station)
    assert result.status == "unchanged" and len(sent_lists(cp)) == 1


async def test_a_version_mismatch_is_followed_by_a_full_update(station, tokens):
    async with connect() as (cp, _):
        await sync(station)
        await IdToken.objects.filter(value="CARD-1").aupdate(status="blocked")
        cp.answer["SendLocalList"] = "VersionMismatch"
        result = await sync(station)
    kinds = [payload["update_type"] for payload in sent_lists(cp)]
    assert kinds == ["Full", "Differential", "Full"]
    assert result.status == "failed"
    state = await LocalAuthList.objects.aget(station=station)
    assert state.needs_sync and state.version == 1 and state.last_status == "VersionMismatch"


async def test_the_full_retry_after_a_mismatch_brings_the_list_up_to_date(station, tokens):
    class MismatchOnce(Station16):
        def got(self, action, payload, default="Accepted"):
            status = super().got(action, payload, default)
            if action == "SendLocalList" and payload["update_type"] == "Differential":
                return "VersionMismatch"
            return status

    async with connect(client=MismatchOnce) as (cp, _):
        await sync(station)
        await IdToken.objects.filter(value="CARD-1").aupdate(status="blocked")
        result = await sync(station)
    assert [p["update_type"] for p in sent_lists(cp)] == ["Full", "Differential", "Full"]
    assert result.status == "accepted" and result.version == 2
    state = await LocalAuthList.objects.aget(station=station)
    assert state.entries["CARD-1"]["status"] == "blocked" and not state.needs_sync


async def test_long_lists_go_in_chunks_the_station_takes(station, tokens):
    await DeviceModelVariable.objects.acreate(
        station=station, component="OCPP 1.6", variable="SendLocalListMaxLength", value="3"
    )
    async with connect() as (cp, _):
        result = await sync(station)
    sent = sent_lists(cp)
    assert [(p["update_type"], p["list_version"]) for p in sent] == [
        ("Full", 1),
        ("Differential", 2),
    ]
    assert [len(p["local_authorization_list"]) for p in sent] == [3, 1]
    assert result.version == 2


async def test_201_lists_carry_id_token_objects(station, tokens):
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        result = await sync(station)
    (sent,) = sent_lists(cp)
    assert sent["version_number"] == 1 and sent["update_type"] == "Full"
    entries = {e["id_token"]["id_token"]: e for e in sent["local_authorization_list"]}
    assert "X" * 30 in entries and entries["X" * 30]["id_token"]["type"] == "eMAID"
    card = entries["CARD-1"]["id_token_info"]
    assert card["status"] == "Accepted" and card["group_id_token"]["id_token"] == "FLEET"
    assert result.status == "accepted"


async def test_an_offline_station_keeps_its_version_and_stays_stale(station, tokens):
    result = await sync(station)
    assert result.status == "failed"
    state = await LocalAuthList.objects.aget(station=station)
    assert state.version == 0 and state.needs_sync and state.last_status == "offline"


def test_token_changes_mark_synced_lists_stale(station, api_client):
    LocalAuthList.objects.create(station=station, version=3)
    response = api_client.post("/api/v1/id-tokens/", {"value": "NEW"}, format="json")
    assert response.status_code == 201
    assert LocalAuthList.objects.get(station=station).needs_sync


def test_blocking_in_the_admin_marks_lists_stale(station, client, operator):
    operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    token = IdToken.objects.create(value="CARD-9")
    LocalAuthList.objects.create(station=station, version=1)
    response = client.post(
        reverse("admin:stations_idtoken_changelist"),
        {"action": "block_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert LocalAuthList.objects.get(station=station).needs_sync


async def test_the_periodic_sync_sends_pending_changes_to_connected_stations(station, tokens):
    async with connect() as (cp, _):
        await sync(station)
        await IdToken.objects.filter(value="FLEET").aupdate(status="blocked")
        await sync_to_async(local_lists.local_lists_mark_stale)()
        outcome = await in_thread(
            lambda: sync_local_lists.apply().get(disable_sync_subtasks=False)
        )()
    assert outcome == {"CP-1": "accepted"}
    assert [p["update_type"] for p in sent_lists(cp)] == ["Full", "Differential"]


def test_local_lists_sync_every_five_minutes_on_beat():
    entry = app.conf.beat_schedule["sync-local-lists"]
    assert entry["task"] == "stations.tasks.sync_local_lists" and entry["schedule"] == 300
