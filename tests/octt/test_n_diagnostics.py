"""Block N, diagnostics: monitoring, monitoring reports, customer information, logs.

TC_N_28/29/31/32/62_CSMS (customer information requested and cleared; the
NotifyCustomerInformation answered and kept). SetVariableMonitoring,
SetMonitoringBase, SetMonitoringLevel, ClearVariableMonitoring, GetMonitoringReport and
GetLog of the security log follow use cases N04, N03, N05, N06, N02 and N01 (their
OCTT texts were not at hand). 1.6: GetLog of the Security extension, GetDiagnostics.
"""

from datetime import UTC, datetime

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call

from stations.models import ChargingStation, DeviceModelVariable, StationEvent
from tests.support.factories import IdTokenFactory
from tests.support.octt import only, station_on

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC).isoformat().replace("+00:00", "Z")
UPLOAD = "https://logs.example.com/upload"


async def events(kind: str, station_id: str = "CP-1") -> list[StationEvent]:
    rows = StationEvent.objects.filter(station__station_id=station_id, kind=kind).order_by("id")
    return [event async for event in rows]


# --- monitoring ----------------------------------------------------------------------


async def test_UC_N04_CSMS_set_variable_monitoring(operator):
    """Set Variable Monitoring of two variables (threshold and delta), one EVSE's; each
    monitor's result and the station's monitor ids stored with the answer."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1",
            "set_variable_monitoring",
            monitors=[
                {
                    "component": "EVSE",
                    "evse_id": 1,
                    "variable": "Power",
                    "type": "upper_threshold",
                    "value": 22000,
                    "severity": 4,
                },
                {
                    "key": "ChargingStation.AvailabilityState",
                    "type": "Delta",
                    "value": 1,
                    "severity": 8,
                    "transaction": True,
                },
            ],
        )
    request = only(cp, "SetVariableMonitoring")
    assert status == 201 and command["status"] == "accepted", command
    first, second = request["setMonitoringData"]
    assert first["component"] == {"name": "EVSE", "evse": {"id": 1}}
    assert first["variable"] == {"name": "Power"}
    assert (first["type"], first["value"], first["severity"]) == ("UpperThreshold", 22000, 4)
    assert "id" not in first  # a new monitor: the station assigns the id
    assert second["component"] == {"name": "ChargingStation"}
    assert second["variable"] == {"name": "AvailabilityState"}
    assert (second["type"], second["severity"], second["transaction"]) == ("Delta", 8, True)
    results = command["response"]["setMonitoringResult"]
    assert [result["id"] for result in results] == [100, 101]


async def test_UC_N04_CSMS_set_variable_monitoring_one_rejected(operator):
    """A monitor the station refuses (UnknownVariable): the command is not accepted."""
    async with station_on(operator.address) as cp:
        cp.answer["SetVariableMonitoring"] = "UnknownVariable"
        _, command = await operator.command(
            "CP-1",
            "set_variable_monitoring",
            monitors=[{"key": "EVSE.Nonsense", "type": "periodic", "value": 60, "severity": 9}],
        )
    assert command["status"] == "rejected"
    assert command["response"]["setMonitoringResult"][0]["status"] == "UnknownVariable"


@pytest.mark.parametrize(
    ("base", "sent_as"),
    [("all", "All"), ("factory_default", "FactoryDefault"), ("HardWiredOnly", "HardWiredOnly")],
)
async def test_UC_N03_CSMS_set_monitoring_base(operator, base, sent_as):
    """Set Monitoring Base: the base as the spec spells it."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command("CP-1", "set_monitoring_base", base=base)
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "SetMonitoringBase") == {"monitoringBase": sent_as}


async def test_UC_N05_CSMS_set_monitoring_level(operator):
    """Set Monitoring Level: a severity 0-9; 10 is refused before anything is sent."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command("CP-1", "set_monitoring_level", severity=3)
        refused, body = await operator.command("CP-1", "set_monitoring_level", severity=10)
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "SetMonitoringLevel") == {"severity": 3}
    assert refused == 400 and "severity" in str(body)


async def test_UC_N06_CSMS_clear_variable_monitoring(operator):
    """Clear Variable Monitoring by the station's monitor ids; per-id results kept."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1", "clear_variable_monitoring", ids=[100, 101]
        )
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "ClearVariableMonitoring") == {"id": [100, 101]}
    assert command["response"]["clearMonitoringResult"] == [
        {"status": "Accepted", "id": 100},
        {"status": "Accepted", "id": 101},
    ]


