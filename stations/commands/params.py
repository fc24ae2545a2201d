"""Each command action's parameters: one serializer per action, checked and published.

`params_check(action, params)` is run by the command service on every command, from
every caller (REST API, station page, admin, drivers, tasks), before anything else: a
parameter the action does not take, or one of the wrong type, is a CommandError naming
it, and nothing is sent. The same serializers are the OpenAPI components of
POST /api/v1/stations/<id>/commands/ (`<Action>Params`, selected by `action`, each
with its `example`; api/schema.py), so what is published is what is checked.

The names are the same for every OCPP version (stations/ocpp/neutral.py turns them
into what each version's builder reads); what a value must be for a version, and
which actions a version lacks, the builders (stations/ocpp/requests*.py) check.
"""

from rest_framework import serializers

from stations.commands.params_fields import (
    REQUIRED,
    Params,
    anything,
    boolean,
    choice,
    flat_errors,
    integer,
    key_or_object,
    many,
    moment,
    obj,
    objects,
    scalar,
    text,
)
from stations.ocpp.requests import ACTIONS, CommandError
from stations.ocpp.requests201_device import (
    ATTRIBUTES,
    COMPONENT_CRITERIA,
    ID_TOKEN_TYPES,
    INTERFACES,
    LIMIT_SOURCES,
    MESSAGE_FORMATS,
    MESSAGE_STATES,
    MONITORING_BASES,
    OCPP_VERSIONS,
    PRIORITIES,
    REPORT_BASES,
    TRANSPORTS,
)
from stations.ocpp.requests201_security import HASH_ALGORITHMS, ID_TYPES, INSTALL_TYPES

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----"
REQUEST_ID = "Id the notifications that follow repeat; omitted: the command's id."
PURPOSES = ("tx_default", "tx", "max")
PROFILE_HELP = (
    "ChargeNet's form {id?, purpose, stack_level, kind, recurrency?, valid_from?, "
    "valid_to?, transaction_id?, schedule: {unit, duration?, start?, min_rate?, periods: "
    "[{start_period, limit, number_phases?}]}}, its shortest {purpose, limit, unit?}, or "
    "an OCPP 1.6 / 2.x charging profile (camelCase or snake_case). Without an id, "
    "ChargeNet assigns one (docs/api.md)."
)


class Where(Params):
    connector_id = integer("ChargeNet's connector number (names its EVSE for 2.x).", min_value=0)
    evse_id = integer("The EVSE (2.x word); names the connector for 1.6.", min_value=0)
    evse_connector_id = integer("The connector within `evse_id` (default 1).", min_value=1)


class Transaction(Params):
    transaction_id = scalar("The station's transaction id.")
    session_id = integer("ChargeNet's session: its transaction is meant.")


def _token(required: bool = False):
    return text("The ID token's value (`id_tag` is the same).", required=required)


def _token_type():
    return choice("The token's type (2.x; omitted: the type ChargeNet holds).", ID_TOKEN_TYPES)


def _request_id():
    return integer(REQUEST_ID)


def _retries():
    return integer("How often the station retries.", min_value=0)


def _retry_interval():
    return integer("Seconds between retries.", min_value=0)


def _component_variables():
    return many("Components (variable optional), as keys or objects.", key_or_object())


class RemoteStartParams(Where):
    aliases = {"id_tag": "id_token"}
    example = {"id_token": "TAG-0001", "connector_id": 1}
    id_token = _token(required=True)
    id_token_type = _token_type()
    charging_profile = anything(f"A TxProfile for the transaction: {PROFILE_HELP}")


class RemoteStopParams(Transaction):
    example = {"transaction_id": 1001}


class ResetParams(Params):
    example = {"type": "hard"}
    type = choice("soft (when idle) or hard (at once); default soft.", ("soft", "hard"))
    evse_id = integer("2.x only: reset this EVSE.", min_value=1)


class UnlockConnectorParams(Where):
    example = {"connector_id": 1}


class ChangeAvailabilityParams(Where):
    example = {"type": "inoperative", "connector_id": 1}
    type = choice("The availability.", ("operative", "inoperative"), required=True)


class ConfigurationParams(Where):
    attribute_type = choice("2.x: which value of the variable.", ATTRIBUTES)


class GetConfigurationParams(ConfigurationParams):
    example = {"keys": ["HeartbeatInterval", "OCPPCommCtrlr.MessageTimeout[Default]"]}
    keys = many("1.6 keys or 2.x components/variables; omitted: all.", key_or_object())
    report_base = choice("2.x without keys: the base report asked for.", REPORT_BASES)
    request_id = _request_id()


