"""Reservations: a connector, or any connector of a station, kept for an ID token."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.commands import Command
from stations.models.network import ChargingStation, Connector
from stations.models.sessions import ChargingSession
from stations.models.tokens import IdToken


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
    # OCPP 2.x ReserveNow connectorType: any connector of this type (of the connector's
    # EVSE, if one is named). 1.6 has no connector types.
    connector_type = models.CharField(
        _("connector type"),
        max_length=20,
        blank=True,
        help_text=_("e.g. cType2, cCCS2; empty: any type."),
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
        kind = f" ({self.connector_type})" if self.connector_type else ""
        return f"#{self.pk} {where}{kind} for {self.id_tag}"
