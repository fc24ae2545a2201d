"""What follows a command: diagnostics uploads, firmware progress, remote starts with no session."""

import contextlib
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from stations.commands import service as commands
from stations.commands.service import command_send
from stations.models import Command, DiagnosticsUpload
from stations.services import diagnostics
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media_root")]


@contextlib.asynccontextmanager
async def connect(version="ocpp1.6", client=Station16):
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=version, station_class=client
    ) as (cp, communicator):
        await booted(cp, "1.6" if version == "ocpp1.6" else "2.0.1")
        yield cp, communicator


def diagnostics_command(station) -> tuple[Command, str]:
    """A get_diagnostics command with ChargeNet's upload URL, as if sent; (command, path)."""
    token = diagnostics.new_token()
    command = Command.objects.create(
        station=station, action="get_diagnostics", status="accepted", params={}
    )
    DiagnosticsUpload.objects.create(command=command, token=token)
    return command, f"/uploads/diagnostics/{token}/"


# --- diagnostics uploads -------------------------------------------------------------


@pytest.mark.protocol
@pytest.mark.parametrize(
    ("version", "client", "message", "field"),
    [
        ("ocpp1.6", Station16, "GetDiagnostics", "location"),
        ("ocpp2.0.1", Station201, "GetLog", "log"),
    ],
    ids=["1.6", "2.0.1"],
)
async def test_get_diagnostics_without_location_offers_chargenet_upload_url(
    station, version, client, message, field
):
    async with connect(version, client) as (cp, _):
        command = await command_send(
            station, "get_diagnostics", {}, timeout=5, base_url="https://csms.example/"
        )
    upload = await DiagnosticsUpload.objects.aget(command=command)
    url = f"https://csms.example/uploads/diagnostics/{upload.token}/"
    (action, sent), *_ = cp.received
    assert action == message
    location = sent["location"] if field == "location" else sent["log"]["remote_location"]
    assert location == url and command.params["location"] == url
    assert len(upload.token) >= 40
    if version == "ocpp2.0.1":
        assert sent["request_id"] == command.pk


@pytest.mark.protocol
async def test_a_given_location_is_used_as_is(station):
    async with connect() as (cp, _):
        command = await command_send(
            station, "get_diagnostics", {"location": "ftp://logs.example/"}, timeout=5
        )
    assert cp.received[0][1]["location"] == "ftp://logs.example/"
    assert not await DiagnosticsUpload.objects.filter(command=command).aexists()


