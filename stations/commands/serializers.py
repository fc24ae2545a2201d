"""REST API v1 representations of commands, reservations and charging profiles.

Input serializers only check types; what a command, reservation or profile must be
is checked by the services (stations.commands.service, .reservations, .charging_profiles),
whose CommandError becomes a 400 naming the field (`command_error`).
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from stations.commands import service as commands
from stations.commands.params import flat_errors
from stations.models import (
    ChargingProfile,
    ChargingStation,
    Command,
    DiagnosticsUpload,
    IdToken,
    Reservation,
)
from stations.ocpp.requests import ACTIONS, CommandError

TIMEOUT_HELP = (
    "Seconds to wait for the station's answer (default OCPP_COMMAND_TIMEOUT, 30); the "
    "request waits that long at most."
)


def command_error(error: CommandError) -> ValidationError:
    """A service's CommandError as the API's 400: {"detail", "errors": {field: [...]}}."""
    return ValidationError(
        {"detail": error.detail, **{field: [str(m)] for field, m in error.errors.items()}}
    )


def valid_data(serializer: serializers.Serializer) -> dict:
    """`is_valid`, with nested errors flattened to dotted field names."""
    if not serializer.is_valid():
        raise ValidationError(flat_errors(serializer.errors))
    return serializer.validated_data


# --- commands ---------------------------------------------------------------------


class UploadSerializer(serializers.ModelSerializer):
    """The file a station uploaded for a get_diagnostics command."""

    url = serializers.SerializerMethodField(help_text="Where operators download the file.")

    class Meta:
        model = DiagnosticsUpload
        fields = ["filename", "size", "uploaded_at", "url"]
        read_only_fields = fields
        extra_kwargs = {
            "filename": {"help_text": "The file name the station gave; empty until uploaded."},
            "size": {"help_text": "Size in bytes; null until uploaded."},
            "uploaded_at": {"help_text": "When the station's upload arrived; null until then."},
        }

    def get_url(self, upload: DiagnosticsUpload) -> str | None:
        if not upload.file:
            return None
        path = reverse("command-diagnostics", kwargs={"pk": upload.command_id})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class CommandSerializer(serializers.ModelSerializer):
    """A command sent to a station and what came of it."""

    station_id = serializers.CharField(
        source="station.station_id", read_only=True, help_text="The station's id."
    )
    remote_start_state = serializers.SerializerMethodField(
        help_text="For an accepted remote_start: waiting (no session yet), started (see "
        "`session`) or no_session (none within OCPP_REMOTE_START_TIMEOUT, 120 s by "
        "default). Null for other commands."
    )
    progress = serializers.SerializerMethodField(
        help_text="For an accepted update_firmware, get_diagnostics or get_log: the latest status "
        "the station reported since (FirmwareStatusNotification, "
        "DiagnosticsStatusNotification / LogStatusNotification), e.g. Downloading, "
        "Installed, Uploaded. Null otherwise."
    )
    upload = serializers.SerializerMethodField(
        help_text="For get_diagnostics or get_log sent without a location: the upload ChargeNet "
        "offered the station, and its file once received. Null otherwise."
    )

    class Meta:
        model = Command
        fields = [
            "id",
            "station_id",
            "action",
            "params",
            "status",
            "ocpp_action",
            "response",
            "error",
            "created_at",
            "finished_at",
            "session",
            "remote_start_state",
            "progress",
            "upload",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "ChargeNet's id of the command."},
            "action": {"help_text": "The version-neutral action, e.g. reset, remote_start."},
            "params": {"help_text": "The action's parameters as given (secrets masked)."},
            "status": {
                "help_text": "pending, accepted, rejected (the station said no), failed "
                "(CallError or invalid answer, see `error`), timeout (no answer in time) or "
                "offline (no process holds the station's socket)."
            },
            "ocpp_action": {"help_text": "The OCPP message sent, e.g. Reset, SetVariables."},
            "response": {"help_text": "The station's answer payload (camelCase, as sent)."},
            "error": {
                "help_text": "Why the command did not succeed: CallError code, description "
                "and details, or a description of the timeout / offline station."
            },
            "created_at": {"help_text": "When the command was asked for."},
            "finished_at": {"help_text": "When its outcome was known; null while pending."},
            "session": {"help_text": "For remote_start: the id of the session it led to, or null."},
        }

    def get_remote_start_state(self, command: Command) -> str | None:
        return commands.remote_start_state(command)

    def get_progress(self, command: Command) -> str | None:
        return commands.command_progress(command)

    @extend_schema_field(UploadSerializer(allow_null=True))
    def get_upload(self, command: Command) -> dict | None:
        if command.action not in commands.UPLOAD_ACTIONS:
            return None  # no query for the others
        upload = getattr(command, "upload", None)
        return UploadSerializer(upload, context=self.context).data if upload else None


class CommandCreateSerializer(serializers.Serializer):
    """A command to send: the action, its parameters and how long to wait."""

    action = serializers.ChoiceField(
        choices=ACTIONS, help_text="The version-neutral action (docs/api.md)."
    )
    params = serializers.DictField(
        required=False,
        default=dict,
        help_text="The action's parameters, the same for every OCPP version, e.g. "
        '{"type": "hard"} for reset or {"id_token": "TAG-1", "connector_id": 1} for '
        "remote_start (docs/api.md, Commands).",
    )
    timeout = serializers.FloatField(
        required=False, min_value=1, max_value=300, help_text=TIMEOUT_HELP
    )


# --- reservations -----------------------------------------------------------------


class ReservationSerializer(serializers.ModelSerializer):
    """A connector (or any connector of a station) kept for one ID token."""

    reservation_id = serializers.IntegerField(
        source="pk", read_only=True, help_text="The reservationId sent to the station."
    )
    station_id = serializers.CharField(
        source="station.station_id", read_only=True, help_text="The station's id."
    )
    connector_id = serializers.IntegerField(
        source="connector.connector_id",
        read_only=True,
        allow_null=True,
        help_text="The reserved connector; null: any connector of the station.",
    )
    connector_type = serializers.CharField(
        read_only=True,
        help_text="The reserved connector type (OCPP 2.x, e.g. cType2); empty: any type.",
    )
    id_token = serializers.CharField(
        source="id_tag", read_only=True, help_text="The value of the token it is kept for."
    )
    command = CommandSerializer(
        read_only=True, allow_null=True, help_text="The ReserveNow command."
    )
    cancel_command = CommandSerializer(
        read_only=True,
        allow_null=True,
        help_text="The CancelReservation command, once cancelling was asked; else null.",
    )

    class Meta:
        model = Reservation
        fields = [
            "id",
            "reservation_id",
            "station_id",
            "connector_id",
            "connector_type",
            "id_token",
            "expires_at",
            "status",
            "session",
            "command",
            "cancel_command",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "ChargeNet's id of the reservation."},
            "expires_at": {"help_text": "When the reservation lapses."},
            "status": {
                "help_text": "requested (sent, no answer yet), accepted, rejected (by the "
                "station, or it was offline), cancelled, expired or used (a session started "
                "with it)."
            },
            "session": {"help_text": "The session that used the reservation, or null."},
            "created_at": {"help_text": "When the reservation was asked for."},
        }


class ReservationCreateSerializer(serializers.Serializer):
    """Reserve a connector, or any connector of a station, for a token."""

    station = serializers.SlugRelatedField(
        slug_field="station_id",
        queryset=ChargingStation.objects.all(),
        help_text="The station's id.",
    )
    connector_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The connector to reserve; omitted or null: any connector of the station.",
    )
    connector_type = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="OCPP 2.x stations only: reserve any connector of this type (the 2.0.1 "
        "ConnectorEnumType, e.g. cType2, cCCS2), of `connector_id`'s EVSE if one is given. "
        "A 1.6 station has no connector types: 400.",
    )
    id_token = serializers.SlugRelatedField(
        slug_field="value",
        queryset=IdToken.objects.select_related("parent"),
        help_text="The value of the ID token the reservation is for.",
    )
    expires_at = serializers.DateTimeField(help_text="When the reservation lapses (future).")
    timeout = serializers.FloatField(
        required=False, min_value=1, max_value=300, help_text=TIMEOUT_HELP
    )


class CancelSerializer(serializers.Serializer):
    """How long to wait for the station's answer."""

    timeout = serializers.FloatField(
        required=False, min_value=1, max_value=300, help_text=TIMEOUT_HELP
    )


