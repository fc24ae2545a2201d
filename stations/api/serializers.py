"""REST API v1 representations of stations, sessions and ID tokens.

Field names here are the published v1 contract (docs/api.md): add fields,
never rename them. Writes go through the station services (registration, id tokens).
"""

import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from stations.api.money import PriceLineSerializer
from stations.models import ChargingSession, ChargingStation, Connector, IdToken, Site
from stations.services import authorization, registration

# OCPP 1.6 ChargePointStatus words; 2.0.1 statuses are mapped onto them.
CONNECTOR_STATUSES = (
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEV",
    "SuspendedEVSE",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
)
# OCPP 2.0.1 passwordString for HTTP Basic auth (security profile 1).
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 16, 40
MAX_CONNECTORS = 100


def validate_station_id(value: str) -> str:
    """Accept exactly the ids a station may connect with (see stations.services.handshake).

    1-48 characters, no ':' (it ends the HTTP Basic user name), no '/' (it ends the
    URL path segment) and no control characters. Spaces, '+', '*' and any other UTF-8
    text are allowed: the id travels percent-encoded in URLs.
    """
    max_length = settings.OCPP_MAX_STATION_ID_LENGTH
    if not value:
        raise serializers.ValidationError("A station id must not be empty.")
    if len(value) > max_length:
        raise serializers.ValidationError(f"A station id has at most {max_length} characters.")
    if ":" in value or "/" in value:
        raise serializers.ValidationError("A station id must not contain ':' or '/'.")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise serializers.ValidationError("A station id must not contain control characters.")
    return value


def validate_token_value(value: str) -> str:
    """An ID token value: 1-36 printable characters, and no '/' so a URL can name it."""
    if not value:
        raise serializers.ValidationError("A token value must not be empty.")
    if "/" in value:
        raise serializers.ValidationError("A token value must not contain '/'.")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise serializers.ValidationError("A token value must not contain control characters.")
    return value


# --- stations ---------------------------------------------------------------------


class ConnectorSerializer(serializers.ModelSerializer):
    """One plug of a station; its status in OCPP 1.6 words."""

    class Meta:
        model = Connector
        fields = ["connector_id", "evse_id", "status", "error_code", "status_since"]
        read_only_fields = fields
        extra_kwargs = {
            "connector_id": {"help_text": "Connector number on the station, from 1."},
            "evse_id": {"help_text": "OCPP 2.0.1 EVSE id holding this connector; null on 1.6."},
            "status": {
                "help_text": "Last reported status in OCPP 1.6 words: "
                + ", ".join(CONNECTOR_STATUSES)
                + "."
            },
            "error_code": {"help_text": "Last reported error code (NoError when healthy)."},
            "status_since": {"help_text": "When the connector entered its current status."},
        }