class SetConfigurationParams(ConfigurationParams):
    example = {"key": "HeartbeatInterval", "value": "120"}
    key = anything(
        "A standard 1.6 key, or a 2.x `Component[/instance].Variable[/instance]` or object.",
        required=True,
    )
    value = scalar("The new value (sent as text).", required=True)


class SetVariablesParams(Params):
    example = {"variables": {"OCPPCommCtrlr.HeartbeatInterval": "120"}}
    variables = anything(
        "[{key (or component/variable...), value, attribute_type?}] or {key: value}.",
        required=True,
    )


class GetBaseReportParams(Params):
    example = {"report_base": "configuration_inventory"}
    report_base = choice("Which report (default full_inventory).", REPORT_BASES)
    request_id = _request_id()


class GetReportParams(Params):
    example = {"component_variables": ["OCPPCommCtrlr"], "criteria": ["problem"]}
    component_variables = _component_variables()
    criteria = many(
        f"Component criteria: {', '.join(c.lower() for c in COMPONENT_CRITERIA)}.",
        serializers.CharField(),
    )
    request_id = _request_id()


class SetNetworkProfileParams(Params):
    example = {
        "configuration_slot": 1,
        "csms_url": "wss://csms.example/ocpp/",
        "security_profile": 2,
    }
    configuration_slot = integer("The slot to write.", required=True, min_value=0)
    csms_url = text("The CSMS's URL.", required=True)
    security_profile = integer("0 to 3.", required=True, min_value=0)
    ocpp_interface = choice("Default wired0.", INTERFACES)
    ocpp_version = choice("Default ocpp20.", OCPP_VERSIONS)
    ocpp_transport = choice("Default json.", TRANSPORTS)
    message_timeout = integer("Seconds (default 30).", min_value=1)
    apn = obj(
        "{apn, apn_authentication, apn_user_name?, apn_password?, sim_pin?, "
        "preferred_network?, use_only_preferred_network?}."
    )
    vpn = obj("{server, user, group?, password, key, type}.")


class TriggerMessageParams(Where):
    example = {"message": "StatusNotification", "connector_id": 1}
    message = text(
        "BootNotification, Heartbeat, MeterValues, StatusNotification, "
        "FirmwareStatusNotification, DiagnosticsStatusNotification (2.x: "
        "LogStatusNotification), TransactionEvent (2.x).",
        required=True,
    )


class GetTransactionStatusParams(Transaction):
    example = {"transaction_id": "TX-1001"}


class ReserveNowParams(Where):
    aliases = {
        "id_tag": "id_token",
        "parent_id_tag": "parent_id_token",
        "expiry_date": "expires_at",
        "expiry_date_time": "expires_at",
    }
    example = {"connector_id": 1, "id_token": "TAG-0001", "expires_at": "2030-01-01T12:00:00Z"}
    id_token = _token(required=True)
    id_token_type = _token_type()
    parent_id_token = text("The token's group (`parent_id_tag` is the same).")
    parent_id_token_type = choice("The group token's type (2.x).", ID_TOKEN_TYPES)
    expires_at = moment("When the reservation lapses.", required=True)
    reservation_id = integer(
        "Omitted: ChargeNet assigns it and tracks the reservation (/reservations/).",
        min_value=0,
    )
    connector_type = text("2.x: any connector of this type (ConnectorEnumType, e.g. cType2).")


class CancelReservationParams(Params):
    example = {"reservation_id": 5}
    reservation_id = integer("The reservation's id.", required=True, min_value=0)


class SetChargingProfileParams(Where):
    example = {
        "connector_id": 1,
        "charging_profile": {"purpose": "tx_default", "limit": 16, "unit": "A"},
    }
    charging_profile = anything(PROFILE_HELP, required=True)


class ClearChargingProfileParams(Where):
    example = {"purpose": "tx_default", "stack_level": 0}
    id = integer("The profile's id.", min_value=0)
    purpose = choice("Profiles of this purpose.", PURPOSES)
    stack_level = integer("Profiles of this stack level.", min_value=0)


class GetCompositeScheduleParams(Where):
    example = {"connector_id": 1, "duration": 3600, "unit": "W"}
    duration = integer("Seconds ahead.", required=True, min_value=0)
    unit = choice("The rate unit.", ("W", "A"))


