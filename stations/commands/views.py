"""Command buttons and forms on the station page, and the view that sends them.

The sending is done by `stations.commands.tracked` (`send_command`: the command service,
with a reservation or profile made when ChargeNet assigns its id), found by
`command_service()`. Without that module the buttons are shown disabled: the page
never pretends a station answered. Params are the version-neutral ones
`stations.ocpp.requests*` take (`reset` {"type": "soft"|"hard"}, ...).
"""

import importlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from asgiref.sync import iscoroutinefunction, sync_to_async
from channels.db import database_sync_to_async
from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from stations import selectors
from stations.commands import device_forms as dev
from stations.commands.device_forms import CommandForm
from stations.metering import format_timestamp
from stations.models import ChargingStation
from stations.views.access import operator_required

logger = logging.getLogger(__name__)

COMMANDS_MODULE = "stations.commands.tracked"


class _NoSuchError(Exception):
    """Stands in for a command module without CommandError: never raised."""


@dataclass(frozen=True)
class CommandService:
    send: Callable  # (station, action, params, *, user) -> Command; async or sync
    invalid: type[Exception]  # what `send` raises for parameters the station cannot take


def command_service() -> CommandService | None:
    """How to send commands, or None while the commands module does not exist."""
    try:
        module = importlib.import_module(COMMANDS_MODULE)
    except ModuleNotFoundError as error:
        if error.name != COMMANDS_MODULE:
            raise  # the module exists but something it imports is missing
        return None
    send = getattr(module, "command_send", None) or getattr(module, "send_command", None)
    if send is None:
        return None
    return CommandService(send, getattr(module, "CommandError", _NoSuchError))


# --- the forms: each turns its input into the action's version-neutral params -------