class StationSerializer(serializers.ModelSerializer):
    """A charging station as operators register and read it."""

    station_id = serializers.CharField(
        max_length=48,
        trim_whitespace=False,
        validators=[
            validate_station_id,
            UniqueValidator(
                queryset=ChargingStation.objects.all(),
                message="A station with this id is already registered.",
            ),
        ],
        help_text="The id the station connects with (ws://HOST/ocpp/<station_id>) and its "
        "HTTP Basic user name. 1-48 characters, no ':' or '/', no control characters; "
        "percent-encode it in URLs. Cannot be changed after registration.",
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the site the station stands on, or null.",
    )
    status = serializers.ChoiceField(
        choices=CONNECTOR_STATUSES,
        required=False,
        allow_blank=True,
        help_text="The station as a whole: what connector 0 last reported (OCPP 1.6 words); "
        "empty until the station reports. Written by the station.",
    )
    connectors = serializers.SerializerMethodField(
        help_text="The station's connectors (never connector 0), by connector id."
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_null=True,
        trim_whitespace=False,
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        help_text=f"HTTP Basic password the station must present (OCPP security profile 1), "
        f"{PASSWORD_MIN_LENGTH}-{PASSWORD_MAX_LENGTH} characters. Stored hashed and never "
        "returned; null removes it.",
    )
    connector_count = serializers.IntegerField(
        write_only=True,
        required=False,
        min_value=0,
        max_value=MAX_CONNECTORS,
        help_text="On registration only: create connectors 1..N, Unavailable until the "
        "station reports. Stations also create connectors by reporting their status.",
    )

    class Meta:
        model = ChargingStation
        fields = [
            "station_id",
            "site",
            "kind",
            "vendor",
            "model",
            "serial_number",
            "firmware_version",
            "ocpp_version",
            "registration_status",
            "security_profile",
            "status",
            "connected",
            "last_seen",
            "connectors",
            "password",
            "connector_count",
        ]
        extra_kwargs = {
            "kind": {"help_text": "What the station charges: car or ebike."},
            "vendor": {"help_text": "Vendor reported in BootNotification."},
            "model": {"help_text": "Model reported in BootNotification."},
            "serial_number": {"help_text": "Serial number reported in BootNotification."},
            "firmware_version": {"help_text": "Firmware version reported in BootNotification."},
            "ocpp_version": {
                "help_text": "OCPP version of the station's latest connection; empty before "
                "it first connects."
            },
            "registration_status": {
                "help_text": "Answer to the station's BootNotification: accepted, pending "
                "(the station waits, sending nothing but heartbeats) or rejected."
            },
            "security_profile": {
                "help_text": "OCPP security profile: 1 or 2, HTTP Basic password (2: over "
                "TLS); 3, a client certificate the balancer verified, whose common name "
                "must be the station id (no password)."
            },
            "connected": {"help_text": "Whether the station holds an open OCPP socket now."},
            "last_seen": {"help_text": "When the station last sent anything."},
        }

    @extend_schema_field(ConnectorSerializer(many=True))
    def get_connectors(self, station: ChargingStation) -> list[dict]:
        # Filtered in Python so a prefetched `connectors` costs no extra query.
        plugs = [c for c in station.connectors.all() if c.connector_id != 0]
        plugs.sort(key=lambda c: c.connector_id)
        return ConnectorSerializer(plugs, many=True, context=self.context).data

    def create(self, validated_data: dict) -> ChargingStation:
        """Register a station: hash its password and create its first connectors."""
        try:
            station = registration.station_register(**validated_data)
        except IntegrityError as exc:
            # Registered concurrently (or connected as "pending") since validation.
            raise serializers.ValidationError(
                {"station_id": ["A station with this id is already registered."]}
            ) from exc
        return station


# Named like the serializer it edits, so its only component is "PatchedStationRequest"
# (and enum names stay unambiguous).
@extend_schema_serializer(component_name="Station")
class StationUpdateSerializer(StationSerializer):
    """Operator edits; what the station reports about itself stays read-only."""

    station_id = serializers.CharField(
        read_only=True, help_text="The station's id; fixed at registration."
    )
    status = serializers.CharField(
        read_only=True, help_text="The station as a whole: what connector 0 last reported."
    )
    connector_count = None  # registration only

    class Meta(StationSerializer.Meta):
        fields = [f for f in StationSerializer.Meta.fields if f != "connector_count"]
        read_only_fields = [
            "vendor",
            "model",
            "serial_number",
            "firmware_version",
            "ocpp_version",
            "connected",
            "last_seen",
        ]

    def update(self, instance: ChargingStation, validated_data: dict) -> ChargingStation:
        serializers.raise_errors_on_nested_writes("update", self, validated_data)
        return registration.station_update(instance, **validated_data)


# --- sessions ---------------------------------------------------------------------


def price_of(session: ChargingSession) -> dict:
    """The session's price as the API publishes it: total, currency and lines.

    Billing owns a session's price: its SessionCharge, written by billing alone when
    the session is priced. The station core only shows it, through the session's
    reverse relation `charge`, read by name (the station core never imports billing).
    `total` is the charge's gross to the cent (`SessionCharge.total`, ROUND_HALF_UP);
    a session without a charge is not priced yet. Lists join the charge in
    (`select_related("charge")`), so showing prices costs no query per session.
    """
    charge = getattr(session, "charge", None)  # none yet: RelatedObjectDoesNotExist
    if charge is None:
        return {"total": None, "currency": "", "lines": []}
    return {"total": charge.total, "currency": charge.currency, "lines": charge.lines}


class PriceSerializer(serializers.Serializer):
    """What a session costs, once billing has priced it."""

    total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        read_only=True,
        help_text="Total price as a decimal string, or null until the session is priced.",
    )
    currency = serializers.CharField(
        read_only=True,
        help_text="ISO 4217 currency code of the total; empty until priced.",
    )
    lines = PriceLineSerializer(
        many=True,
        read_only=True,
        help_text="The priced components (energy, time, fees) as billing computed them.",
    )

    def to_representation(self, session: ChargingSession) -> dict:
        return super().to_representation(price_of(session))