# --- charging profiles --------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    """One period of a schedule: a limit from a moment on."""

    start_period = serializers.IntegerField(
        min_value=0, help_text="Seconds from the schedule's start; the first is 0."
    )
    limit = serializers.FloatField(help_text="The limit, in the schedule's unit (> 0).")
    number_phases = serializers.IntegerField(
        required=False, min_value=1, max_value=3, help_text="Phases to use, 1 to 3."
    )


class ScheduleSerializer(serializers.Serializer):
    """When which limit applies."""

    unit = serializers.ChoiceField(
        choices=ChargingProfile.Unit.choices, default="W", help_text="W or A."
    )
    duration = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Seconds the schedule lasts; null: until the profile ends.",
    )
    start = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When an absolute or recurring schedule starts (absolute: now if "
        "omitted). A relative schedule starts with the transaction.",
    )
    min_rate = serializers.FloatField(
        required=False, allow_null=True, help_text="The least rate the EV should charge at."
    )
    periods = PeriodSerializer(many=True, help_text="Periods in increasing start order.")


class ChargingProfileSerializer(serializers.ModelSerializer):
    """A charging profile set on a station, and what the station answered."""

    station_id = serializers.CharField(
        source="station.station_id", read_only=True, help_text="The station's id."
    )
    connector_id = serializers.IntegerField(
        source="connector.connector_id",
        read_only=True,
        allow_null=True,
        help_text="The connector it applies to; null: the whole station.",
    )
    schedule = serializers.SerializerMethodField(help_text="When which limit applies.")
    recurrency = serializers.ChoiceField(
        choices=ChargingProfile.Recurrency.choices,
        allow_blank=True,
        read_only=True,
        help_text="daily or weekly for a recurring profile; else empty.",
    )
    command = CommandSerializer(
        read_only=True, allow_null=True, help_text="The last SetChargingProfile."
    )
    clear_command = CommandSerializer(
        read_only=True,
        allow_null=True,
        help_text="The ClearChargingProfile command, once clearing was asked; else null.",
    )

    class Meta:
        model = ChargingProfile
        fields = [
            "id",
            "profile_id",
            "station_id",
            "connector_id",
            "purpose",
            "stack_level",
            "kind",
            "recurrency",
            "valid_from",
            "valid_to",
            "transaction_id",
            "schedule",
            "status",
            "source",
            "session",
            "command",
            "clear_command",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "ChargeNet's id of the profile row."},
            "profile_id": {"help_text": "The chargingProfileId the station knows it by."},
            "purpose": {"help_text": "tx_default, tx (one transaction) or max (station)."},
            "stack_level": {"help_text": "Higher levels take precedence."},
            "kind": {"help_text": "absolute, recurring or relative."},
            "valid_from": {"help_text": "From when the profile applies; null: now."},
            "valid_to": {"help_text": "Until when it applies; null: no end."},
            "transaction_id": {"help_text": "The transaction a TxProfile limits; else empty."},
            "status": {
                "help_text": "requested, accepted, rejected, failed, timeout or offline (the "
                "outcome of the last SetChargingProfile), or cleared."
            },
            "source": {"help_text": "operator, or load_management (site power limit)."},
            "session": {"help_text": "The session a load-management TxProfile limits."},
            "created_at": {"help_text": "When the profile was first set."},
            "updated_at": {"help_text": "When it last changed."},
        }

    @extend_schema_field(ScheduleSerializer)
    def get_schedule(self, profile: ChargingProfile) -> dict:
        return {
            "unit": profile.unit,
            "duration": profile.duration,
            "start": serializers.DateTimeField().to_representation(profile.start_schedule)
            if profile.start_schedule
            else None,
            "min_rate": float(profile.min_rate) if profile.min_rate is not None else None,
            "periods": profile.periods,
        }


