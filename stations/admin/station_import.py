"""The station list's CSV import: check a file of stations, then register them all or none.

The file is read into the rows POST /api/v1/stations/bulk/ takes and checked the same
way (stations.api.bulk); "Check" only lists what is wrong, "Register" also registers
every station when nothing is.
"""

from django import forms
from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework.exceptions import ValidationError

from stations.api.bulk import validated_rows
from stations.provisioning import csv_rows
from stations.provisioning.bulk import ALREADY_REGISTERED, stations_register_bulk

PREVIEW_ROWS = 20
HEADER_LINES = 1  # the column names: row 0 is the file's line 2


class StationImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "First line: station_id,password,site,kind,connectors (only station_id is "
            "required). site is a site's id or exact name; connectors how many to create."
        ),
    )


# Fields named as the file's columns are.
COLUMN_OF_FIELD = {"connector_count": "connectors"}


def _errors_by_line(errors: dict[int, dict]) -> list[tuple[int, str, str]]:
    return [
        (index + 1 + HEADER_LINES, COLUMN_OF_FIELD.get(field, field), str(message))
        for index, fields in sorted(errors.items())
        for field, field_messages in fields.items()
        for message in field_messages
    ]


def _check(rows: list[dict], read_errors: dict[int, dict]) -> tuple[list[dict], dict, list]:
    """(validated rows, errors by row index, messages about the file as a whole)."""
    errors = {index: dict(fields) for index, fields in read_errors.items()}
    general: list[str] = []
    try:
        validated = validated_rows(rows)
    except ValidationError as exc:
        validated = []
        for key, fields in exc.detail.items():
            if key == "non_field_errors":
                general.extend(str(message) for message in fields)
            elif key != "detail":
                for field, field_messages in fields.items():
                    errors.setdefault(int(key), {}).setdefault(field, []).extend(field_messages)
    return validated, errors, general


def station_import_view(model_admin, request: HttpRequest) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import stations from CSV"),
    }
    form = StationImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            rows, read_errors = csv_rows.rows_from_csv(form.cleaned_data["file"].read())
        except csv_rows.CsvError as exc:
            form.add_error("file", str(exc))
        else:
            validated, errors, general = _check(rows, read_errors)
            if errors or general:
                context.update(errors=_errors_by_line(errors), general_errors=general)
            elif request.POST.get("action") == "import":
                try:
                    stations = stations_register_bulk(validated)
                except IntegrityError:
                    context["general_errors"] = [ALREADY_REGISTERED]
                else:
                    count = len(stations)
                    messages.success(
                        request,
                        ngettext(
                            "%(count)d station registered.",
                            "%(count)d stations registered.",
                            count,
                        )
                        % {"count": count},
                    )
                    return HttpResponseRedirect(
                        reverse("admin:stations_chargingstation_changelist")
                    )
            else:
                context.update(valid_count=len(validated), preview=validated[:PREVIEW_ROWS])
    context["form"] = form
    return TemplateResponse(request, "admin/stations/chargingstation/import_csv.html", context)
