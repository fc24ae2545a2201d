"""What a simulated station knows: its configuration, connectors, reservations.

Plain data and small helpers shared by the station (`base.py`, `connector_life.py`),
its answers to the CSMS (`handlers.py`, `handlers201*.py`) and its smart-charging
arithmetic (`smart_charging.py`).
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ocpp.v16 import call

from demo.network import DEMO_TOKENS
from stations.simulator import power as curves

IDLE, PREPARING, CHARGING, FINISHING = "idle", "preparing", "charging", "finishing"
DEFAULT_HEARTBEAT = 300
MAX_PROFILES = 10
MAX_LOCAL_LIST = 100


def now_iso() -> str:
    """The current UTC time as an OCPP dateTime with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def seconds_until(text: str | None, default: float = 0.0) -> float:
    moment = parse_time(text)
    if moment is None:
        return default
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


@dataclass
class StationConfig:
    station_id: str
    password: str | None = None
    kind: str = "car"  # car | ebike
    connectors: int = 2
    vendor: str = "ChargeNet"
    model: str = "Simulator"
    serial_number: str = ""
    firmware_version: str = "1.0.0"
    tokens: Sequence[str] = tuple(DEMO_TOKENS)
    meter_interval: float = 10.0
    heartbeat: float | None = None  # overrides the interval of the boot reply
    idle: tuple[float, float] = (30.0, 300.0)  # seconds a free connector waits for a driver
    session: tuple[float, float] = (600.0, 3600.0)  # seconds a vehicle stays plugged in
    finishing: tuple[float, float] = (1.0, 4.0)  # seconds from stop until unplugged
    response_timeout: float = 30.0
    validate: bool = True  # schema-check our own messages and the CSMS's replies
    step_delay: float = 3.0  # pace of firmware and diagnostics progress
    seed: int | None = None
    version: str = "1.6"  # the OCPP version spoken: "1.6" or "2.0.1"
    faults: float = 0.0  # mean seconds between faults played (0: none)
    # Re-report the connector's status after every Nth meter value, as many stations
    # do (0: only when it changes); a load mix with StatusNotification in it.
    status_every: int = 0

    @property
    def max_power_w(self) -> float:
        return curves.CAR_MAX_W if self.kind == "car" else curves.EBIKE_MAX_W


@dataclass
class Reservation:
    id: int
    id_tag: str
    expires_at: datetime | None


@dataclass
class Profile:
    connector_id: int
    data: dict  # the csChargingProfiles object, snake_case keys
    installed: float  # time.monotonic() when set

    @property
    def id(self) -> int:
        return self.data.get("charging_profile_id")

    @property
    def purpose(self) -> str:
        return self.data.get("charging_profile_purpose", "")

    @property
    def stack_level(self) -> int:
        return self.data.get("stack_level", 0)


@dataclass
class Connector:
    id: int
    meter_wh: float  # the energy register; it only ever grows
    status: str = "Available"
    phase: str = IDLE
    operative: bool = True
    scheduled_operative: bool | None = None  # an availability change after the session
    idle_until: float = 0.0  # time.monotonic() when the next driver arrives
    start_request: tuple[str, int | None] | None = None  # (id tag, reservation id)
    start_profile: dict | None = None  # a TxProfile sent with RemoteStartTransaction
    stop_request: str | None = None  # the stop reason asked for
    start_payload: call.StartTransaction | None = None  # sent, not yet confirmed
    stop_payload: call.StopTransaction | None = None  # sent, not yet confirmed
    # 2.0.1: TransactionEvent Updated messages not yet confirmed, oldest first.
    backlog: list = field(default_factory=list)
    seq_no: int = 0  # 2.0.1: the next TransactionEvent's seqNo in this transaction
    remote_start_id: int | None = None  # 2.0.1: RequestStartTransaction's id
    id_token_type: str = "ISO14443"  # 2.0.1: the idToken type of `id_tag`
    transaction_id: int | str | None = None
    id_tag: str = ""
    meter_start: int = 0
    meter_stop: int = 0
    stop_reason: str = ""
    vehicle: curves.Vehicle | None = None
    soc: float = 0.0
    power_w: float = 0.0
    fault: str = ""  # a fault being played (stations/simulator/faults.py)
    charging_since: float = 0.0
    plugged_until: float = 0.0
    last_tick: float = 0.0
    meter_ticks: int = 0  # periodic meter values sent (for StationConfig.status_every)
    reservation: Reservation | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def busy(self) -> bool:
        return (
            self.phase != IDLE
            or self.start_request is not None
            or self.transaction_id is not None
            or self.start_payload is not None
            or self.stop_payload is not None
            or bool(self.backlog)
        )


def default_configuration(config: StationConfig, heartbeat: float, meter_interval: float) -> dict:
    """GetConfiguration keys: name -> [value, read-only]."""
    measurands = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"
    if config.kind == "car":
        measurands += ",SoC"
    return {
        "AuthorizeRemoteTxRequests": ["false", False],
        "ChargeProfileMaxStackLevel": ["10", True],
        "ChargingScheduleAllowedChargingRateUnit": ["Current,Power", True],
        "ChargingScheduleMaxPeriods": ["24", True],
        "ClockAlignedDataInterval": ["0", False],
        "ConnectionTimeOut": ["60", False],
        "GetConfigurationMaxKeys": ["50", True],
        "HeartbeatInterval": [str(int(heartbeat)), False],
        "LocalAuthListEnabled": ["true", False],
        "LocalAuthListMaxLength": [str(MAX_LOCAL_LIST), True],
        "LocalAuthorizeOffline": ["true", False],
        "MaxChargingProfilesInstalled": [str(MAX_PROFILES), True],
        "MeterValueSampleInterval": [str(int(meter_interval)), False],
        "MeterValuesSampledData": [measurands, False],
        "NumberOfConnectors": [str(config.connectors), True],
        "ReserveConnectorZeroSupported": ["false", True],
        "ResetRetries": ["1", False],
        "SendLocalListMaxLength": [str(MAX_LOCAL_LIST), True],
        "StopTransactionOnInvalidId": ["true", False],
        "SupportedFeatureProfiles": [
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,"
            "RemoteTrigger",
            True,
        ],
        "UnlockConnectorOnEVSideDisconnect": ["true", False],
        "WebSocketPingInterval": ["0", False],
    }


INTEGER_KEYS = {
    "ClockAlignedDataInterval",
    "ConnectionTimeOut",
    "HeartbeatInterval",
    "MeterValueSampleInterval",
    "ResetRetries",
    "WebSocketPingInterval",
}
BOOLEAN_KEYS = {
    "AuthorizeRemoteTxRequests",
    "LocalAuthListEnabled",
    "LocalAuthorizeOffline",
    "StopTransactionOnInvalidId",
    "UnlockConnectorOnEVSideDisconnect",
}