class ChargingProfileCreateSerializer(serializers.Serializer):
    """A charging profile to set (replacing one with the same profile_id)."""

    station = serializers.SlugRelatedField(
        slug_field="station_id",
        queryset=ChargingStation.objects.all(),
        help_text="The station's id.",
    )
    connector_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="The connector it applies to; omitted, null or 0: the whole station.",
    )
    profile_id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The chargingProfileId; omitted: the next free one on the station.",
    )
    purpose = serializers.ChoiceField(
        choices=ChargingProfile.Purpose.values, help_text="tx_default, tx or max."
    )
    stack_level = serializers.IntegerField(
        required=False, default=0, min_value=0, help_text="Higher levels take precedence."
    )
    kind = serializers.ChoiceField(
        choices=ChargingProfile.Kind.values,
        default="absolute",
        help_text="absolute, recurring or relative.",
    )
    recurrency = serializers.ChoiceField(
        choices=ChargingProfile.Recurrency.values,
        required=False,
        allow_blank=True,
        help_text="daily or weekly; only for a recurring profile.",
    )
    valid_from = serializers.DateTimeField(
        required=False, allow_null=True, help_text="From when it applies."
    )
    valid_to = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Until when it applies."
    )
    transaction_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=36,
        help_text="For purpose tx: the transaction it limits.",
    )
    schedule = ScheduleSerializer(help_text="When which limit applies.")
    timeout = serializers.FloatField(
        required=False, min_value=1, max_value=300, help_text=TIMEOUT_HELP
    )

    def profile(self) -> dict:
        """The version-neutral profile (stations.services.charging_profiles) of the input."""
        data = dict(self.validated_data)
        body = {k: data[k] for k in ("purpose", "stack_level", "kind") if k in data}
        for name in ("recurrency", "valid_from", "valid_to", "transaction_id"):
            if data.get(name):
                body[name] = data[name]
        if data.get("profile_id"):
            body["id"] = data["profile_id"]
        schedule = dict(data["schedule"])
        schedule["periods"] = [dict(period) for period in schedule["periods"]]
        body["schedule"] = {k: v for k, v in schedule.items() if v is not None}
        return body
