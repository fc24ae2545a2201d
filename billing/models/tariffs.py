"""Tariffs: prices in a currency with a tax rate, assigned to a site, station or connector."""

from datetime import time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.pricing import PowerTier, TariffSpec, TimeOfUseRule, is_currency

NON_NEGATIVE = [MinValueValidator(Decimal(0))]
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def price_field(label: str, *, null: bool = False, help_text: str = "") -> models.DecimalField:
    """A net price in the tariff's currency, with room for sub-cent unit prices."""
    return models.DecimalField(
        label,
        max_digits=12,
        decimal_places=5,
        validators=NON_NEGATIVE,
        default=None if null else Decimal(0),
        null=null,
        blank=null,
        help_text=help_text,
    )


def validate_currency(code: str) -> None:
    if not is_currency(code):
        message = _("%(code)s is not an ISO 4217 currency code.")
        raise ValidationError(message, params={"code": code})


def validate_weekdays(value: str) -> None:
    if not value or any(ch not in "0123456" for ch in value) or len(set(value)) != len(value):
        raise ValidationError(_("Weekdays are digits 0 (Monday) to 6 (Sunday), each once."))


class Tariff(models.Model):
    """What a session costs; prices are net of tax. Components priced 0 are not charged."""

    class TimeUnit(models.IntegerChoices):
        MINUTE = 1, _("per started minute (prorated)")
        QUARTER = 15, _("per started 15 minutes")
        HALF_HOUR = 30, _("per started 30 minutes")
        HOUR = 60, _("per started hour")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, validators=[validate_currency], help_text="ISO 4217, e.g. EUR"
    )
    tax_rate_percent = models.DecimalField(
        _("tax rate (%)"),
        max_digits=6,
        decimal_places=3,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    is_default = models.BooleanField(
        _("default tariff"),
        default=False,
        help_text=_("Prices sessions on connectors, stations and sites without a tariff."),
    )
    energy_price_per_kwh = price_field(_("price per kWh"))
    time_price_per_hour = price_field(_("price per hour of charging time"))
    time_block_minutes = models.PositiveSmallIntegerField(
        _("charging time billed"), choices=TimeUnit, default=TimeUnit.MINUTE
    )
    session_fee = price_field(_("session (start) fee"))
    idle_price_per_minute = price_field(
        _("idle fee per minute"),
        help_text=_("Charged while the car draws no power (SuspendedEV, Finishing)."),
    )
    idle_grace_minutes = models.PositiveIntegerField(_("idle grace period (min)"), default=0)
    idle_fee_cap = price_field(_("idle fee cap"), null=True)
    tier_sustain_seconds = models.PositiveIntegerField(
        _("power tier: sustained for (s)"),
        default=60,
        help_text=_("A power peak counts for the tier only when held this long."),
    )
    prepaid_block_price = price_field(
        _("prepaid block price"),
        null=True,
        help_text=_(
            "With power tiers: sessions are sold as prepaid blocks of this price; a block "
            "lasts price / tier price per hour, and the session is stopped when it runs out."
        ),
    )
    minimum_price = price_field(_("minimum price per session"), null=True)
    maximum_price = price_field(_("maximum price per session"), null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_tariff"
            )
        ]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    def clean(self) -> None:
        minimum, maximum = self.minimum_price, self.maximum_price
        if minimum is not None and maximum is not None and minimum > maximum:
            raise ValidationError({"maximum_price": _("The maximum is below the minimum.")})

    def spec(self) -> TariffSpec:
        """The tariff as plain values for billing.pricing (reads rules and tiers)."""
        return TariffSpec(
            currency=self.currency,
            tax_rate_percent=self.tax_rate_percent,
            name=self.name,
            energy_price_per_kwh=self.energy_price_per_kwh,
            time_price_per_hour=self.time_price_per_hour,
            time_block_minutes=self.time_block_minutes,
            session_fee=self.session_fee,
            idle_price_per_minute=self.idle_price_per_minute,
            idle_grace_minutes=self.idle_grace_minutes,
            idle_fee_cap=self.idle_fee_cap,
            time_of_use=tuple(rule.spec() for rule in self.time_of_use.all()),
            power_tiers=tuple(tier.spec() for tier in self.power_tiers.all()),
            tier_sustain_seconds=self.tier_sustain_seconds,
            prepaid_block_price=self.prepaid_block_price,
            minimum_price=self.minimum_price,
            maximum_price=self.maximum_price,
        )


