"""The network's shape: sites, the charging stations on them, their connectors.

Energy is integer Wh, power W, times aware UTC. Nothing here knows which OCPP
version a station speaks beyond the version label stored on the station.
"""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
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

    class SecurityProfile(models.IntegerChoices):
        BASIC = 1, _("1: HTTP Basic")
        TLS_BASIC = 2, _("2: TLS with HTTP Basic")
        TLS_CLIENT_CERTIFICATE = 3, _("3: TLS with a client certificate")

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
    # Profile 3: the balancer verified the station's client certificate and its common
    # name must be the station id (stations/services/handshake.py).
    security_profile = models.PositiveSmallIntegerField(
        _("security profile"), choices=SecurityProfile, default=SecurityProfile.BASIC
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
    # The lease (ServerLease.name) of the process holding that socket: once the lease
    # expires (the process died), the station is marked offline.
    connection_process = models.CharField(max_length=120, blank=True, editable=False)
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