class GetChargingProfilesParams(Where):
    example = {"purpose": "tx_default"}
    purpose = choice("Profiles of this purpose.", (*PURPOSES, "external_constraints"))
    stack_level = integer("Profiles of this stack level.", min_value=0)
    profile_ids = many("Profiles with these ids.", serializers.IntegerField())
    sources = many(
        f"Limit sources: {', '.join(s.lower() for s in LIMIT_SOURCES)}.", serializers.CharField()
    )
    request_id = _request_id()


class SendLocalListParams(Params):
    example = {
        "list_version": 2,
        "update_type": "differential",
        "entries": [{"value": "TAG-0001", "status": "accepted"}],
    }
    list_version = integer("The list's new version.", required=True, min_value=0)
    update_type = choice("Default full.", ("full", "differential"))
    entries = objects(
        "[{value, status? accepted|blocked|expired|invalid (omitted: remove), "
        "expires_at?, parent?, type? (2.x token type)}]."
    )


class GetLocalListVersionParams(Params):
    example = {}


class ClearCacheParams(Params):
    example = {}


class UpdateFirmwareParams(Params):
    example = {"location": "https://fw.example/2.1.bin", "retrieve_date": "2030-01-01T03:00:00Z"}
    location = text("The firmware's URL.", required=True)
    retrieve_date = moment("When to download it (default now).")
    install_date = moment("Secure update: when to install it.")
    signing_certificate = text("Secure update: the PEM certificate that signed it.")
    signature = text("Secure update: the firmware's signature (base64).")
    retries = _retries()
    retry_interval = _retry_interval()
    request_id = _request_id()


class PublishFirmwareParams(Params):
    example = {
        "location": "https://fw.example/2.1.bin",
        "checksum": "9e107d9d372bb6826bd81d3542a419d6",
    }
    location = text("The firmware's URL.", required=True)
    checksum = text("Its MD5 checksum (hex).", required=True)
    retries = _retries()
    retry_interval = _retry_interval()
    request_id = _request_id()


class UnpublishFirmwareParams(Params):
    example = {"checksum": "9e107d9d372bb6826bd81d3542a419d6"}
    checksum = text("The published firmware's MD5 checksum.", required=True)


class GetLogParams(Params):
    example = {"log_type": "diagnostics", "start_time": "2030-01-01T00:00:00Z"}
    location = text("Where the station uploads; omitted: ChargeNet's upload URL.")
    start_time = moment("The oldest entries to include.")
    stop_time = moment("The latest entries to include.")
    retries = _retries()
    retry_interval = _retry_interval()
    log_type = choice("Default diagnostics.", ("diagnostics", "security"))
    request_id = _request_id()


class GetDiagnosticsParams(GetLogParams):
    example = {"start_time": "2030-01-01T00:00:00Z"}


class DataTransferParams(Params):
    example = {"vendor_id": "com.example", "message_id": "Hello", "data": '{"a": 1}'}
    vendor_id = text("The vendor.", required=True)
    message_id = text("The vendor's message.")
    data = anything("The data (1.6 sends it as text).")


class RotatePasswordParams(Params):
    """None: ChargeNet makes the password."""

    example = {}


class InstallCertificateParams(Params):
    example = {"certificate_type": "csms_root_certificate", "certificate": CERTIFICATE}
    certificate_type = choice("The root certificate's type.", INSTALL_TYPES, required=True)
    certificate = text("The certificate (PEM).", required=True)


class GetInstalledCertificateIdsParams(Params):
    aliases = {"certificate_type": "certificate_types"}
    example = {"certificate_types": ["csms_root_certificate"]}
    certificate_types = many(
        f"Types ({', '.join(ID_TYPES)}); 1.6 exactly one.", serializers.CharField()
    )


class DeleteCertificateParams(Params):
    example = {"issuer_name_hash": "a1b2", "issuer_key_hash": "c3d4", "serial_number": "0e"}
    issuer_name_hash = text("Hash of the issuer's name (hex).", required=True)
    issuer_key_hash = text("Hash of the issuer's public key (hex).", required=True)
    serial_number = scalar("The certificate's serial number (hex).", required=True)
    hash_algorithm = choice("Default SHA256.", HASH_ALGORITHMS)


class CertificateSignedParams(Params):
    example = {"certificate_chain": CERTIFICATE, "certificate_type": "charging_station_certificate"}
    certificate_chain = text("The signed certificate chain (PEM).", required=True)
    certificate_type = choice(
        "1.6: charging_station_certificate only.",
        ("ChargingStationCertificate", "V2GCertificate"),
    )


