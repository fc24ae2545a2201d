"""Roaming parties (the eMSPs connected over OCPI), what ChargeNet sent them, and which
sites are published.

Tokens follow OCPI 2.2.1's credentials module: token A is issued here by an operator
and lets the party register once; token B is the party's, used by ChargeNet to call it;
token C is issued here at registration and is the party's credential from then on.
"""

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    # OCPI's CiString(64): printable ASCII; URL-safe base64 of 36 random bytes is 48.
    return secrets.token_urlsafe(36)


class Party(models.Model):
    """One connected platform (an eMSP), from the token A an operator issues to the
    registration's end."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for registration")
        REGISTERED = "registered", _("Registered")
        UNREGISTERED = "unregistered", _("Unregistered")

    name = models.CharField(_("name"), max_length=100)
    # What the party said of itself at registration (its first role's).
    country_code = models.CharField(_("country code"), max_length=2, blank=True)
    party_id = models.CharField(_("party id"), max_length=3, blank=True)
    role = models.CharField(_("role"), max_length=10, blank=True)
    roles = models.JSONField(_("roles"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    versions_url = models.URLField(_("their versions URL"), max_length=255, blank=True)
    version = models.CharField(_("version"), max_length=10, blank=True)
    endpoints = models.JSONField(
        _("their endpoints"),
        default=list,
        blank=True,
        help_text=_("The party's 2.2.1 endpoints: identifier, role, url."),
    )
    token_a = models.CharField(
        _("token A"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    token_b = models.CharField(_("token B (theirs)"), max_length=64, blank=True, editable=False)
    token_c = models.CharField(
        _("token C (ours)"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    #: Held by the one task sending this party's deliveries (ocpi/pushes.py).
    pushing_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("roaming party")
        verbose_name_plural = _("roaming parties")

    def __str__(self) -> str:
        if self.country_code and self.party_id:
            return f"{self.name} ({self.country_code}*{self.party_id})"
        return self.name

    def endpoint(self, identifier: str, role: str = "RECEIVER") -> str | None:
        """The party's URL of a module in a role, or None if it offers none."""
        for entry in self.endpoints:
            if entry.get("identifier") == identifier and entry.get("role", role) == role:
                return entry.get("url")
        return None


class Delivery(models.Model):
    """One outgoing OCPI call to a party: pushed in order per party, retried with
    backoff, logged."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RETRYING = "retrying"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="deliveries")
    request_id = models.UUIDField(default=uuid.uuid4, editable=False)
    module = models.CharField(max_length=20)
    method = models.CharField(max_length=6)
    url = models.URLField(max_length=500)
    body = models.TextField(blank=True, default="")
    # A call that is made once only (a CDR is final): a second one is never stored.
    once = models.CharField(max_length=100, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_ocpi_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["party", "status", "id"])]
        verbose_name = _("OCPI delivery")
        verbose_name_plural = _("OCPI deliveries")

    def __str__(self) -> str:
        return f"{self.method} {self.module} → {self.party_id} ({self.status})"


class SitePublication(models.Model):
    """What OCPI and the open-data feed say of a site, and whether they say it at all."""

    site = models.OneToOneField(
        "stations.Site", on_delete=models.CASCADE, related_name="ocpi_publication"
    )
    published = models.BooleanField(
        _("published"),
        default=False,
        help_text=_("Shown to roaming parties and in the public open-data feed."),
    )
    location_id = models.CharField(_("OCPI location id"), max_length=36, unique=True)
    address = models.CharField(_("street address"), max_length=45)
    city = models.CharField(_("city"), max_length=45)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    country = models.CharField(_("country (ISO 3166 alpha-3)"), max_length=3)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site publication")
        verbose_name_plural = _("site publications")

    def __str__(self) -> str:
        return f"{self.site} ({'published' if self.published else 'hidden'})"


class Token(models.Model):
    """A party's token (OCPI Token object, the eMSP's driver's card or app), as the
    party PUT it; used to authorise that driver at ChargeNet's stations."""

    class Whitelist(models.TextChoices):
        ALWAYS = "ALWAYS"
        ALLOWED = "ALLOWED"
        ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
        NEVER = "NEVER"

    owner = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="tokens")
    country_code = models.CharField(max_length=2)
    party_id = models.CharField(max_length=3)
    uid = models.CharField(max_length=36)
    type = models.CharField(max_length=20)
    contract_id = models.CharField(max_length=36)
    issuer = models.CharField(max_length=64)
    valid = models.BooleanField()
    whitelist = models.CharField(max_length=16, choices=Whitelist.choices)
    data = models.JSONField(help_text="The Token object as the party last sent it.")
    last_updated = models.DateTimeField()

    class Meta:
        ordering = ["country_code", "party_id", "uid"]
        constraints = [
            models.UniqueConstraint(
                fields=["country_code", "party_id", "uid", "type"], name="ocpi_token_unique"
            )
        ]
        indexes = [models.Index(fields=["uid"])]
        verbose_name = _("roaming token")
        verbose_name_plural = _("roaming tokens")

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.uid} ({self.type})"


class Reservation(models.Model):
    """A party's RESERVE_NOW: its reservation id and the OCPP one the station holds
    (OCPP_RESERVATION_BASE + pk, apart from the ids of ChargeNet's own reservations)."""

    OCPP_RESERVATION_BASE = 1_000_000_000

    owner = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="reservations")
    reservation_id = models.CharField(max_length=36)
    station = models.ForeignKey("stations.ChargingStation", on_delete=models.CASCADE)
    # Carried into the Session and CDR of the session that uses the reservation.
    authorization_reference = models.CharField(max_length=36, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "reservation_id"], name="ocpi_reservation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}:{self.reservation_id}"

    @property
    def ocpp_id(self) -> int:
        return self.OCPP_RESERVATION_BASE + self.pk


class SessionAuthorization(models.Model):
    """How a roaming driver's token was authorised (OCPI's auth_method, and the eMSP's
    authorization_reference): recorded when
    ChargeNet authorises it or accepts a START_SESSION, pending until the session it led
    to starts at that station, then that session's (ocpi/sessions.py binds it)."""

    class Method(models.TextChoices):
        AUTH_REQUEST = "AUTH_REQUEST"  # the eMSP asked in real time
        COMMAND = "COMMAND"  # a START_SESSION
        WHITELIST = "WHITELIST"  # the token the eMSP sent, stored here

    token = models.ForeignKey(Token, on_delete=models.CASCADE, related_name="authorizations")
    station = models.ForeignKey(
        "stations.ChargingStation", null=True, blank=True, on_delete=models.CASCADE
    )
    method = models.CharField(max_length=12, choices=Method.choices)
    # The eMSP's authorization_reference (START_SESSION, real-time AuthorizationInfo):
    # the session's and CDR's must be the same.
    reference = models.CharField(max_length=36, blank=True)
    session = models.OneToOneField(
        "stations.ChargingSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ocpi_authorization",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One pending authorization per token, station and method: rewritten, not piled up.
            models.UniqueConstraint(
                fields=["token", "station", "method"],
                condition=models.Q(session__isnull=True),
                name="ocpi_authorization_pending_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.token_id}: {self.method} ({self.session_id or 'pending'})"