def test_a_station_uploads_by_put_and_operators_download(station, api_client):
    command, path = diagnostics_command(station)
    response = Client().generic("PUT", path, b"log line 1\n" * 1000, "application/octet-stream")
    assert response.status_code == 201
    upload = DiagnosticsUpload.objects.get(command=command)
    assert upload.filename == "diagnostics.bin" and upload.size == 11000
    assert upload.uploaded_at is not None
    download = api_client.get(f"/api/v1/commands/{command.pk}/diagnostics/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"log line 1\n" * 1000
    assert "attachment" in download["Content-Disposition"]
    detail = api_client.get(f"/api/v1/commands/{command.pk}/").json()
    assert detail["upload"]["filename"] == "diagnostics.bin" and detail["upload"]["size"] == 11000
    assert detail["upload"]["url"].endswith(f"/api/v1/commands/{command.pk}/diagnostics/")


def test_a_station_uploads_by_multipart_post(station):
    command, path = diagnostics_command(station)
    file = SimpleUploadedFile("cp1-diag.zip", b"PK\x03\x04zip", content_type="application/zip")
    response = Client().post(path, {"file": file})
    assert response.status_code == 201
    upload = DiagnosticsUpload.objects.get(command=command)
    assert upload.filename == "cp1-diag.zip" and upload.file.read() == b"PK\x03\x04zip"


def test_a_file_name_after_the_url_names_the_file(station):
    command, path = diagnostics_command(station)
    response = Client().generic("PUT", path + "station log.txt", b"hello")
    assert response.status_code == 201
    assert DiagnosticsUpload.objects.get(command=command).filename == "station_log.txt"


def test_a_retried_upload_replaces_the_first(station):
    command, path = diagnostics_command(station)
    Client().generic("PUT", path, b"partial")
    Client().generic("PUT", path, b"complete file")
    upload = DiagnosticsUpload.objects.get(command=command)
    assert upload.file.read() == b"complete file" and upload.size == 13


def test_uploads_need_the_right_token_and_method(station, settings):
    command, path = diagnostics_command(station)
    assert Client().generic("PUT", "/uploads/diagnostics/guess/", b"x").status_code == 404
    assert Client().get(path).status_code == 405
    assert Client().generic("PUT", path, b"").status_code == 400
    settings.DIAGNOSTICS_MAX_BYTES = 10
    assert Client().generic("PUT", path, b"x" * 11).status_code == 413
    DiagnosticsUpload.objects.filter(command=command).update(
        created_at=timezone.now() - diagnostics.UPLOAD_WINDOW - timedelta(minutes=1)
    )
    assert Client().generic("PUT", path, b"late").status_code == 404


def test_no_file_yet_is_a_404(station, api_client):
    command, _ = diagnostics_command(station)
    response = api_client.get(f"/api/v1/commands/{command.pk}/diagnostics/")
    assert response.status_code == 404 and response.json()["errors"] == {}


# --- firmware and upload progress ---------------------------------------------------


@pytest.mark.protocol
async def test_firmware_progress_follows_status_notifications_16(station):
    async with connect() as (cp, _):
        command = await command_send(
            station, "update_firmware", {"location": "https://fw.example/2.0.bin"}, timeout=5
        )
        assert await sync_to_async(commands.command_progress)(command) is None
        await cp.call(call16.FirmwareStatusNotification(status="Downloading"))
        assert await sync_to_async(commands.command_progress)(command) == "Downloading"
        await cp.call(call16.FirmwareStatusNotification(status="Installed"))
    assert await sync_to_async(commands.command_progress)(command) == "Installed"


@pytest.mark.protocol
async def test_firmware_progress_follows_the_request_id_201(station):
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        command = await command_send(
            station, "update_firmware", {"location": "https://fw.example/2.0.bin"}, timeout=5
        )
        assert cp.received[0][1]["request_id"] == command.pk
        await cp.call(
            call201.FirmwareStatusNotification(status="Downloaded", request_id=command.pk)
        )
        newer = await command_send(
            station, "update_firmware", {"location": "https://fw.example/2.1.bin"}, timeout=5
        )
        await cp.call(call201.FirmwareStatusNotification(status="Installing", request_id=newer.pk))
    assert await sync_to_async(commands.command_progress)(command) == "Downloaded"
    assert await sync_to_async(commands.command_progress)(newer) == "Installing"


@pytest.mark.protocol
async def test_diagnostics_progress_follows_status_notifications(station):
    async with connect() as (cp, _):
        command = await command_send(station, "get_diagnostics", {}, timeout=5)
        await cp.call(call16.DiagnosticsStatusNotification(status="Uploaded"))
    assert await sync_to_async(commands.command_progress)(command) == "Uploaded"


# --- remote starts without a session -------------------------------------------------


def remote_start(station, status="accepted", age=timedelta(0), session=None) -> Command:
    moment = timezone.now() - age
    return Command.objects.create(
        station=station,
        action="remote_start",
        status=status,
        params={"id_tag": "TAG-0001"},
        created_at=moment,
        finished_at=moment,
        session=session,
    )


def test_remote_start_states(station, settings):
    settings.OCPP_REMOTE_START_TIMEOUT = 120
    assert commands.remote_start_state(remote_start(station)) == "waiting"
    late = remote_start(station, age=timedelta(seconds=121))
    assert commands.remote_start_state(late) == "no_session"
    assert commands.remote_start_state(remote_start(station, status="rejected")) is None
    reset = Command.objects.create(station=station, action="reset", status="accepted")
    assert commands.remote_start_state(reset) is None


def test_remote_start_timeout_follows_the_setting(station, settings):
    settings.OCPP_REMOTE_START_TIMEOUT = 10
    command = remote_start(station, age=timedelta(seconds=11))
    assert commands.remote_start_state(command) == "no_session"


@pytest.mark.protocol
async def test_a_remote_start_that_led_to_a_session_is_started(station, token):
    async with connect() as (cp, _):
        command = await command_send(
            station, "remote_start", {"id_tag": "TAG-0001", "connector_id": 1}, timeout=5
        )
        assert commands.remote_start_state(command) == "waiting"
        await cp.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag="TAG-0001",
                meter_start=0,
                timestamp=timezone.now().isoformat(),
            )
        )
    await command.arefresh_from_db()
    assert commands.remote_start_state(command) == "started"


def test_the_api_shows_a_remote_start_without_session(station, api_client, settings):
    settings.OCPP_REMOTE_START_TIMEOUT = 120
    command = remote_start(station, age=timedelta(minutes=5))
    body = api_client.get(f"/api/v1/commands/{command.pk}/").json()
    assert body["session"] is None and body["remote_start_state"] == "no_session"