def _connector_field(minimum: int = 1, required: bool = True, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(label=_("Connector"), min_value=minimum, required=required, **kwargs)


class ResetForm(CommandForm):
    type = forms.ChoiceField(label=_("Type"), choices=[("soft", _("Soft")), ("hard", _("Hard"))])


class UnlockConnectorForm(CommandForm):
    connector_id = _connector_field()


class ChangeAvailabilityForm(CommandForm):
    connector_id = _connector_field(0, initial=0, help_text=_("0: the whole station"))
    type = forms.ChoiceField(
        label=_("Availability"),
        choices=[("operative", _("Operative")), ("inoperative", _("Inoperative"))],
    )


class RemoteStartForm(CommandForm):
    id_tag = forms.CharField(label=_("Token"), max_length=36)
    connector_id = _connector_field(required=False)


class ReserveNowForm(CommandForm):
    """No reservation id: ChargeNet assigns it and tracks the reservation."""

    connector_id = _connector_field(required=False, help_text=_("Empty: any connector"))
    id_token = forms.CharField(label=_("Token"), max_length=36)
    expires_at = forms.DateTimeField(
        label=_("Reserved until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def clean_expires_at(self) -> str:
        return format_timestamp(self.cleaned_data["expires_at"])


class RemoteStopForm(CommandForm):
    transaction_id = forms.CharField(label=_("Transaction"), max_length=36)


TRIGGERABLE = (
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "MeterValues",
    "FirmwareStatusNotification",
    "DiagnosticsStatusNotification",
)


class TriggerMessageForm(CommandForm):
    message = forms.ChoiceField(label=_("Message"), choices=[(m, m) for m in TRIGGERABLE])
    connector_id = _connector_field(0, required=False)


class GetConfigurationForm(CommandForm):
    keys = forms.CharField(
        label=_("Keys"),
        required=False,
        max_length=1000,
        help_text=_("Comma-separated; empty for all keys"),
    )

    def clean_keys(self) -> list[str]:
        return [key.strip() for key in self.cleaned_data["keys"].split(",") if key.strip()]


class SetConfigurationForm(CommandForm):
    key = forms.CharField(label=_("Key"), max_length=50)
    value = forms.CharField(label=_("Value"), max_length=500)


class GetDiagnosticsForm(CommandForm):
    location = forms.CharField(label=_("Upload URL"), max_length=512)


class RotatePasswordForm(CommandForm):
    """No input: ChargeNet makes the password (stations.services.passwords)."""


@dataclass(frozen=True)
class CommandSpec:
    action: str
    label: str
    form: type[CommandForm]
    hint: str = ""
    group: str = ""  # the panel's section; "" for the everyday commands


DEVICE = _("Device model and monitoring")
MESSAGES = _("Display messages")
SECURITY = _("Certificates and logs")
FIRMWARE = _("Firmware")
DATA = _("Customers, network and transactions")
DEVICE_COMMANDS = (
    CommandSpec("get_base_report", _("Get base report"), dev.GetBaseReportForm, group=DEVICE),
    CommandSpec("get_report", _("Get report"), dev.GetReportForm, group=DEVICE),
    CommandSpec("set_variables", _("Set variables"), dev.SetVariablesForm, group=DEVICE),
    CommandSpec(
        "set_variable_monitoring",
        _("Set variable monitor"),
        dev.SetVariableMonitoringForm,
        group=DEVICE,
    ),
    CommandSpec(
        "clear_variable_monitoring",
        _("Clear variable monitors"),
        dev.ClearVariableMonitoringForm,
        group=DEVICE,
    ),
    CommandSpec(
        "get_monitoring_report",
        _("Get monitoring report"),
        dev.GetMonitoringReportForm,
        group=DEVICE,
    ),
    CommandSpec(
        "set_monitoring_base", _("Set monitoring base"), dev.SetMonitoringBaseForm, group=DEVICE
    ),
    CommandSpec(
        "set_monitoring_level", _("Set monitoring level"), dev.SetMonitoringLevelForm, group=DEVICE
    ),
    CommandSpec(
        "set_display_message",
        _("Set display message"),
        dev.SetDisplayMessageForm,
        _("One message per language, each with its own id."),
        group=MESSAGES,
    ),
    CommandSpec(
        "get_display_messages",
        _("Get display messages"),
        dev.GetDisplayMessagesForm,
        group=MESSAGES,
    ),
    CommandSpec(
        "clear_display_message",
        _("Clear display message"),
        dev.ClearDisplayMessageForm,
        group=MESSAGES,
    ),
    CommandSpec(
        "get_installed_certificate_ids",
        _("List installed certificates"),
        dev.GetInstalledCertificateIdsForm,
        group=SECURITY,
    ),
    CommandSpec(
        "install_certificate", _("Install certificate"), dev.InstallCertificateForm, group=SECURITY
    ),
    CommandSpec(
        "delete_certificate", _("Delete certificate"), dev.DeleteCertificateForm, group=SECURITY
    ),
    CommandSpec("get_log", _("Get log"), dev.GetLogForm, group=SECURITY),
    CommandSpec("update_firmware", _("Update firmware"), dev.UpdateFirmwareForm, group=FIRMWARE),
    CommandSpec("publish_firmware", _("Publish firmware"), dev.PublishFirmwareForm, group=FIRMWARE),
    CommandSpec(
        "unpublish_firmware", _("Unpublish firmware"), dev.UnpublishFirmwareForm, group=FIRMWARE
    ),
    CommandSpec(
        "customer_information",
        _("Customer information"),
        dev.CustomerInformationForm,
        _("A driver's data the station holds: report it, clear it, or both."),
        group=DATA,
    ),
    CommandSpec(
        "set_network_profile", _("Set network profile"), dev.SetNetworkProfileForm, group=DATA
    ),
    CommandSpec(
        "get_transaction_status",
        _("Get transaction status"),
        dev.GetTransactionStatusForm,
        group=DATA,
    ),
)

COMMANDS = {
    spec.action: spec
    for spec in (
        CommandSpec("reset", _("Reset"), ResetForm),
        CommandSpec("unlock_connector", _("Unlock connector"), UnlockConnectorForm),
        CommandSpec("change_availability", _("Change availability"), ChangeAvailabilityForm),
        CommandSpec("remote_start", _("Remote start"), RemoteStartForm),
        CommandSpec("remote_stop", _("Remote stop"), RemoteStopForm),
        CommandSpec("reserve_now", _("Reserve"), ReserveNowForm),
        CommandSpec("trigger_message", _("Trigger message"), TriggerMessageForm),
        CommandSpec("get_configuration", _("Get configuration"), GetConfigurationForm),
        CommandSpec("set_configuration", _("Change configuration"), SetConfigurationForm),
        CommandSpec("get_diagnostics", _("Get diagnostics"), GetDiagnosticsForm),
        CommandSpec(
            "rotate_password",
            _("Rotate password"),
            RotatePasswordForm,
            _(
                "Sends the station a new random password; ChargeNet keeps it once the "
                "station accepts. The old one works until the station reconnects with "
                "the new one. Nobody is shown the password."
            ),
        ),
        *DEVICE_COMMANDS,
    )
}

# Commands with consequences for a driver ask first: the page shows this question and
# sends `confirmed=yes` with the command (a dialog, or without scripts a page of its own).
CONFIRMATIONS = {
    "remote_stop": _("Stop this charging session? The driver's charge ends now."),
    "unlock_connector": _("Unlock this connector? A session running on it ends."),
    "reset_hard": _("Hard reset the station? Running sessions end and the station restarts."),
}


def confirmation_needed(action: str, params: dict) -> str:
    """The question to ask before sending, or "" for a command that needs none."""
    if action == "reset":
        return str(CONFIRMATIONS["reset_hard"]) if params.get("type") == "hard" else ""
    return str(CONFIRMATIONS.get(action, ""))


# Command outcomes (Command.status), for the answer shown to the operator.
OUTCOME_LABELS = {
    "pending": _("Waiting for the station"),
    "accepted": _("Accepted"),
    "rejected": _("Rejected"),
    "failed": _("Failed"),
    "timeout": _("No answer in time"),
    "offline": _("Station offline"),
}


@dataclass(frozen=True)
class CommandPanel:
    enabled: bool
    forms: list[tuple[CommandSpec, CommandForm]]
    confirmations: dict[str, str] = field(default_factory=dict)  # action -> its question

    @property
    def groups(self) -> list[tuple[str, list[tuple[CommandSpec, CommandForm]]]]:
        """The forms by section, in the panel's order ("" first: the everyday ones)."""
        groups: dict[str, list] = {}
        for spec, form in self.forms:
            groups.setdefault(str(spec.group), []).append((spec, form))
        return list(groups.items())


# Forms whose connector field starts at the station's first connector.
_FIRST_CONNECTOR = {"unlock_connector", "remote_start", "reserve_now"}


def command_panel(
    station: ChargingStation, connectors: list, group: str | None = None
) -> CommandPanel:
    """The forms of the station page's command panel (the quick buttons post the same);
    `group`: only that section's (the device model page's)."""
    first = {"connector_id": connectors[0].connector_id if connectors else 1}
    return CommandPanel(
        enabled=command_service() is not None,
        forms=[
            (spec, spec.form(initial=first if action in _FIRST_CONNECTOR else None, prefix=action))
            for action, spec in COMMANDS.items()
            if group is None or spec.group == group
        ],
        confirmations=confirmation_texts(),
    )


def confirmation_texts() -> dict[str, str]:
    """The questions in the request's language, for the page's buttons and forms."""
    return {action: str(text) for action, text in CONFIRMATIONS.items()}


# --- the view ------------------------------------------------------------------------


@operator_required
async def station_command(request, station_id: str, action: str):
    """Send one command and answer with the station's reply (JSON, or back to the page)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    spec = COMMANDS.get(action)
    station = await sync_to_async(selectors.station_by_id)(station_id)
    if spec is None or station is None:
        raise Http404(action)
    form = spec.form(request.POST, prefix=action)
    if not form.is_valid():
        return _answer(request, station, {"status": "invalid", "errors": form.errors}, 400)
    question = confirmation_needed(action, form.params())
    if question and request.POST.get("confirmed") != "yes":
        return _ask_first(request, station, spec, question)
    service = command_service()
    if service is None:
        outcome = {"status": "unavailable", "error": gettext("Commands are not available yet.")}
        return _answer(request, station, outcome, 503)
    outcomes = []
    for name, params in form.commands(action):
        try:
            outcomes.append(await _send(service, station, name, params, request.user))
        except service.invalid as error:
            errors = getattr(error, "errors", None) or {"params": [str(error)]}
            return _answer(request, station, {"status": "invalid", "errors": errors}, 400)
    # Several commands (a message in several languages): the first that went wrong.
    outcome = next((o for o in outcomes if o["status"] != "accepted"), outcomes[-1])
    if len(outcomes) > 1:
        outcome["commands"] = [o.get("command") for o in outcomes]
    return _answer(request, station, outcome)


async def _send(service: CommandService, station, action: str, params: dict, user) -> dict:
    try:
        if iscoroutinefunction(service.send):
            command = await service.send(station, action, params, user=user)
        else:
            # Not thread-sensitive: the wait for the station must not hold up other pages.
            threaded = database_sync_to_async(service.send, thread_sensitive=False)
            command = await threaded(station, action, params, user=user)
    except service.invalid:
        raise
    except Exception as error:  # noqa: BLE001 - the operator sees what went wrong
        logger.exception("Command %s to %s failed", action, station.station_id)
        return {"status": "failed", "error": str(error)}
    return {
        "status": command.status,
        "response": command.response,
        "error": _error_text(command.error),
        "command": command.pk,
    }


def _error_text(error) -> str:
    """Command.error is JSON: {"description": ...} or the station's CallError."""
    if not error:
        return ""
    if isinstance(error, dict):
        parts = [error.get("code"), error.get("description")]
        return " — ".join(str(p) for p in parts if p) or json.dumps(error, ensure_ascii=False)
    return str(error)


def _ask_first(request, station: ChargingStation, spec: CommandSpec, question: str):
    """Nothing is sent: a JSON client gets 409, a page the question with Send and Cancel."""
    if request.headers.get("accept", "").startswith("application/json"):
        outcome = {"status": "unconfirmed", "label": gettext("Not sent: confirm first.")}
        return JsonResponse({**outcome, "confirm": question}, status=409)
    fields = [
        (k, v) for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "confirmed")
    ]
    context = {"station": station, "spec": spec, "question": question, "fields": fields}
    return render(request, "dashboard/confirm_command.html", context)


def _answer(request, station: ChargingStation, outcome: dict, status: int = 200):
    outcome["label"] = str(OUTCOME_LABELS.get(outcome["status"], outcome["status"]))
    if request.headers.get("accept", "").startswith("application/json"):
        if outcome.get("response") is not None:
            outcome["response_text"] = json.dumps(outcome["response"], indent=2, ensure_ascii=False)
        return JsonResponse(outcome, status=status, json_dumps_params={"default": str})
    level = messages.SUCCESS if outcome["status"] == "accepted" else messages.WARNING
    detail = outcome.get("error") or ""
    messages.add_message(request, level, f"{outcome['label']} {detail}".strip())
    return redirect("dashboard:station", station_id=station.station_id)
