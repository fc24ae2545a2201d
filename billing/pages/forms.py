"""Forms of the Billing section; each cleans its input into what one service call takes."""

import zoneinfo
from datetime import datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import OperatorProfile, Tariff
from billing.pricing import is_currency
from stations.models import ChargingStation, Connector, Site

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
MAX_PREVIEW_MINUTES = 7 * 24 * 60


class TariffForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = [
            "name",
            "description",
            "currency",
            "tax_rate_percent",
            "is_default",
            "energy_price_per_kwh",
            "time_price_per_hour",
            "time_block_minutes",
            "session_fee",
            "idle_price_per_minute",
            "idle_grace_minutes",
            "idle_fee_cap",
            "minimum_price",
            "maximum_price",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class AssignForm(forms.Form):
    """Exactly one of a site, a station or a connector."""

    site = forms.ModelChoiceField(Site.objects.all(), required=False, label=_("Site"))
    station = forms.ModelChoiceField(
        ChargingStation.objects.all(), required=False, label=_("Station")
    )
    connector = forms.ModelChoiceField(
        Connector.objects.select_related("station").order_by("station__station_id", "connector_id"),
        required=False,
        label=_("Connector"),
    )

    def clean(self) -> dict:
        data = super().clean()
        chosen = [name for name in ("site", "station", "connector") if data.get(name)]
        if len(chosen) != 1:
            raise forms.ValidationError(_("Choose exactly one site, station or connector."))
        return data

    def target(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v}


def _next_saturday_evening() -> datetime:
    today = timezone.now().date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    return datetime.combine(saturday, time(18, 0))


class PreviewForm(forms.Form):
    """'A 45-minute, 12 kWh session starting at 18:00 on a Saturday' (local time)."""

    start = forms.DateTimeField(
        label=_("Starting at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=1, max_value=MAX_PREVIEW_MINUTES, initial=45
    )
    kwh = forms.DecimalField(
        label=_("Energy (kWh)"),
        min_value=Decimal(0),
        max_value=Decimal(10_000),
        decimal_places=3,
        initial=Decimal(12),
    )
    site = forms.ModelChoiceField(
        Site.objects.all(),
        required=False,
        label=_("Site"),
        empty_label=_("UTC"),
        help_text=_("Whose time zone the start is in (time-of-use prices follow it)."),
    )

    @classmethod
    def initial_values(cls) -> dict:
        return {"start": _next_saturday_evening(), "minutes": 45, "kwh": Decimal(12)}

    def zone_name(self) -> str:
        site = self.cleaned_data.get("site")
        return site.timezone if site else "UTC"

    def start_at(self) -> datetime:
        """The start as an aware time in the chosen site's zone."""
        naive = timezone.make_naive(self.cleaned_data["start"], timezone.get_current_timezone())
        return naive.replace(tzinfo=zoneinfo.ZoneInfo(self.zone_name()))

    def energy_wh(self) -> int:
        return int(self.cleaned_data["kwh"] * 1000)


class OperatorProfileForm(forms.ModelForm):
    class Meta:
        model = OperatorProfile
        fields = [
            "name",
            "address",
            "tax_id",
            "registration_number",
            "email",
            "phone",
            "bank_account",
            "payment_terms_days",
            "timezone",
            "logo",
            "footer",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "footer": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_timezone(self) -> str:
        name = self.cleaned_data["timezone"].strip()
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise forms.ValidationError(_("This is not a time zone.")) from error
        return name


class IssueSessionForm(forms.Form):
    session = forms.IntegerField(label=_("Session number"), min_value=1)


class IssueMonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


class CreditNoteForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class TopUpForm(forms.Form):
    driver = forms.ModelChoiceField(
        get_user_model().objects.filter(is_staff=False, is_active=True).order_by("username"),
        label=_("Driver"),
    )
    amount = forms.DecimalField(
        label=_("Amount"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].upper()
        if not is_currency(code):
            raise forms.ValidationError(_("Not an ISO 4217 currency code."))
        return code