async def test_UC_N02_CSMS_get_monitoring_report(operator):
    """Get Monitoring Report with criteria and a component/variable; the
    NotifyMonitoringReport parts are answered and kept."""
    monitor = {
        "component": {"name": "EVSE", "evse": {"id": 1}},
        "variable": {"name": "Power"},
        "variable_monitoring": [
            {
                "id": 100,
                "transaction": False,
                "value": 22000,
                "type": "UpperThreshold",
                "severity": 4,
            }
        ],
    }
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1",
            "get_monitoring_report",
            criteria=["threshold", "DeltaMonitoring"],
            component_variables=[{"component": "EVSE", "evse_id": 1, "variable": "Power"}],
        )
        request = only(cp, "GetMonitoringReport")
        answers = [
            await cp.call(
                call.NotifyMonitoringReport(
                    request_id=request["requestId"],
                    seq_no=seq_no,
                    generated_at=NOW,
                    tbc=seq_no == 0,
                    monitor=[monitor],
                ),
                suppress=False,
            )
            for seq_no in (0, 1)
        ]
    assert status == 201 and command["status"] == "accepted"
    assert request == {
        "requestId": command["id"],
        "componentVariable": [
            {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}
        ],
        "monitoringCriteria": ["ThresholdMonitoring", "DeltaMonitoring"],
    }
    assert all(answer is not None for answer in answers)
    reports = await events("MonitoringReport")
    assert [report.data["seq_no"] for report in reports] == [0, 1]
    assert reports[0].data["monitor"][0]["variable_monitoring"][0]["id"] == 100


async def test_UC_N07_CSMS_notify_event_of_a_monitor(operator):
    """Alert event (N07): a monitor ChargeNet set fires; the NotifyEvent naming it is
    answered, kept as an event and its value as the variable's."""
    async with station_on(operator.address) as cp:
        await operator.command(
            "CP-1",
            "set_variable_monitoring",
            monitors=[
                {
                    "component": "EVSE",
                    "evse_id": 1,
                    "variable": "Power",
                    "type": "upper_threshold",
                    "value": 22000,
                    "severity": 4,
                }
            ],
        )
        monitor_id = (await _results(cp))[0]
        answer = await cp.call(
            call.NotifyEvent(
                generated_at=NOW,
                seq_no=0,
                event_data=[
                    {
                        "event_id": 1,
                        "timestamp": NOW,
                        "trigger": "Alerting",
                        "actual_value": "22500",
                        "event_notification_type": "CustomMonitor",
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "Power"},
                        "variable_monitoring_id": monitor_id,
                    }
                ],
            ),
            suppress=False,
        )
    assert answer is not None
    (event,) = await events("NotifyEvent")
    assert (event.status, event.data["variable_monitoring_id"]) == ("Alerting", monitor_id)
    row = await DeviceModelVariable.objects.aget(
        station__station_id="CP-1", component="EVSE", evse_id=1, variable="Power"
    )
    assert row.value == "22500"


async def _results(cp) -> list[int]:
    """The ids the station gave the monitors of its last SetVariableMonitoring."""
    data = only(cp, "SetVariableMonitoring")["setMonitoringData"]
    return [100 + number for number, _ in enumerate(data)]


# --- customer information --------------------------------------------------------------


async def customer_information(operator, answer="Accepted", notify=True, **params):
    async with station_on(operator.address) as cp:
        cp.replies["CustomerInformation"] = {"status": answer}
        status, command = await operator.command("CP-1", "customer_information", **params)
        request = only(cp, "CustomerInformation")
        if notify:
            reply = await cp.call(
                call.NotifyCustomerInformation(
                    data="No data for this customer",
                    seq_no=0,
                    generated_at=NOW,
                    request_id=request["requestId"],
                ),
                suppress=False,
            )
            assert reply is not None
    assert status == 201, command
    return command, request


@pytest.fixture
def central_token(operator):
    return IdTokenFactory(value="APP-USER-7", type="Central")


async def test_TC_N_28_CSMS(operator, central_token):
    """Get Customer Information - Accepted + no data: report true, the idToken with the
    type ChargeNet holds; the NotifyCustomerInformation answered and kept."""
    command, request = await customer_information(operator, id_token="APP-USER-7")
    assert command["status"] == "accepted"
    assert request["report"] is True and request["clear"] is False
    assert request["idToken"] == {"idToken": "APP-USER-7", "type": "Central"}
    assert request["requestId"] == command["id"]
    (notified,) = await events("CustomerInformation")
    assert notified.data["data"] == "No data for this customer"


