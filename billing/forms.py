"""Forms of the billing pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stations.models import ChargingStation, Site


class ReportRequestForm(forms.Form):
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(
        label=_("Until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    site = forms.ModelChoiceField(
        Site.objects.all(), required=False, label=_("Site"), empty_label=_("All sites")
    )
    station = forms.ModelChoiceField(
        ChargingStation.objects.all(),
        required=False,
        label=_("Station"),
        empty_label=_("All stations"),
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class ChartPeriodForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