class SetVariableMonitoringParams(Params):
    example = {
        "monitors": [
            {
                "key": "EVSE.Power",
                "evse_id": 1,
                "type": "upper_threshold",
                "value": 22000,
                "severity": 4,
            }
        ]
    }
    monitors = objects(
        "[{key (or component/variable...), type upper_threshold|lower_threshold|delta|"
        "periodic|periodic_clock_aligned, value, severity 0-9, transaction?, id? (replace)}].",
        required=True,
    )


class SetMonitoringBaseParams(Params):
    example = {"base": "factory_default"}
    base = choice("Default all.", MONITORING_BASES)


class SetMonitoringLevelParams(Params):
    example = {"severity": 5}
    severity = integer("0 (most severe) to 9.", required=True, min_value=0)


class ClearVariableMonitoringParams(Params):
    example = {"ids": [3, 4]}
    ids = many("The monitors' ids.", serializers.IntegerField(), required=True)


class GetMonitoringReportParams(Params):
    example = {"criteria": ["threshold"]}
    component_variables = _component_variables()
    criteria = many("threshold, delta or periodic.", serializers.CharField())
    request_id = _request_id()


class CustomerInformationParams(Params):
    aliases = {"id_tag": "id_token"}
    example = {"id_token": "TAG-0001", "report": True, "clear": False}
    customer_identifier = text("The customer's identifier.")
    id_token = _token()
    id_token_type = _token_type()
    customer_certificate = obj(
        "{hash_algorithm, issuer_name_hash, issuer_key_hash, serial_number}."
    )
    report = boolean("Send a report (default true).")
    clear = boolean("Clear the customer's data (default false).")
    request_id = _request_id()


class SetDisplayMessageParams(Transaction):
    example = {"message": "Welcome", "language": "en", "priority": "in_front", "state": "idle"}
    message = text("The text (or give `messages`).")
    format = choice("The text's format (default utf8).", MESSAGE_FORMATS)
    language = text("Its language (RFC 5646, e.g. en).")
    messages = objects("[{content, format?, language?}]; more than one: OCPP 2.1 only.")
    id = integer("ChargeNet's message id; omitted: the next free one.", min_value=0)
    priority = choice("Default normal_cycle.", PRIORITIES)
    state = choice("Show only in this state.", MESSAGE_STATES)
    start_date_time = moment("From when.")
    end_date_time = moment("Until when.")
    display = key_or_object()


class GetDisplayMessagesParams(Params):
    example = {"priority": "in_front"}
    ids = many("Messages with these ids.", serializers.IntegerField())
    priority = choice("Messages of this priority.", PRIORITIES)
    state = choice("Messages for this state.", MESSAGE_STATES)
    request_id = _request_id()


class ClearDisplayMessageParams(Params):
    example = {"id": 1}
    id = integer("The message's id.", required=True, min_value=0)


class CostUpdatedParams(Transaction):
    example = {"transaction_id": "TX-1001", "total_cost": "3.75"}
    total_cost = scalar("The cost so far, taxes included, in the tariff's currency.", required=True)


def _camel(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("_"))


# action -> its Params serializer (`RemoteStartParams` for remote_start, ...)
PARAMS: dict[str, type[Params]] = {
    action: globals()[f"{_camel(action)}Params"] for action in ACTIONS
}


def params_check(action: str, params) -> None:
    """Raise CommandError naming each unknown or mistyped parameter; else nothing."""
    serializer_class = PARAMS.get(action)
    if serializer_class is None:
        return  # an unknown action is refused by the command service
    if not isinstance(params, dict):
        raise CommandError("Invalid parameters.", {"params": "Must be an object."})
    data = dict(params)
    for alias, name in serializer_class.aliases.items():
        if alias in data and data.get(name) in (None, ""):
            data[name] = data.pop(alias)
        elif alias in data:
            data.pop(alias)  # both given: stations/ocpp/neutral.py says whether they agree
    serializer = serializer_class(data=data)
    unknown = sorted(set(data) - set(serializer.fields))
    if unknown:
        raise CommandError(
            "Unknown parameters.",
            {name: f"Not a parameter of {action} (see docs/api.md)." for name in unknown},
        )
    if not serializer.is_valid():
        errors = {name: " ".join(t) for name, t in flat_errors(serializer.errors).items()}
        for alias, name in serializer_class.aliases.items():
            if errors.get(name) == REQUIRED:  # callers of the other name see it too
                errors[alias] = f"{REQUIRED[:-1]} (or {name})."
        raise CommandError("Invalid parameters.", errors)


__all__ = ["PARAMS", "REQUIRED", "flat_errors", "params_check"]
