"""Admin: commands to stations, reservations, charging profiles, local lists.

The actions here send commands (stations.commands.service) and report each station's answer
as a message: success when accepted, a warning when the station said no or did not
answer, an error when the command could not be sent. The stations.admin package puts the
station, connector, session and token actions on its model admins.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from stations.commands import service as commands
from stations.commands import tracked
from stations.models import (
    ChargingProfile,
    ChargingSession,
    Command,
    IdToken,
    LocalAuthList,
    Reservation,
)
from stations.ocpp.requests import CommandError
from stations.services import charging_profiles, local_lists, reconcile, reservations
from stations.templatetags.clock import clock_column


def _json(value) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return format_html('<pre class="ocpp-payload">{}</pre>', text)


def outcome_text(command: Command) -> str:
    """One line for an operator: what the station answered, or why there is no answer."""
    error = command.error or {}
    why = error.get("description") or error.get("code") or ""
    if command.status == Command.Status.FAILED and error.get("code"):
        why = f"{error['code']}: {error.get('description', '')}".rstrip(": ")
    answer = (command.response or {}).get("status", "")
    extra = why or (answer if answer and answer.lower() != command.status else "")
    return f"{command.get_status_display()}" + (f" ({extra})" if extra else "")


def report(modeladmin, request, label, result) -> None:
    """Tell the operator how one command went."""
    if isinstance(result, CommandError):
        details = "; ".join(f"{k}: {v}" for k, v in result.errors.items())
        modeladmin.message_user(request, f"{label}: {result.detail} {details}", messages.ERROR)
        return
    level = messages.SUCCESS if result.status == Command.Status.ACCEPTED else messages.WARNING
    name = result.action.replace("_", " ")
    modeladmin.message_user(request, f"{label}: {name} — {outcome_text(result)}", level)


def _send_each(modeladmin, request, items) -> None:
    """items: [(label, station, action, params)]; sent together, reported one by one."""
    results = tracked.send_commands([item[1:] for item in items], user=request.user)
    for item, result in zip(items, results, strict=True):
        report(modeladmin, request, item[0], result)


# --- actions with consequences ask first ---------------------------------------------


def ask_first(run, question):
    """The action runs once the operator confirms it on a page listing what it touches."""

    def confirmed_run(modeladmin, request, queryset):
        if request.POST.get("confirmed") == "yes":
            return run(modeladmin, request, queryset)
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": run.short_description,
            "question": question,
            "objects": list(queryset[:100]),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action": run.__name__,
            "opts": modeladmin.model._meta,
            "checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/confirm_command_action.html", context)

    confirmed_run.short_description = run.short_description
    confirmed_run.__name__ = run.__name__
    return confirmed_run


# --- station actions ----------------------------------------------------------------


def _station_action(action: str, params: dict, description):
    def run(modeladmin, request, queryset):
        _send_each(modeladmin, request, [(str(s), s, action, dict(params)) for s in queryset])

    run.short_description = description
    run.__name__ = f"command_{action}_{'_'.join(str(v) for v in params.values())}".rstrip("_")
    return run


STATION_ACTIONS = [
    _station_action("reset", {"type": "soft"}, _("Reset (soft) selected stations")),
    ask_first(
        _station_action("reset", {"type": "hard"}, _("Reset (hard) selected stations")),
        _("Hard reset these stations? Running sessions end and the stations restart."),
    ),
    _station_action(
        "trigger_message",
        {"message": "StatusNotification"},
        _("Ask selected stations for their status"),
    ),
    _station_action("get_configuration", {}, _("Read the configuration of selected stations")),
    _station_action("clear_cache", {}, _("Clear the authorisation cache of selected stations")),
    # A new random password goes to each station; its hash is kept once it accepts.
    _station_action("rotate_password", {}, _("Rotate the password of selected stations")),
    _station_action(
        "get_base_report",
        {"report_base": "full_inventory"},
        _("Ask selected stations for their whole device model"),
    ),
    _station_action(
        "get_monitoring_report", {}, _("Ask selected stations for their variable monitors")
    ),
    _station_action(
        "get_display_messages", {}, _("Ask selected stations for their display messages")
    ),
    _station_action(
        "get_installed_certificate_ids",
        {},
        _("List the certificates installed on selected stations"),
    ),
    _station_action(
        "get_transaction_status", {}, _("Ask selected stations whether messages are queued")
    ),
]


@admin.action(description=_("Resynchronise the local authorisation list (full)"))
def resync_local_list(modeladmin, request, queryset) -> None:
    for station in queryset:
        result = local_lists.local_list_sync(station=station, full=True, user=request.user)
        if result.commands and result.status != "accepted":
            report(modeladmin, request, str(station), result.commands[-1])
        else:
            message = _("%(station)s: local list version %(version)s, %(count)s message(s).") % {
                "station": station,
                "version": result.version,
                "count": len(result.commands),
            }
            modeladmin.message_user(request, message, messages.SUCCESS)


STATION_ACTIONS.append(resync_local_list)


# --- connector actions --------------------------------------------------------------


def _connector_action(action: str, params: dict, description):
    def run(modeladmin, request, queryset):
        items = [
            (str(c), c.station, action, {**params, "connector_id": c.connector_id})
            for c in queryset.select_related("station")
        ]
        _send_each(modeladmin, request, items)

    run.short_description = description
    run.__name__ = f"command_{action}_{'_'.join(str(v) for v in params.values())}".rstrip("_")
    return run


CONNECTOR_ACTIONS = [
    ask_first(
        _connector_action("unlock_connector", {}, _("Unlock selected connectors")),
        _("Unlock these connectors? Sessions running on them end."),
    ),
    _connector_action(
        "change_availability", {"type": "operative"}, _("Make selected connectors operative")
    ),
    _connector_action(
        "change_availability", {"type": "inoperative"}, _("Make selected connectors inoperative")
    ),
]


# --- sessions and tokens --------------------------------------------------------------


def _soft_stop(modeladmin, request, queryset) -> None:
    active = queryset.filter(state=ChargingSession.State.ACTIVE)
    ended = [
        reconcile.session_soft_stop(session_id=pk) for pk in active.values_list("pk", flat=True)
    ]
    message = _("%(count)d session(s) soft-stopped; the stations were sent nothing.") % {
        "count": len(ended)
    }
    modeladmin.message_user(request, message, messages.SUCCESS)


_soft_stop.short_description = _("Soft stop: end selected active sessions without the station")
_soft_stop.__name__ = "soft_stop"
soft_stop = ask_first(_soft_stop, _("End these sessions now? Their drivers' charges end."))


tokens_changed = local_lists.local_lists_tokens_changed


# --- what commands left behind ----------------------------------------------------------


class ReadOnly:
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Command)
class CommandAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "created_at_clock",
        "station",
        "action",
        "status",
        "ocpp_action",
        "requested_by",
        "follow_up",
        "download",
    ]
    list_filter = ["status", "action"]
    list_select_related = ["station__site", "requested_by", "upload"]
    search_fields = ["=station__station_id", "action"]
    date_hierarchy = "created_at"
    fields = [
        "station",
        "action",
        "params_pretty",
        "status",
        "ocpp_action",
        "response_pretty",
        "error_pretty",
        "requested_by",
        "created_at",
        "finished_at",
        "session",
        "follow_up",
        "download",
    ]
    readonly_fields = fields
    created_at_clock = clock_column(Command, "created_at")

    @admin.display(description=_("parameters"))
    def params_pretty(self, command) -> str:
        return _json(command.params)

    @admin.display(description=_("station's answer"))
    def response_pretty(self, command) -> str:
        return _json(command.response)

    @admin.display(description=_("error"))
    def error_pretty(self, command) -> str:
        return _json(command.error)

    @admin.display(description=_("what followed"))
    def follow_up(self, command) -> str:
        """A remote start's session (or none), a firmware update's or upload's progress."""
        state = commands.remote_start_state(command)
        if state:
            return {"waiting": _("waiting for a session"), "no_session": _("no session")}.get(
                state, _("session #%(id)s") % {"id": command.session_id}
            )
        return commands.command_progress(command) or "–"

    @admin.display(description=_("diagnostics file"))
    def download(self, command) -> str:
        upload = getattr(command, "upload", None) if command.action == "get_diagnostics" else None
        if upload is None or not upload.file:
            return "–"
        url = reverse("command-diagnostics", kwargs={"pk": command.pk})
        return format_html('<a href="{}">{}</a> ({} bytes)', url, upload.filename, upload.size)


