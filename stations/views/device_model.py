"""A station's device model, browsable by component, with the monitors on each variable
and the commands that read and change it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stations import selectors
from stations.commands.views import DEVICE, command_panel
from stations.views.access import operator_required
from stations.views.common import render_page, station_or_404


class DeviceModelFilterForm(forms.Form):
    component = forms.ChoiceField(required=False, label=_("Component"))
    evse = forms.IntegerField(required=False, min_value=0, label=_("EVSE"))
    q = forms.CharField(
        required=False,
        max_length=100,
        label=_("Search"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Variable or value")}),
    )

    def __init__(self, *args, components: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["component"].choices = [("", _("All components"))] + [
            (name, name) for name in components
        ]

    def filters(self) -> selectors.DeviceModelFilters:
        if not self.is_valid():
            return selectors.DeviceModelFilters()
        data = self.cleaned_data
        return selectors.DeviceModelFilters(
            component=data["component"], q=data["q"].strip(), evse=data["evse"]
        )


@operator_required
def device_model(request, station_id: str):
    station = station_or_404(station_id)
    form = DeviceModelFilterForm(
        request.GET or None, components=selectors.device_model_components(station)
    )
    variables = selectors.device_model_browse(station, form.filters())
    context = {
        "station": station,
        "tz": station.site.timezone if station.site else selectors.DEFAULT_ZONE,
        "form": form,
        "variables": variables,
        "monitoring": selectors.monitoring_settings(station),
        "commands": command_panel(station, [], group=DEVICE),
    }
    return render_page(request, "dashboard/device_model.html", context)
