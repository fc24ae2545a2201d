"""The station page's forms for the device model, monitoring, display messages,
certificates, logs, customer data, network profiles, firmware and transactions.

Each form turns an operator's input into the version-neutral params of its action
(docs/api.md); the command service checks them as it does the API's, so a value a
station's version cannot carry is refused with the same message. A form may send
several commands (`commands()`): a display message composed in several languages
goes out as one message per language, each with its own id, which every version
carries.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from stations.metering import format_timestamp


class CommandForm(forms.Form):
    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", [])}

    def commands(self, action: str) -> list[tuple[str, dict]]:
        """The commands the form sends: one, with `params()`, unless it says otherwise."""
        return [(action, self.params())]


def _moment(label, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


def _timestamp(value):
    return format_timestamp(value) if value else None


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _ids(text: str) -> list[int]:
    try:
        return [int(item) for item in _comma_list(text)]
    except ValueError:
        raise forms.ValidationError(_("Whole numbers separated by commas.")) from None


def place(key: str) -> dict | str:
    """`Component.Variable@evse[/connector]` as the component-variable object the
    commands take; a key without `@` is passed on as it is (any key the API takes)."""
    key, at, where = key.strip().partition("@")
    if not at:
        return key
    evse, _slash, connector = where.partition("/")
    head, dot, tail = key.rpartition(".")
    if not dot or not head or not evse.strip().isdigit():
        raise forms.ValidationError(_("Write Component.Variable@EVSE, e.g. EVSE.Power@1."))
    component, _slash, component_instance = head.partition("/")
    variable, _bracket, variable_instance = tail.partition("[")
    item = {
        "component": component,
        "component_instance": component_instance or None,
        "variable": variable,
        "variable_instance": variable_instance.rstrip("]") or None,
        "evse_id": int(evse),
    }
    if connector.strip().isdigit():
        item["connector_id"] = int(connector)
    return {k: v for k, v in item.items() if v is not None}


KEY_HELP = _("Component.Variable, e.g. OCPPCommCtrlr.HeartbeatInterval; @1 for EVSE 1")
KEYS_HELP = _("Comma-separated Component or Component.Variable; empty for all")


class GetBaseReportForm(CommandForm):
    report_base = forms.ChoiceField(
        label=_("Report"),
        choices=[
            ("full_inventory", _("Full inventory")),
            ("configuration_inventory", _("Configuration inventory")),
            ("summary_inventory", _("Summary inventory")),
        ],
    )


class GetReportForm(CommandForm):
    component_variables = forms.CharField(
        label=_("Components and variables"), required=False, max_length=1000, help_text=KEYS_HELP
    )
    criteria = forms.MultipleChoiceField(
        label=_("Components that are"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("active", _("Active")),
            ("available", _("Available")),
            ("enabled", _("Enabled")),
            ("problem", _("Problem")),
        ],
    )

    def clean_component_variables(self) -> list[str]:
        return _comma_list(self.cleaned_data["component_variables"])


class SetVariablesForm(CommandForm):
    variables = forms.CharField(
        label=_("Variables"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: Component.Variable = value (Component.Variable@1 on EVSE 1)"),
    )

    def clean_variables(self) -> list[dict]:
        items = []
        for line in self.cleaned_data["variables"].splitlines():
            if not line.strip():
                continue
            key, sign, value = line.partition("=")
            if not sign or not key.strip():
                raise forms.ValidationError(_("Write each line as Component.Variable = value."))
            where = place(key)
            item = where if isinstance(where, dict) else {"key": where}
            items.append({**item, "value": value.strip()})
        return items


MONITOR_TYPES = [
    ("upper_threshold", _("Upper threshold")),
    ("lower_threshold", _("Lower threshold")),
    ("delta", _("Delta")),
    ("periodic", _("Periodic")),
    ("periodic_clock_aligned", _("Periodic, clock aligned")),
]


class SetVariableMonitoringForm(CommandForm):
    key = forms.CharField(label=_("Variable"), max_length=120, help_text=KEY_HELP)
    type = forms.ChoiceField(label=_("Monitor"), choices=MONITOR_TYPES)
    value = forms.FloatField(label=_("Value"))
    severity = forms.IntegerField(label=_("Severity"), min_value=0, max_value=9, initial=5)
    transaction = forms.BooleanField(label=_("During transactions only"), required=False)
    id = forms.IntegerField(
        label=_("Monitor id"), required=False, help_text=_("Empty: a new monitor")
    )

    def clean_key(self):
        return place(self.cleaned_data["key"])

    def params(self) -> dict:
        monitor = {k: v for k, v in self.cleaned_data.items() if v is not None}
        where = monitor.pop("key")
        monitor.update(where if isinstance(where, dict) else {"key": where})
        return {"monitors": [monitor]}


class ClearVariableMonitoringForm(CommandForm):
    ids = forms.CharField(label=_("Monitor ids"), max_length=500, help_text=_("Comma-separated"))

    def clean_ids(self) -> list[int]:
        return _ids(self.cleaned_data["ids"])


class SetMonitoringBaseForm(CommandForm):
    base = forms.ChoiceField(
        label=_("Monitoring base"),
        choices=[
            ("all", _("All")),
            ("factory_default", _("Factory default")),
            ("hard_wired_only", _("Hard-wired only")),
        ],
    )


class SetMonitoringLevelForm(CommandForm):
    severity = forms.IntegerField(
        label=_("Severity"),
        min_value=0,
        max_value=9,
        help_text=_("0 danger … 9 debug: events up to this severity are reported"),
    )


class GetMonitoringReportForm(CommandForm):
    component_variables = forms.CharField(
        label=_("Components and variables"), required=False, max_length=1000, help_text=KEYS_HELP
    )
    criteria = forms.MultipleChoiceField(
        label=_("Monitors"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("threshold", _("Threshold")),
            ("delta", _("Delta")),
            ("periodic", _("Periodic")),
        ],
    )

    def clean_component_variables(self) -> list[str]:
        return _comma_list(self.cleaned_data["component_variables"])


PRIORITIES = [
    ("normal_cycle", _("Normal cycle")),
    ("in_front", _("In front")),
    ("always_front", _("Always in front")),
]
MESSAGE_STATES = [
    ("", _("Any")),
    ("idle", _("Idle")),
    ("charging", _("Charging")),
    ("faulted", _("Faulted")),
    ("unavailable", _("Unavailable")),
]
# The languages a display message is composed in: one text per row.
MESSAGE_LANGUAGES = 3


class SetDisplayMessageForm(CommandForm):
    priority = forms.ChoiceField(label=_("Priority"), choices=PRIORITIES)
    state = forms.ChoiceField(label=_("Shown when"), choices=MESSAGE_STATES, required=False)
    start_date_time = _moment(_("From"), _("Empty: now"))
    end_date_time = _moment(_("Until"), _("Empty: until cleared"))
    transaction_id = forms.CharField(
        label=_("Transaction"), required=False, max_length=36, help_text=_("Only during it")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, MESSAGE_LANGUAGES + 1):
            self.fields[f"language_{number}"] = forms.CharField(
                label=_("Language"),
                required=False,
                max_length=8,
                initial={1: "en", 2: "zh"}.get(number, ""),
                help_text=_("e.g. en, zh, de"),
            )
            self.fields[f"content_{number}"] = forms.CharField(
                label=_("Text"),
                required=False,
                max_length=512,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def texts(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        return [
            (data[f"language_{n}"].strip(), data[f"content_{n}"].strip())
            for n in range(1, MESSAGE_LANGUAGES + 1)
            if data.get(f"content_{n}", "").strip()
        ]

    def clean(self):
        data = super().clean()
        if not self.errors and not self.texts():
            raise forms.ValidationError(_("Write the message in at least one language."))
        return data

    def commands(self, action: str) -> list[tuple[str, dict]]:
        data = self.cleaned_data
        common = {
            "priority": data["priority"],
            "state": data.get("state") or None,
            "start_date_time": _timestamp(data.get("start_date_time")),
            "end_date_time": _timestamp(data.get("end_date_time")),
            "transaction_id": data.get("transaction_id") or None,
        }
        common = {k: v for k, v in common.items() if v is not None}
        return [
            (action, {**common, "message": text, **({"language": lang} if lang else {})})
            for lang, text in self.texts()
        ]


class GetDisplayMessagesForm(CommandForm):
    ids = forms.CharField(
        label=_("Message ids"), required=False, max_length=500, help_text=_("Empty: all")
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any")), *PRIORITIES]
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=MESSAGE_STATES)

    def clean_ids(self) -> list[int]:
        return _ids(self.cleaned_data["ids"])


class ClearDisplayMessageForm(CommandForm):
    id = forms.IntegerField(label=_("Message id"))


CERTIFICATE_TYPES = [
    ("csms_root_certificate", _("CSMS root")),
    ("manufacturer_root_certificate", _("Manufacturer root")),
    ("v2g_root_certificate", _("V2G root")),
    ("mo_root_certificate", _("Mobility operator root")),
]


class GetInstalledCertificateIdsForm(CommandForm):
    certificate_types = forms.MultipleChoiceField(
        label=_("Types"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[*CERTIFICATE_TYPES, ("v2g_certificate_chain", _("V2G certificate chain"))],
        help_text=_("None ticked: all"),
    )


class InstallCertificateForm(CommandForm):
    certificate_type = forms.ChoiceField(label=_("Type"), choices=CERTIFICATE_TYPES)
    certificate = forms.CharField(
        label=_("Certificate (PEM)"), max_length=5500, widget=forms.Textarea(attrs={"rows": 4})
    )


class DeleteCertificateForm(CommandForm):
    hash_algorithm = forms.ChoiceField(
        label=_("Hash algorithm"), choices=[(a, a) for a in ("SHA256", "SHA384", "SHA512")]
    )
    issuer_name_hash = forms.CharField(label=_("Issuer name hash"), max_length=128)
    issuer_key_hash = forms.CharField(label=_("Issuer key hash"), max_length=128)
    serial_number = forms.CharField(label=_("Serial number"), max_length=40)


class GetLogForm(CommandForm):
    log_type = forms.ChoiceField(
        label=_("Log"), choices=[("diagnostics", _("Diagnostics")), ("security", _("Security"))]
    )
    location = forms.CharField(
        label=_("Upload URL"),
        required=False,
        max_length=512,
        help_text=_("Empty: the station uploads to ChargeNet"),
    )
    start_time = _moment(_("Oldest"))
    stop_time = _moment(_("Latest"))

    def clean_start_time(self):
        return _timestamp(self.cleaned_data["start_time"])

    def clean_stop_time(self):
        return _timestamp(self.cleaned_data["stop_time"])


class CustomerInformationForm(CommandForm):
    id_token = forms.CharField(label=_("Token"), required=False, max_length=36)
    customer_identifier = forms.CharField(
        label=_("Customer identifier"), required=False, max_length=64
    )
    report = forms.BooleanField(label=_("Report their data"), required=False, initial=True)
    clear = forms.BooleanField(label=_("Clear their data"), required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("id_token") or data.get("customer_identifier")):
            raise forms.ValidationError(_("Give the token or the customer identifier."))
        if not (data.get("report") or data.get("clear")):
            raise forms.ValidationError(_("Ask for a report, a clear or both."))
        return data

    def params(self) -> dict:
        params = super().params()
        params["report"] = bool(self.cleaned_data.get("report"))
        params["clear"] = bool(self.cleaned_data.get("clear"))
        return params


class SetNetworkProfileForm(CommandForm):
    configuration_slot = forms.IntegerField(label=_("Slot"), min_value=0, initial=1)
    csms_url = forms.CharField(label=_("Central system URL"), max_length=512)
    security_profile = forms.IntegerField(
        label=_("Security profile"), min_value=0, max_value=3, initial=1
    )
    ocpp_version = forms.ChoiceField(
        label=_("OCPP version"), choices=[("OCPP20", "2.0.1"), ("OCPP16", "1.6")]
    )
    ocpp_interface = forms.ChoiceField(
        label=_("Interface"),
        choices=[(f"{k}{n}", f"{k}{n}") for k in ("Wired", "Wireless") for n in range(4)],
    )
    message_timeout = forms.IntegerField(label=_("Message timeout (s)"), min_value=1, initial=30)


class UpdateFirmwareForm(CommandForm):
    location = forms.CharField(label=_("Firmware URL"), max_length=512)
    retrieve_date = _moment(_("Download from"), _("Empty: now"))
    install_date = _moment(_("Install from"), _("Empty: once downloaded"))
    retries = forms.IntegerField(label=_("Retries"), required=False, min_value=0)
    retry_interval = forms.IntegerField(label=_("Retry interval (s)"), required=False, min_value=0)
    signing_certificate = forms.CharField(
        label=_("Signing certificate (PEM)"),
        required=False,
        max_length=5500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Secure update: with the signature"),
    )
    signature = forms.CharField(
        label=_("Signature (base64)"),
        required=False,
        max_length=800,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_retrieve_date(self):
        return _timestamp(self.cleaned_data["retrieve_date"])

    def clean_install_date(self):
        return _timestamp(self.cleaned_data["install_date"])


class PublishFirmwareForm(CommandForm):
    location = forms.CharField(label=_("Firmware URL"), max_length=512)
    checksum = forms.CharField(label=_("MD5 checksum"), max_length=32)
    retries = forms.IntegerField(label=_("Retries"), required=False, min_value=0)
    retry_interval = forms.IntegerField(label=_("Retry interval (s)"), required=False, min_value=0)


class UnpublishFirmwareForm(CommandForm):
    checksum = forms.CharField(label=_("MD5 checksum"), max_length=32)


class GetTransactionStatusForm(CommandForm):
    transaction_id = forms.CharField(
        label=_("Transaction"),
        required=False,
        max_length=36,
        help_text=_("Empty: whether any messages are queued"),
    )
