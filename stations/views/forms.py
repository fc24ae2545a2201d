"""Filter forms of the list pages; each turns its input into a selectors filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from stations import selectors
from stations.models import ChargingSession, ChargingStation, OcppMessage, Site


def _site_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Site.objects.all(), required=False, label=_("Site"), empty_label=_("All sites")
    )


def _status_choices() -> list:
    connection = [(selectors.ONLINE, _("Online")), (selectors.OFFLINE, _("Offline"))]
    connector = [(status, _(status)) for status in selectors.CONNECTOR_STATUSES]
    return [
        ("", _("Any status")),
        (_("Connection"), connection),
        (_("A connector is"), connector),
    ]


class StationFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label=_("Search"),
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": _("Station id, vendor, model, serial"), "type": "search"}
        ),
    )
    site = _site_field()
    status = forms.ChoiceField(required=False, label=_("Status"), choices=_status_choices)
    kind = forms.ChoiceField(
        required=False,
        label=_("Kind"),
        choices=[("", _("Cars and e-bikes")), *ChargingStation.Kind.choices],
    )
    version = forms.ChoiceField(
        required=False,
        label=_("OCPP version"),
        choices=[("", _("Any version")), *ChargingStation.Version.choices],
    )

    def filters(self) -> selectors.StationFilters:
        if not self.is_valid():
            return selectors.StationFilters()
        data = self.cleaned_data
        return selectors.StationFilters(
            q=data["q"].strip(),
            site=data["site"].pk if data["site"] else None,
            status=data["status"],
            kind=data["kind"],
            version=data["version"],
        )


class SessionFilterForm(forms.Form):
    site = _site_field()
    station = forms.CharField(required=False, label=_("Station"), max_length=48)
    token = forms.CharField(required=False, label=_("Token"), max_length=36)
    since = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    state = forms.ChoiceField(
        required=False,
        label=_("State"),
        choices=[("", _("Active and ended")), *ChargingSession.State.choices],
    )

    def filters(self) -> selectors.SessionFilters:
        if not self.is_valid():
            return selectors.SessionFilters()
        data = self.cleaned_data
        return selectors.SessionFilters(
            site=data["site"].pk if data["site"] else None,
            station=data["station"].strip(),
            token=data["token"].strip(),
            since=data["since"],
            until=data["until"],
            state=data["state"],
        )


class MessageFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, label=_("Action"))
    direction = forms.ChoiceField(
        required=False,
        label=_("Direction"),
        choices=[("", _("Both directions")), *OcppMessage.Direction.choices],
    )
    errors_only = forms.BooleanField(required=False, label=_("CallErrors only"))

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *((a, a) for a in actions)]

    def filters(self) -> selectors.MessageFilters:
        if not self.is_valid():
            return selectors.MessageFilters()
        data = self.cleaned_data
        return selectors.MessageFilters(
            action=data["action"], direction=data["direction"], errors_only=data["errors_only"]
        )
