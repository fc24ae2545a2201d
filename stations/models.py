"""The network: sites, stations, connectors, ID tokens, sessions, meter samples, log.

Energy is integer Wh, power W, times aware UTC. Nothing here knows which OCPP
version a station speaks beyond the version label stored on the station.
"""

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Site(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    address = models.TextField(_("address"), blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    max_power_w = models.PositiveIntegerField(_("maximum power (W)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


class ChargingStation(models.Model):
    class Kind(models.TextChoices):
        CAR = "car", _("Car charger")
        EBIKE = "ebike", _("E-bike pile")

    class Registration(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        PENDING = "pending", _("Pending")
        REJECTED = "rejected", _("Rejected")

    class Version(models.TextChoices):
        V16 = "1.6", "OCPP 1.6"
        V201 = "2.0.1", "OCPP 2.0.1"
        V21 = "2.1", "OCPP 2.1"

    station_id = models.CharField(_("station id"), max_length=48, unique=True)
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stations",
        verbose_name=_("site"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.CAR)
    vendor = models.CharField(_("vendor"), max_length=50, blank=True)
    model = models.CharField(_("model"), max_length=50, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=50, blank=True)
    firmware_version = models.CharField(_("firmware"), max_length=50, blank=True)
    iccid = models.CharField("ICCID", max_length=20, blank=True)
    imsi = models.CharField("IMSI", max_length=20, blank=True)
    meter_type = models.CharField(_("meter type"), max_length=25, blank=True)
    meter_serial_number = models.CharField(_("meter serial"), max_length=25, blank=True)
    ocpp_version = models.CharField(_("OCPP version"), max_length=8, choices=Version, blank=True)
    registration_status = models.CharField(
        _("registration"),
        max_length=10,
        choices=Registration,
        default=Registration.ACCEPTED,
    )
    password = models.CharField(_("password (hashed)"), max_length=200, blank=True)
    # Password rotation (stations.services.passwords): the one being sent to the station, and
    # the replaced one, accepted until the station first connects with the new one.
    password_pending = models.CharField(max_length=200, blank=True, editable=False)
    password_previous = models.CharField(max_length=200, blank=True, editable=False)
    # What connector 0 / the station as a whole last reported.
    status = models.CharField(_("status"), max_length=20, blank=True)
    error_code = models.CharField(_("error code"), max_length=50, blank=True)
    status_since = models.DateTimeField(_("status since"), null=True, blank=True)
    connected = models.BooleanField(_("connected"), default=False)
    # The channel name of the socket that holds the station, so an old socket's
    # late disconnect never marks a newer connection offline.
    connection_channel = models.CharField(max_length=200, blank=True, editable=False)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_boot_at = models.DateTimeField(_("last boot"), null=True, blank=True)
    firmware_status = models.CharField(_("firmware status"), max_length=40, blank=True)
    diagnostics_status = models.CharField(_("diagnostics status"), max_length=40, blank=True)
    log_status = models.CharField(_("log upload status"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["station_id"]
        verbose_name = _("charging station")
        verbose_name_plural = _("charging stations")

    def __str__(self) -> str:
        return self.station_id

    @property
    def group_name(self) -> str:
        """Channel-layer group of the socket holding this station (ASCII, from the pk)."""
        return f"station.{self.pk}"

    def set_password(self, raw: str | None) -> None:
        """A password set by hand replaces any rotation's pending and previous ones."""
        self.password = make_password(raw, hasher="station_pbkdf2_sha256") if raw else ""
        self.password_pending = self.password_previous = ""

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)


class Connector(models.Model):
    """A plug: the 1.6 connector id, or a 2.0.1 EVSE id plus connector id."""

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="connectors"
    )
    connector_id = models.PositiveIntegerField(_("connector"))
    evse_id = models.PositiveIntegerField(_("EVSE"), null=True, blank=True)
    evse_connector_id = models.PositiveIntegerField(_("connector on EVSE"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, default="Unavailable")
    error_code = models.CharField(_("error code"), max_length=50, default="NoError")
    info = models.CharField(_("info"), max_length=50, blank=True)
    vendor_error_code = models.CharField(max_length=50, blank=True)
    status_since = models.DateTimeField(_("status since"), default=timezone.now)
    max_power_w = models.PositiveIntegerField(_("maximum power (W)"), null=True, blank=True)

    class Meta:
        ordering = ["station", "connector_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "connector_id"], name="connector_unique_per_station"
            )
        ]
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")

    def __str__(self) -> str:
        return f"{self.station.station_id}/{self.connector_id}"


class IdToken(models.Model):
    class Type(models.TextChoices):
        ISO14443 = "ISO14443"
        ISO15693 = "ISO15693"
        EMAID = "eMAID"
        KEY_CODE = "KeyCode"
        LOCAL = "Local"
        MAC_ADDRESS = "MacAddress"
        CENTRAL = "Central"
        NO_AUTHORIZATION = "NoAuthorization"

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        BLOCKED = "blocked", _("Blocked")
        EXPIRED = "expired", _("Expired")
        INVALID = "invalid", _("Invalid")

    # 2.1 idTokens hold up to 255 characters (1.6 idTags 20, 2.0.1 36).
    value = models.CharField(_("value"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=16, choices=Type, default=Type.ISO14443)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACCEPTED)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("parent (group)"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="id_tokens",
        verbose_name=_("owner"),
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value"]
        constraints = [
            # OCPP compares id tokens without regard to case.
            models.UniqueConstraint(Upper("value"), name="id_token_value_unique_any_case")
        ]
        verbose_name = _("ID token")
        verbose_name_plural = _("ID tokens")

    def __str__(self) -> str:
        return self.value

    def effective_status(self, now=None) -> str:
        """The status a station should be told: a past expiry answers Expired."""
        now = now or timezone.now()
        if self.status == self.Status.ACCEPTED and self.expires_at and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.status


class ChargingSession(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="sessions")
    connector = models.ForeignKey(
        Connector,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    id_token = models.ForeignKey(
        IdToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    # The token value as the station sent it, kept even when the token is unknown.
    id_tag = models.CharField(_("ID tag"), max_length=255, blank=True)
    stop_id_tag = models.CharField(_("stopped by"), max_length=255, blank=True)
    # 1.6: CSMS-assigned integer (as text); 2.0.1: the station's string id. NULL (not
    # "") for a stop of an unknown transaction, so the per-station uniqueness holds.
    transaction_id = models.CharField(  # noqa: DJ001
        _("transaction id"), max_length=36, null=True, blank=True
    )
    # A StopTransaction for a transaction ChargeNet never saw keeps the id it named.
    reported_transaction_id = models.CharField(max_length=36, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=State, default=State.ACTIVE, db_index=True
    )
    started_at = models.DateTimeField(_("started"), db_index=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    meter_start_wh = models.BigIntegerField(_("meter start (Wh)"), default=0)
    meter_stop_wh = models.BigIntegerField(_("meter stop (Wh)"), null=True, blank=True)
    meter_last_wh = models.BigIntegerField(_("latest meter (Wh)"), null=True, blank=True)
    energy_wh = models.BigIntegerField(_("energy (Wh)"), default=0)
    power_w = models.IntegerField(_("power now (W)"), null=True, blank=True)
    stop_reason = models.CharField(_("stop reason"), max_length=40, blank=True)
    reservation_id = models.IntegerField(null=True, blank=True)
    remote_start_id = models.IntegerField(null=True, blank=True)
    # What the vehicle is doing now (Charging, SuspendedEV, ...), kept while active.
    charging_state = models.CharField(_("charging state"), max_length=20, blank=True)
    # Sanity problems noticed in what the station sent, e.g. "meter_backwards".
    flags = models.JSONField(_("flags"), default=list, blank=True)
    price_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    price_currency = models.CharField(max_length=3, blank=True)
    price_lines = models.JSONField(default=list, blank=True)
    # Suspected stuck (the station rebooted or its connector became Available): closed
    # by stations.services.reconcile after this moment unless the station continues it first.
    reconcile_after = models.DateTimeField(_("reconcile after"), null=True, blank=True)
    reconcile_reason = models.CharField(_("reconcile reason"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "transaction_id"],
                name="session_transaction_unique_per_station",
            )
        ]
        indexes = [
            models.Index(fields=["station", "state"]),
            # The reconcile job reads only the few marked sessions.
            models.Index(
                fields=["reconcile_after"],
                name="session_reconcile_due",
                condition=models.Q(reconcile_after__isnull=False),
            ),
        ]
        verbose_name = _("charging session")
        verbose_name_plural = _("charging sessions")

    def __str__(self) -> str:
        return f"{self.station.station_id} #{self.transaction_id or self.pk}"

    def add_flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags = [*self.flags, flag]


class MeterSample(models.Model):
    """One sampled value, normalised to Wh, W, A, V, var, Hz or %."""

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="meter_samples"
    )
    connector_id = models.PositiveIntegerField(default=0)
    session = models.ForeignKey(
        ChargingSession,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="samples",
    )
    timestamp = models.DateTimeField()
    measurand = models.CharField(max_length=50)
    phase = models.CharField(max_length=8, blank=True)
    location = models.CharField(max_length=8, blank=True)
    context = models.CharField(max_length=24, blank=True)
    value = models.DecimalField(max_digits=20, decimal_places=4)
    unit = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["timestamp"]
        constraints = [
            # A replayed MeterValues inserts nothing twice.
            models.UniqueConstraint(
                fields=[
                    "station",
                    "connector_id",
                    "timestamp",
                    "measurand",
                    "phase",
                    "location",
                    "context",
                ],
                name="meter_sample_unique",
            )
        ]
        indexes = [
            models.Index(fields=["session", "timestamp"]),
            models.Index(fields=["timestamp"]),
        ]
        verbose_name = _("meter sample")
        verbose_name_plural = _("meter samples")

    def __str__(self) -> str:
        return f"{self.measurand} {self.value} {self.unit}"


class SessionMeterSummary(models.Model):
    """What a session's pruned meter samples said, rolled up (stations.services.retention).

    Energy is the whole-meter register (it only counts up, so the lowest and highest
    readings are the first and last); power the whole-meter active import.
    """

    session = models.OneToOneField(
        ChargingSession, on_delete=models.CASCADE, related_name="meter_summary"
    )
    sample_count = models.BigIntegerField(_("samples"), default=0)
    first_at = models.DateTimeField(_("first sample"))
    last_at = models.DateTimeField(_("last sample"))
    energy_first_wh = models.BigIntegerField(_("first energy (Wh)"), null=True, blank=True)
    energy_last_wh = models.BigIntegerField(_("last energy (Wh)"), null=True, blank=True)
    power_max_w = models.IntegerField(_("maximum power (W)"), null=True, blank=True)
    power_avg_w = models.IntegerField(_("average power (W)"), null=True, blank=True)
    # Kept so that a later roll-up merges the average exactly.
    power_samples = models.BigIntegerField(default=0)
    power_sum_w = models.DecimalField(max_digits=28, decimal_places=4, default=0)
    current_max_a = models.DecimalField(
        _("maximum current (A)"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("session meter summary")
        verbose_name_plural = _("session meter summaries")

    def __str__(self) -> str:
        return f"{self.session_id}: {self.sample_count} samples"


class OcppMessage(models.Model):
    """One OCPP-J frame in or out, kept OCPP_MESSAGE_RETENTION_DAYS for diagnosis."""

    class Direction(models.TextChoices):
        IN = "in", _("station → ChargeNet")
        OUT = "out", _("ChargeNet → station")

    station = models.ForeignKey(
        ChargingStation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    direction = models.CharField(max_length=3, choices=Direction)
    message_type = models.PositiveSmallIntegerField(null=True, blank=True)
    action = models.CharField(max_length=60, blank=True)
    unique_id = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    payload = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["station", "-created_at"]),
            models.Index(fields=["created_at"]),
        ]
        verbose_name = _("OCPP message")
        verbose_name_plural = _("OCPP messages")

    def __str__(self) -> str:
        return f"{self.direction} {self.action or self.message_type} {self.unique_id}"


class StationEvent(models.Model):
    """A notification an operator should see: firmware, diagnostics, security, data."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, db_index=True)
    status = models.CharField(max_length=60, blank=True)
    timestamp = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["station", "-timestamp"])]
        verbose_name = _("station event")
        verbose_name_plural = _("station events")

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"


class SessionEvent(models.Model):
    """One transaction event of a session, by the station's sequence number.

    Keeps replays from being applied twice and lets late events be applied in order.
    """

    session = models.ForeignKey(ChargingSession, on_delete=models.CASCADE, related_name="events")
    seq_no = models.PositiveIntegerField()
    event_type = models.CharField(max_length=10)  # Started | Updated | Ended
    timestamp = models.DateTimeField()
    trigger_reason = models.CharField(max_length=40, blank=True)
    charging_state = models.CharField(max_length=20, blank=True)
    offline = models.BooleanField(default=False)
    id_tag = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "seq_no"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq_no"], name="session_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.seq_no}"


class DeviceModelVariable(models.Model):
    """A station's reported configuration: one attribute of one component variable.

    OCPP 2.0.1 reports a device model (component, variable, attribute type); a 1.6
    configuration key is kept as the variable of a component named after the version.
    """

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="device_model"
    )
    component = models.CharField(max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    # 0: the component is not specific to one EVSE / connector.
    evse_id = models.PositiveIntegerField(default=0)
    connector_id = models.PositiveIntegerField(default=0)
    variable = models.CharField(max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    attribute_type = models.CharField(max_length=10, default="Actual")
    value = models.TextField(blank=True)
    mutability = models.CharField(max_length=10, blank=True)
    data_type = models.CharField(max_length=20, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["component", "component_instance", "variable", "variable_instance"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "station",
                    "component",
                    "component_instance",
                    "evse_id",
                    "connector_id",
                    "variable",
                    "variable_instance",
                    "attribute_type",
                ],
                name="device_model_variable_unique",
            )
        ]
        verbose_name = _("device model variable")
        verbose_name_plural = _("device model")

    def __str__(self) -> str:
        return f"{self.component}.{self.variable} = {self.value}"


class Command(models.Model):
    """A CSMS-initiated call to a station (reset, remote start, ...) and its outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        TIMEOUT = "timeout", _("Timed out")
        OFFLINE = "offline", _("Station offline")

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="commands")
    action = models.CharField(_("action"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    ocpp_action = models.CharField(_("OCPP message"), max_length=60, blank=True)
    response = models.JSONField(_("station's answer"), null=True, blank=True)
    error = models.JSONField(_("error"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="station_commands",
    )
    # The session a remote start led to.
    session = models.ForeignKey(
        ChargingSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commands",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "-created_at"])]
        verbose_name = _("command")
        verbose_name_plural = _("commands")

    def __str__(self) -> str:
        return f"{self.action} → {self.station.station_id}: {self.status}"


# --- what operators ask stations to hold: reservations, local lists, profiles -------


class ReservationQuerySet(models.QuerySet):
    def active(self, now=None):
        """Reservations that hold their connector now: asked for or accepted, not expired.

        A reservation whose ReserveNow timed out stays "requested": the station may hold
        it, so ChargeNet keeps honouring it until it expires.
        """
        return self.filter(
            status__in=[Reservation.Status.REQUESTED, Reservation.Status.ACCEPTED],
            expires_at__gt=now or timezone.now(),
        )


class Reservation(models.Model):
    """A connector (or, with no connector, any connector of a station) kept for a token.

    Its primary key is the reservationId sent to the station.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        USED = "used", _("Used")

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="reservations"
    )
    connector = models.ForeignKey(
        Connector,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reservations",
        help_text=_("Empty: any connector of the station (connector 0)."),
    )
    id_token = models.ForeignKey(
        IdToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="reservations"
    )
    # The token value as sent, kept if the token is deleted.
    id_tag = models.CharField(_("ID tag"), max_length=36)
    expires_at = models.DateTimeField(_("expires"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.REQUESTED, db_index=True
    )
    command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session = models.ForeignKey(
        ChargingSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reservations",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReservationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "status", "expires_at"])]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")

    def __str__(self) -> str:
        where = self.connector or f"{self.station.station_id}/*"
        return f"#{self.pk} {where} for {self.id_tag}"


class LocalAuthList(models.Model):
    """The local authorisation list a station holds, as ChargeNet last sent it."""

    station = models.OneToOneField(
        ChargingStation, on_delete=models.CASCADE, related_name="local_list"
    )
    # The list version the station accepted last; 0: no list sent yet.
    version = models.IntegerField(_("list version"), default=0)
    # value -> {"status", "expires_at", "parent", "type"}: what the station holds, so
    # a differential update sends only what changed since.
    entries = models.JSONField(default=dict, blank=True)
    needs_sync = models.BooleanField(_("needs sync"), default=False, db_index=True)
    last_status = models.CharField(_("last answer"), max_length=20, blank=True)
    last_command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    synced_at = models.DateTimeField(_("synchronised"), null=True, blank=True)

    class Meta:
        verbose_name = _("local authorisation list")
        verbose_name_plural = _("local authorisation lists")

    def __str__(self) -> str:
        return f"{self.station_id} v{self.version}"


class ChargingProfile(models.Model):
    """A charging profile ChargeNet set on a station, and what the station answered.

    One row per (station, profile id): setting a profile with the same id replaces it
    on the station (OCPP 1.6 §3.13.2, 2.0.1 K01.FR.05), and here.
    """

    class Purpose(models.TextChoices):
        TX_DEFAULT = "tx_default", "TxDefaultProfile"
        TX = "tx", "TxProfile"
        MAX = "max", "ChargePointMaxProfile"

    class Kind(models.TextChoices):
        ABSOLUTE = "absolute", _("Absolute")
        RECURRING = "recurring", _("Recurring")
        RELATIVE = "relative", _("Relative")

    class Recurrency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    class Unit(models.TextChoices):
        W = "W", _("Watts")
        A = "A", _("Amperes")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        TIMEOUT = "timeout", _("Timed out")
        OFFLINE = "offline", _("Station offline")
        CLEARED = "cleared", _("Cleared")

    class Source(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        LOAD_MANAGEMENT = "load_management", _("Site power limit")

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="charging_profiles"
    )
    connector = models.ForeignKey(
        Connector,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="charging_profiles",
        help_text=_("Empty: the whole station (connector 0 / EVSE 0)."),
    )
    profile_id = models.PositiveIntegerField(_("profile id"))
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose)
    stack_level = models.PositiveIntegerField(_("stack level"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.ABSOLUTE)
    recurrency = models.CharField(_("recurrency"), max_length=8, choices=Recurrency, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    transaction_id = models.CharField(_("transaction id"), max_length=36, blank=True)
    unit = models.CharField(_("unit"), max_length=1, choices=Unit, default=Unit.W)
    # [{"start_period": seconds, "limit": W or A, "number_phases": n?}], sorted, from 0.
    periods = models.JSONField(_("schedule periods"), default=list)
    duration = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    start_schedule = models.DateTimeField(_("schedule start"), null=True, blank=True)
    min_rate = models.DecimalField(
        _("minimum rate"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.REQUESTED, db_index=True
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source, default=Source.OPERATOR, db_index=True
    )
    # The session a TxProfile limits (load management).
    session = models.ForeignKey(
        ChargingSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="charging_profiles",
    )
    command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clear_command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["station", "profile_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "profile_id"], name="charging_profile_unique_per_station"
            )
        ]
        verbose_name = _("charging profile")
        verbose_name_plural = _("charging profiles")

    def __str__(self) -> str:
        return f"{self.station.station_id} profile {self.profile_id} ({self.purpose})"


class DiagnosticsUpload(models.Model):
    """Where a station uploads the file a get_diagnostics command asked for."""

    command = models.OneToOneField(Command, on_delete=models.CASCADE, related_name="upload")
    # Part of the upload URL: whoever knows it may upload, so it is unguessable.
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to="diagnostics/%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("diagnostics upload")
        verbose_name_plural = _("diagnostics uploads")

    def __str__(self) -> str:
        return self.filename or f"upload for command {self.command_id}"