class SessionSerializer(serializers.ModelSerializer):
    """A charging session (a transaction, in OCPP words); read-only."""

    station_id = serializers.CharField(
        source="station.station_id", read_only=True, help_text="The station's id."
    )
    connector_id = serializers.IntegerField(
        source="connector.connector_id",
        read_only=True,
        allow_null=True,
        help_text="The connector charged on; null when the station never named it.",
    )
    id_token = serializers.CharField(
        source="id_tag",
        read_only=True,
        help_text="The ID token value the station started with (kept even when unknown).",
    )
    transaction_id = serializers.SerializerMethodField(
        help_text="The OCPP transaction id as a string: assigned by ChargeNet on 1.6, by "
        "the station on 2.0.1. For a stop of a transaction ChargeNet never saw (flag "
        "unknown_transaction) the id the station named; null if it named none."
    )
    flags = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Problems noticed in what the station sent, e.g. meter_backwards.",
    )
    price = PriceSerializer(source="*", read_only=True, help_text="The session's price.")

    class Meta:
        model = ChargingSession
        fields = [
            "id",
            "station_id",
            "connector_id",
            "id_token",
            "transaction_id",
            "state",
            "started_at",
            "ended_at",
            "meter_start_wh",
            "meter_stop_wh",
            "energy_wh",
            "power_w",
            "stop_reason",
            "flags",
            "price",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "ChargeNet's id of the session."},
            "state": {"help_text": "active while charging, ended once stopped."},
            "started_at": {"help_text": "When the transaction started."},
            "ended_at": {"help_text": "When the transaction ended; null while active."},
            "meter_start_wh": {"help_text": "Energy register at the start, Wh."},
            "meter_stop_wh": {"help_text": "Energy register at the stop, Wh; null while active."},
            "energy_wh": {
                "help_text": "Energy delivered, Wh; while active the latest register reading "
                "minus the start."
            },
            "power_w": {"help_text": "Latest reported power, W; null when unknown or ended."},
            "stop_reason": {"help_text": "Why the session ended, as the station reported it."},
        }

    def get_transaction_id(self, session: ChargingSession) -> str | None:
        return session.transaction_id or session.reported_transaction_id or None


# --- ID tokens --------------------------------------------------------------------


class IdTokenSerializer(serializers.ModelSerializer):
    """An RFID card, app token or other identifier that may authorize charging."""

    value = serializers.CharField(
        max_length=36,
        trim_whitespace=False,
        validators=[
            validate_token_value,
            UniqueValidator(
                queryset=IdToken.objects.all(), message="A token with this value already exists."
            ),
        ],
        help_text="The token value stations send (RFID UID, eMAID, ...), 1-36 characters "
        "without '/'. Cannot be changed after creation.",
    )
    status = serializers.ChoiceField(
        choices=IdToken.Status.choices,
        default=IdToken.Status.ACCEPTED,
        help_text="accepted, blocked, expired or invalid. Reads as expired once expires_at "
        "has passed, whatever was stored.",
    )
    parent = serializers.SlugRelatedField(
        slug_field="value",
        queryset=IdToken.objects.all(),
        required=False,
        allow_null=True,
        help_text="Value of the group (parent) token, or null. Must already exist.",
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the user (driver) the token belongs to, or null.",
    )

    class Meta:
        model = IdToken
        fields = ["value", "type", "status", "expires_at", "parent", "owner", "label"]
        extra_kwargs = {
            "type": {"help_text": "OCPP 2.0.1 IdTokenEnumType; ISO14443 (RFID) by default."},
            "expires_at": {"help_text": "When the token stops being accepted; null: never."},
            "label": {"help_text": "Free text for operators, e.g. the name printed on a card."},
        }

    def create(self, validated_data: dict) -> IdToken:
        serializers.raise_errors_on_nested_writes("create", self, validated_data)
        return authorization.id_token_create(**validated_data)

    def update(self, instance: IdToken, validated_data: dict) -> IdToken:
        serializers.raise_errors_on_nested_writes("update", self, validated_data)
        return authorization.id_token_update(instance, **validated_data)

    def to_representation(self, token: IdToken) -> dict:
        data = super().to_representation(token)
        data["status"] = token.effective_status()
        return data

    def validate_parent(self, parent: IdToken | None) -> IdToken | None:
        """A token cannot be its own group, directly or through a chain of parents."""
        if parent is None or self.instance is None:
            return parent
        seen = set()
        ancestor = parent
        while ancestor is not None and ancestor.pk not in seen:
            if ancestor.pk == self.instance.pk:
                raise serializers.ValidationError("A token cannot be its own parent.")
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        return parent


@extend_schema_serializer(component_name="IdToken")
class IdTokenUpdateSerializer(IdTokenSerializer):
    """Edits keep the value: stations and sessions know the token by it."""

    value = serializers.CharField(read_only=True, help_text="The token value; fixed.")