async def test_TC_N_29_CSMS(operator, central_token):
    """Get Customer Information - Not Accepted: stored as rejected."""
    command, request = await customer_information(
        operator, answer="Rejected", notify=False, id_token="APP-USER-7"
    )
    assert command["status"] == "rejected"
    assert request["idToken"]["type"] == "Central"


async def test_TC_N_31_CSMS(operator, central_token):
    """Clear Customer Information - Clear and report + no data."""
    command, request = await customer_information(
        operator, id_token="APP-USER-7", report=True, clear=True
    )
    assert command["status"] == "accepted"
    assert (request["report"], request["clear"]) == (True, True)
    assert request["idToken"] == {"idToken": "APP-USER-7", "type": "Central"}


async def test_TC_N_32_CSMS(operator, central_token):
    """Clear Customer Information - Clear and no report."""
    command, request = await customer_information(
        operator, notify=False, id_token="APP-USER-7", report=False, clear=True
    )
    assert command["status"] == "accepted"
    assert (request["report"], request["clear"]) == (False, True)
    assert request["idToken"] == {"idToken": "APP-USER-7", "type": "Central"}


async def test_TC_N_62_CSMS(operator):
    """Clear Customer Information - Clear and report - customerIdentifier."""
    command, request = await customer_information(
        operator, customer_identifier="OpenChargeAlliance", report=True, clear=True
    )
    assert command["status"] == "accepted"
    assert request["customerIdentifier"] == "OpenChargeAlliance"
    assert (request["report"], request["clear"]) == (True, True)
    assert "idToken" not in request


# --- logs ------------------------------------------------------------------------------


async def test_UC_N01_CSMS_get_security_log(operator):
    """Retrieve the SecurityLog: logType SecurityLog, the upload location, requestId;
    each LogStatusNotification answered and the last one kept on the station."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1",
            "get_log",
            log_type="security",
            location=UPLOAD,
            retries=2,
            retry_interval=30,
            start_time="2026-11-30T00:00:00Z",
        )
        request = only(cp, "GetLog")
        for state in ("Uploading", "Uploaded"):
            await cp.call(
                call.LogStatusNotification(status=state, request_id=request["requestId"]),
                suppress=False,
            )
    assert status == 201 and command["status"] == "accepted"
    assert request["logType"] == "SecurityLog"
    assert request["log"] == {
        "remoteLocation": UPLOAD,
        "oldestTimestamp": "2026-11-30T00:00:00Z",
    }
    assert (request["requestId"], request["retries"], request["retryInterval"]) == (
        command["id"],
        2,
        30,
    )
    assert [event.status for event in await events("LogStatus")] == ["Uploading", "Uploaded"]
    assert (await ChargingStation.objects.aget(station_id="CP-1")).log_status == "Uploaded"


async def test_UC_N01_CSMS_get_diagnostics_log(operator):
    """Retrieve the DiagnosticsLog (the default log type)."""
    async with station_on(operator.address) as cp:
        _, command = await operator.command("CP-1", "get_log", location=UPLOAD)
    assert only(cp, "GetLog")["logType"] == "DiagnosticsLog"
    assert command["status"] == "accepted"


async def test_UC_N01_16_get_security_log(operator):
    """1.6 Security extension: GetLog of the SecurityLog, LogStatusNotification kept."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        status, command = await operator.command(
            "CP-16", "get_log", log_type="security", location=UPLOAD
        )
        request = only(cp, "GetLog")
        await cp.call(
            call16.LogStatusNotification(status="Uploaded", request_id=request["requestId"])
        )
    assert status == 201 and command["status"] == "accepted"
    assert request["logType"] == "SecurityLog"
    assert request["log"]["remoteLocation"] == UPLOAD
    assert (await ChargingStation.objects.aget(station_id="CP-16")).log_status == "Uploaded"


async def test_TC_n_16_get_diagnostics(operator):
    """1.6 GetDiagnostics: the location, the station's file name stored, then the
    DiagnosticsStatusNotifications answered and the last kept."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        status, command = await operator.command(
            "CP-16", "get_diagnostics", location=UPLOAD, retries=1, retry_interval=10
        )
        for state in ("Uploading", "Uploaded"):
            await cp.call(call16.DiagnosticsStatusNotification(status=state))
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "GetDiagnostics")["location"] == UPLOAD
    assert command["response"] == {"fileName": "diag.zip"}
    station = await ChargingStation.objects.aget(station_id="CP-16")
    assert station.diagnostics_status == "Uploaded"
