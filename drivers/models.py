"""What a driver tells about themselves: name and address for invoices, language, time zone."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(_("%(zone)s is not a time zone."), params={"zone": name}) from error


class DriverProfile(models.Model):
    """One per driver, made on first use; invoices copy it when they are issued."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="driver_profile",
        verbose_name=_("driver"),
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_zone],
        help_text=_("Times without a site are shown in it, e.g. Europe/Berlin."),
    )

    class Meta:
        verbose_name = _("driver profile")
        verbose_name_plural = _("driver profiles")

    def __str__(self) -> str:
        return self.full_name or self.user.get_username()

    @property
    def address(self) -> str:
        """The postal address as lines, for an invoice."""
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        return "\n".join(p for p in (self.company, self.street, place, self.country) if p)
