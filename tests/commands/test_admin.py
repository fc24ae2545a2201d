"""Admin: command actions on stations, connectors and sessions; command-related pages."""

import contextlib
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from stations.models import (
    ChargingProfile,
    ChargingSession,
    Command,
    DiagnosticsUpload,
    LocalAuthList,
    Reservation,
)
from tests.support.charge_points import Station16, booted
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.asynccontextmanager
async def connect():
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, c):
        await booted(cp, "1.6")
        yield cp, c


def act(client, model: str, action: str, pks) -> list[tuple[str, str]]:
    response = client.post(
        reverse(f"admin:stations_{model}_changelist"),
        # Actions with consequences ask first (reset hard, unlock, soft stop): confirmed here.
        {"action": action, "_selected_action": [str(pk) for pk in pks], "confirmed": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def act_async(client, model, action, pks):
    return sync_to_async(act, thread_sensitive=False)(client, model, action, pks)


@pytest.mark.protocol
async def test_station_actions_send_commands_and_report_the_answer(station, ops):
    async with connect() as (cp, _):
        soft = await act_async(ops, "chargingstation", "command_reset_soft", [station.pk])
        cp.answer["Reset"] = "Rejected"
        hard = await act_async(ops, "chargingstation", "command_reset_hard", [station.pk])
        status = await act_async(
            ops, "chargingstation", "command_trigger_message_StatusNotification", [station.pk]
        )
        config = await act_async(ops, "chargingstation", "command_get_configuration", [station.pk])
        cache = await act_async(ops, "chargingstation", "command_clear_cache", [station.pk])
    assert soft == [("success", "CP-1: reset — Accepted")]
    assert hard == [("warning", "CP-1: reset — Rejected")]
    assert status[0][0] == config[0][0] == cache[0][0] == "success"
    assert [name for name, _ in cp.received] == [
        "Reset",
        "Reset",
        "TriggerMessage",
        "GetConfiguration",
        "ClearCache",
    ]
    assert cp.received[0][1] == {"type": "Soft"} and cp.received[1][1] == {"type": "Hard"}
    commands = [c async for c in Command.objects.order_by("pk")]
    assert all(c.requested_by_id is not None for c in commands)


def test_an_offline_station_is_reported_as_a_warning(station, ops):
    messages = act(ops, "chargingstation", "command_reset_soft", [station.pk])
    assert messages == [
        ("warning", "CP-1: reset — Station offline (The station is not connected.)")
    ]


@pytest.mark.protocol
async def test_connector_actions(station, ops):
    connectors = [c async for c in station.connectors.order_by("connector_id")]
    async with connect() as (cp, _):
        unlock = await act_async(ops, "connector", "command_unlock_connector", [connectors[0].pk])
        await act_async(
            ops, "connector", "command_change_availability_inoperative", [c.pk for c in connectors]
        )
        await act_async(
            ops, "connector", "command_change_availability_operative", [connectors[1].pk]
        )
    assert unlock == [("success", "CP-1/1: unlock connector — Accepted (Unlocked)")]
    assert cp.received[0] == ("UnlockConnector", {"connector_id": 1})
    availability = sorted(
        (p["connector_id"], p["type"]) for name, p in cp.received if name == "ChangeAvailability"
    )
    assert availability == [(1, "Inoperative"), (2, "Inoperative"), (2, "Operative")]


@pytest.mark.protocol
async def test_resynchronising_the_local_list(station, ops, token):
    async with connect() as (cp, _):
        messages = await act_async(ops, "chargingstation", "resync_local_list", [station.pk])
    assert messages == [("success", "CP-1: local list version 1, 1 message(s).")]
    assert cp.received[0][0] == "SendLocalList"
    assert (await LocalAuthList.objects.aget(station=station)).version == 1


def test_soft_stop_ends_selected_active_sessions(station, ops):
    session = ChargingSession.objects.create(
        station=station, transaction_id="1", started_at=timezone.now(), meter_last_wh=100
    )
    messages = act(ops, "chargingsession", "soft_stop", [session.pk])
    session.refresh_from_db()
    assert session.state == "ended" and session.stop_reason == "SoftStop"
    assert messages[0][0] == "success" and not Command.objects.exists()


def test_command_pages_show_what_followed(station, ops, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    moment = timezone.now() - timedelta(minutes=10)
    Command.objects.create(
        station=station,
        action="remote_start",
        status="accepted",
        params={"id_tag": "T"},
        created_at=moment,
        finished_at=moment,
    )
    upload_command = Command.objects.create(
        station=station, action="get_diagnostics", status="accepted"
    )
    upload = DiagnosticsUpload.objects.create(command=upload_command, token="t" * 43)
    from django.core.files.base import ContentFile

    upload.file.save("diag.zip", ContentFile(b"zip"), save=False)
    upload.filename, upload.size = "diag.zip", 3
    upload.save()
    page = ops.get(reverse("admin:stations_command_changelist")).content.decode()
    assert "no session" in page and "diag.zip" in page
    assert f"/api/v1/commands/{upload_command.pk}/diagnostics/" in page
    detail = ops.get(reverse("admin:stations_command_change", args=[upload_command.pk]))
    assert detail.status_code == 200
    download = ops.get(f"/api/v1/commands/{upload_command.pk}/diagnostics/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"zip"


def test_reservation_profile_and_list_pages_load(station, ops):
    reservation = Reservation.objects.create(
        station=station, id_tag="T", expires_at=timezone.now(), status="accepted"
    )
    profile = ChargingProfile.objects.create(
        station=station,
        profile_id=1,
        purpose="tx_default",
        status="accepted",
        periods=[{"start_period": 0, "limit": 16}],
        unit="A",
    )
    state = LocalAuthList.objects.create(station=station, version=2, entries={"A": {}})
    for model, obj in [
        ("reservation", reservation),
        ("chargingprofile", profile),
        ("localauthlist", state),
    ]:
        listing = ops.get(reverse(f"admin:stations_{model}_changelist"))
        assert listing.status_code == 200
        assert ops.get(reverse(f"admin:stations_{model}_change", args=[obj.pk])).status_code == 200
    assert (
        "16 A from 0 s"
        in ops.get(reverse("admin:stations_chargingprofile_changelist")).content.decode()
    )


def test_cancelling_from_the_admin_reports_an_offline_station(station, ops):
    reservation = Reservation.objects.create(
        station=station,
        id_tag="T",
        expires_at=timezone.now() + timedelta(hours=1),
        status="accepted",
    )
    messages = act(ops, "reservation", "cancel", [reservation.pk])
    assert messages[0][0] == "warning" and "offline" in messages[0][1].lower()
    reservation.refresh_from_db()
    assert reservation.status == "accepted"
