"""Forms of the reliability pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reliability.models import Exclusion, UptimeReport
from reliability.uptime import METHODS
from stations.models import ChargingStation, Site

DATE = forms.DateInput(attrs={"type": "date"})
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PeriodForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    method = forms.ChoiceField(
        label=_("Method"),
        required=False,
        choices=[(m, {"nevi": "NEVI", "uk": "UK"}[m]) for m in METHODS],
    )


class ExclusionForm(forms.ModelForm):
    """An exclusion; times are read in the operator's current time zone."""

    class Meta:
        model = Exclusion
        fields = ["station", "connector_id", "site", "start", "end", "reason", "note"]
        widgets = {"start": MOMENT, "end": MOMENT, "note": forms.TextInput()}

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("station") and not data.get("site"):
            raise forms.ValidationError(_("Choose a station or a site."))
        if data.get("connector_id") and not data.get("station"):
            raise forms.ValidationError(_("A connector needs its station."))
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            raise forms.ValidationError(_("The exclusion ends before it starts."))
        return data


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=UptimeReport.Kind.choices)
    period_start = forms.DateField(label=_("From"), widget=DATE)
    period_end = forms.DateField(label=_("Until (inclusive)"), widget=DATE)
    site = forms.ModelChoiceField(
        Site.objects.all(), required=False, label=_("Site"), empty_label=_("All sites")
    )
    station = forms.ModelChoiceField(
        ChargingStation.objects.all(),
        required=False,
        label=_("Station"),
        empty_label=_("All stations"),
    )
