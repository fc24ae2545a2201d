"""Admin: what stations hold, and the actions that ask a station to drop it."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.messages import get_messages
from django.urls import reverse

from stations.models import Command, DisplayMessage, InstalledCertificate, VariableMonitor
from tests.support.charge_points import booted
from tests.support.command_stations import AllCommands201
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]


def act(client, model: str, action: str, pks) -> list[tuple[str, str]]:
    response = client.post(
        reverse(f"admin:stations_{model}_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )
    assert response.status_code == 200
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


act_async = sync_to_async(act, thread_sensitive=False)


async def test_held_rows_are_dropped_through_their_station(station, ops):
    monitor = await VariableMonitor.objects.acreate(
        station=station,
        monitor_id=8,
        component="EVSE",
        variable="Power",
        type="Delta",
        value=1,
        severity=2,
    )
    message = await DisplayMessage.objects.acreate(
        station=station,
        message_id=4,
        priority="NormalCycle",
        contents=[{"format": "UTF8", "language": "en", "content": "Hi"}],
    )
    certificate = await InstalledCertificate.objects.acreate(
        station=station,
        certificate_type="csms_root_certificate",
        hash_algorithm="SHA256",
        issuer_name_hash="aa",
        issuer_key_hash="bb",
        serial_number="0c",
    )
    async with connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=AllCommands201
    ) as (cp, _):
        await booted(cp, "2.0.1")
        cp.frames.clear()
        cleared = await act_async(ops, "variablemonitor", "clear", [monitor.pk])
        await act_async(ops, "displaymessage", "clear", [message.pk])
        await act_async(ops, "installedcertificate", "delete_from_station", [certificate.pk])
        report = await act_async(
            ops, "chargingstation", "command_get_base_report_full_inventory", [station.pk]
        )
    assert cleared == [("success", "CP-1: clear variable monitoring — Accepted")]
    assert report == [("success", "CP-1: get base report — Accepted")]
    assert [action for action, _ in cp.frames] == [
        "ClearVariableMonitoring",
        "ClearDisplayMessage",
        "DeleteCertificate",
        "GetBaseReport",
    ]
    assert cp.frames[2][1]["certificateHashData"]["serialNumber"] == "0c"
    assert not await VariableMonitor.objects.aexists()
    assert not await DisplayMessage.objects.aexists()
    assert not await InstalledCertificate.objects.aexists()
    assert await Command.objects.filter(status="accepted").acount() == 4


@pytest.mark.parametrize(
    "model",
    ["variablemonitor", "displaymessage", "installedcertificate", "customerinformationreport"],
)
def test_the_held_rows_are_listed_and_shown(station, ops, model):
    rows = {
        "variablemonitor": lambda: VariableMonitor.objects.create(
            station=station,
            monitor_id=8,
            component="EVSE",
            variable="Power",
            type="Delta",
            value=1,
            severity=2,
        ),
        "displaymessage": lambda: DisplayMessage.objects.create(
            station=station,
            message_id=4,
            priority="NormalCycle",
            contents=[{"format": "UTF8", "language": "zh", "content": "欢迎"}],
        ),
        "installedcertificate": lambda: InstalledCertificate.objects.create(
            station=station,
            certificate_type="csms_root_certificate",
            hash_algorithm="SHA256",
            issuer_name_hash="aa",
            issuer_key_hash="bb",
            serial_number="0c",
        ),
        "customerinformationreport": lambda: station.customer_reports.create(
            request_id=3, parts={"1": "world", "0": "hello "}, last_seq_no=1, complete=True
        ),
    }
    row = rows[model]()
    listed = ops.get(reverse(f"admin:stations_{model}_changelist"))
    shown = ops.get(reverse(f"admin:stations_{model}_change", args=[row.pk]))
    assert listed.status_code == shown.status_code == 200
    assert "CP-1" in listed.content.decode()
    if model == "customerinformationreport":
        assert "hello world" in shown.content.decode()