class ReservationAddForm(forms.ModelForm):
    """Reserve from the admin: the reservation id is assigned (its pk) and ReserveNow
    sent as POST /api/v1/reservations/ does; the form shows the station's refusal."""

    connector_id = forms.IntegerField(
        label=_("Connector"), min_value=1, required=False, help_text=_("Empty: any connector")
    )
    id_token = forms.ModelChoiceField(
        label=_("Token"), queryset=IdToken.objects.select_related("parent"), to_field_name="value"
    )

    expires_at = forms.SplitDateTimeField(label=_("Reserved until"), widget=AdminSplitDateTime)

    class Meta:
        model = Reservation
        fields = ["station", "connector_id", "id_token", "expires_at"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.reservation = None
        self.fields["id_token"].widget = forms.TextInput()
        self.fields["id_token"].help_text = _("The token's value")

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.reservation = reservations.reservation_create(
                station=data["station"],
                id_token=data["id_token"],
                expires_at=data["expires_at"],
                connector_id=data.get("connector_id"),
                user=self.user,
            )
        except CommandError as error:
            raise forms.ValidationError(
                [error.detail, *(f"{k}: {v}" for k, v in error.errors.items())]
            ) from error
        return data


@admin.register(Reservation)
class ReservationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["id", "station", "connector", "id_tag", "expires_at_clock", "status", "session"]
    list_filter = ["status"]
    list_select_related = ["station__site", "connector__station"]
    expires_at_clock = clock_column(Reservation, "expires_at")
    search_fields = ["=station__station_id", "id_tag"]
    readonly_fields = [
        "station",
        "connector",
        "id_token",
        "id_tag",
        "expires_at",
        "status",
        "command",
        "cancel_command",
        "session",
        "requested_by",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
    actions = ["cancel"]

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("stations.add_reservation")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:
            # Reserving sends ReserveNow and waits for the station's answer, which the
            # station's process stores: not inside one long transaction of this request.
            return self._changeform_view(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        return self.fields if obj else ReservationAddForm.Meta.fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change, **kwargs)
        user = request.user

        class AddForm(ReservationAddForm):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, user=user, **form_kwargs)

        return AddForm

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # reservations change only through commands
        # Made (and sent) by the form's clean(): adopt that row.
        obj.pk = form.reservation.pk
        obj.refresh_from_db()
        report(self, request, f"#{obj.pk}", form.reservation.command)

    @admin.action(description=_("Cancel selected reservations"))
    def cancel(self, request, queryset) -> None:
        for reservation in queryset.select_related("station"):
            try:
                reservation = reservations.reservation_cancel(
                    reservation=reservation, user=request.user
                )
            except CommandError as error:
                report(self, request, f"#{reservation.pk}", error)
                continue
            report(self, request, f"#{reservation.pk}", reservation.cancel_command)


@admin.register(ChargingProfile)
class ChargingProfileAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "station",
        "profile_id",
        "connector",
        "purpose",
        "stack_level",
        "limits",
        "status",
        "source",
        "updated_at_clock",
    ]
    list_filter = ["status", "purpose", "source"]
    list_select_related = ["station__site", "connector__station"]
    updated_at_clock = clock_column(ChargingProfile, "updated_at")
    search_fields = ["=station__station_id"]
    exclude = ["periods"]
    readonly_fields = ["periods_pretty"]
    actions = ["clear"]

    @admin.display(description=_("limits"))
    def limits(self, profile) -> str:
        return ", ".join(
            f"{p['limit']} {profile.unit} from {p['start_period']} s" for p in profile.periods
        )

    @admin.display(description=_("schedule periods"))
    def periods_pretty(self, profile) -> str:
        return _json(profile.periods)

    @admin.action(description=_("Clear selected profiles from their stations"))
    def clear(self, request, queryset) -> None:
        for profile in queryset.select_related("station"):
            profile = charging_profiles.charging_profile_clear(profile=profile, user=request.user)
            report(self, request, str(profile), profile.clear_command)


@admin.register(LocalAuthList)
class LocalAuthListAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "station",
        "version",
        "entry_count",
        "needs_sync",
        "last_status",
        "synced_at_clock",
    ]
    list_filter = ["needs_sync", "last_status"]
    list_select_related = ["station__site"]
    synced_at_clock = clock_column(LocalAuthList, "synced_at")
    search_fields = ["=station__station_id"]
    exclude = ["entries"]
    readonly_fields = ["entry_count"]
    actions = ["resync"]

    @admin.display(description=_("entries"))
    def entry_count(self, state) -> int:
        return len(state.entries)

    @admin.action(description=_("Resynchronise selected stations (full)"))
    def resync(self, request, queryset) -> None:
        stations = [state.station for state in queryset.select_related("station")]
        resync_local_list(self, request, stations)