class TimeOfUsePrice(models.Model):
    """Prices in force on some weekdays between two times of day, in the site's time zone."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="time_of_use")
    label = models.CharField(_("label"), max_length=40, help_text=_("e.g. Peak, Night"))
    weekdays = models.CharField(
        _("weekdays"),
        max_length=7,
        default="0123456",
        validators=[validate_weekdays],
        help_text=_("Digits 0 (Monday) to 6 (Sunday), e.g. 01234 for Monday to Friday."),
    )
    start_time = models.TimeField(_("from"), default=time(0))
    end_time = models.TimeField(
        _("until"),
        default=time(0),
        help_text=_("At or before 'from': runs past midnight into the next day."),
    )
    energy_price_per_kwh = price_field(_("price per kWh"), null=True)
    time_price_per_hour = price_field(_("price per hour"), null=True)
    position = models.PositiveSmallIntegerField(
        _("priority"), default=0, help_text=_("Where rules overlap, the lowest number wins.")
    )

    class Meta:
        ordering = ["tariff", "position", "id"]
        verbose_name = _("time-of-use price")
        verbose_name_plural = _("time-of-use prices")

    def __str__(self) -> str:
        days = ",".join(WEEKDAY_NAMES[int(d)] for d in sorted(self.weekdays))
        return f"{self.label}: {days} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def spec(self) -> TimeOfUseRule:
        return TimeOfUseRule(
            label=self.label,
            weekdays=frozenset(int(d) for d in self.weekdays),
            start=self.start_time,
            end=self.end_time,
            energy_price_per_kwh=self.energy_price_per_kwh,
            time_price_per_hour=self.time_price_per_hour,
        )


class PowerTierPrice(models.Model):
    """E-bike piles: the hourly price for sessions whose sustained peak is in this tier."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="power_tiers")
    up_to_w = models.PositiveIntegerField(
        _("up to (W)"), null=True, blank=True, help_text=_("Empty for the top tier (no limit).")
    )
    price_per_hour = price_field(_("price per hour"))

    class Meta:
        ordering = ["tariff", models.F("up_to_w").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "up_to_w"], name="power_tier_unique_bound")
        ]
        verbose_name = _("power tier price")
        verbose_name_plural = _("power tier prices")

    def __str__(self) -> str:
        bound = f"≤{self.up_to_w} W" if self.up_to_w is not None else "top tier"
        return f"{bound}: {self.price_per_hour}/h"

    def spec(self) -> PowerTier:
        return PowerTier(up_to_w=self.up_to_w, price_per_hour=self.price_per_hour)


class TariffAssignment(models.Model):
    """A tariff for one site, station or connector; the most specific one wins."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="assignments")
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
    connector = models.ForeignKey(
        "stations.Connector", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(site__isnull=False, station__isnull=True, connector__isnull=True)
                    | Q(site__isnull=True, station__isnull=False, connector__isnull=True)
                    | Q(site__isnull=True, station__isnull=True, connector__isnull=False)
                ),
                name="tariff_assignment_one_target",
            ),
            # NULLs are distinct, so each target has at most one tariff.
            models.UniqueConstraint(fields=["site"], name="tariff_assignment_unique_site"),
            models.UniqueConstraint(fields=["station"], name="tariff_assignment_unique_station"),
            models.UniqueConstraint(
                fields=["connector"], name="tariff_assignment_unique_connector"
            ),
        ]
        verbose_name = _("tariff assignment")
        verbose_name_plural = _("tariff assignments")

    def __str__(self) -> str:
        return f"{self.tariff.name} → {self.target}"

    @property
    def target(self):
        return self.connector or self.station or self.site

    def clean(self) -> None:
        if sum(x is not None for x in (self.site_id, self.station_id, self.connector_id)) != 1:
            raise ValidationError(_("Choose exactly one site, station or connector."))
