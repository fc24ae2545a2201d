"""What reliability keeps: connectivity periods, the central system's liveness,
operators' exclusions and sites' opening hours."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.models.reports import ReportRun


class ConnectivityPeriod(models.Model):
    """A station was connected from `started_at` until `ended_at` (open: still is)."""

    station = models.ForeignKey(
        "stations.ChargingStation", on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(_("connected"))
    ended_at = models.DateTimeField(_("disconnected"), null=True, blank=True)

    class Meta:
        ordering = ["station", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["station"], condition=Q(ended_at__isnull=True), name="connectivity_one_open"
            )
        ]
        indexes = [models.Index(fields=["station", "started_at"])]
        verbose_name = _("connectivity period")
        verbose_name_plural = _("connectivity periods")

    def __str__(self) -> str:
        return f"{self.station_id}: {self.started_at:%Y-%m-%d %H:%M} – {self.ended_at or ''}"


class CentralSystemRun(models.Model):
    """ChargeNet was up from `started_at` to at least `alive_at`.

    A periodic task extends the newest run while it is fresh and starts a new one
    after a gap: the time between two runs is time ChargeNet itself was down.
    """

    started_at = models.DateTimeField(_("from"))
    alive_at = models.DateTimeField(_("alive at"))

    class Meta:
        ordering = ["started_at"]
        verbose_name = _("central system run")
        verbose_name_plural = _("central system runs")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} – {self.alive_at:%Y-%m-%d %H:%M}"


class Exclusion(models.Model):
    """Time an operator excludes from a port's outages, with its reason.

    It covers one connector, a whole station (no connector) or every station of a
    site (no station). Whether a reason counts depends on the method (`uptime.ALLOWED`).
    """

    class Reason(models.TextChoices):
        PLANNED_MAINTENANCE = "planned_maintenance", _("Planned maintenance")
        VANDALISM = "vandalism", _("Vandalism")
        GRID_OUTAGE = "grid_outage", _("Grid outage")
        NATURAL_DISASTER = "natural_disaster", _("Natural disaster")
        VEHICLE_FAULT = "vehicle_fault", _("Vehicle fault")
        OTHER = "other", _("Other")

    site = models.ForeignKey(
        "stations.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    station = models.ForeignKey(
        "stations.ChargingStation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    connector_id = models.PositiveIntegerField(_("connector"), null=True, blank=True)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=24, choices=Reason)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="exclusion_ends"),
            models.CheckConstraint(
                condition=Q(site__isnull=False) | Q(station__isnull=False),
                name="exclusion_has_scope",
            ),
        ]
        verbose_name = _("outage exclusion")
        verbose_name_plural = _("outage exclusions")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.start:%Y-%m-%d %H:%M} – {self.end:%H:%M}"


class OpeningHours(models.Model):
    """A site is open on `weekday` (0 Monday) from `opens` to `closes`, local time.

    A site without rows is open around the clock; `closes` at or before `opens` runs
    past midnight.
    """

    site = models.ForeignKey("stations.Site", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (i, d)
            for i, d in enumerate(
                [
                    _("Monday"),
                    _("Tuesday"),
                    _("Wednesday"),
                    _("Thursday"),
                    _("Friday"),
                    _("Saturday"),
                    _("Sunday"),
                ]
            )
        ],
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["site", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class UptimeReport(ReportRun):
    """One reliability report: what was asked, how far it got, and its files.

    `monthly`: uptime per port and station for a month and the trailing twelve months,
    outages and failed sessions; `intervals`: each port's state per 15 minutes.
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Uptime, month and trailing 12 months")
        INTERVALS = "intervals", _("Status per 15 minutes")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.MONTHLY)
    csv_file = models.FileField(_("CSV"), upload_to="reliability/%Y/%m/", blank=True)
    xlsx_file = models.FileField(_("XLSX"), upload_to="reliability/%Y/%m/", blank=True)

    class Meta(ReportRun.Meta):
        verbose_name = _("uptime report")
        verbose_name_plural = _("uptime reports")


class Alarm(models.Model):
    """Something an operator must look at: raised once, cleared when its cause ends.

    One alarm of a kind is open per station and connector (0: the station itself).
    """

    class Kind(models.TextChoices):
        OFFLINE = "station_offline", _("Station offline")
        FAULTED = "connector_faulted", _("Connector faulted")
        FAILED_SESSIONS = "failed_sessions", _("Sessions failing in a row")
        OVERLOAD = "overload", _("Overload")
        OVERTEMPERATURE = "overtemperature", _("Over-temperature")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    station = models.ForeignKey(
        "stations.ChargingStation", on_delete=models.CASCADE, related_name="+"
    )
    connector_id = models.PositiveIntegerField(_("connector"), default=0)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised"))
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "station", "connector_id"],
                condition=Q(cleared_at__isnull=True),
                name="alarm_one_open",
            )
        ]
        indexes = [models.Index(fields=["cleared_at", "-raised_at"])]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.station_id}/{self.connector_id}"
