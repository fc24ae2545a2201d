"""Tariffs: the list, one tariff's form, its assignments and a price preview."""

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing.documents import money
from billing.models import Tariff, TariffAssignment
from billing.pages.forms import AssignForm, PreviewForm, TariffForm
from billing.pages.preview import price_preview
from stations.views.access import operator_required


def _tariffs():
    return Tariff.objects.prefetch_related(
        "time_of_use",
        "power_tiers",
        "assignments__site",
        "assignments__station",
        "assignments__connector__station",
    )


@operator_required
def tariff_list(request):
    return render(request, "billing/tariffs.html", {"tariffs": _tariffs()})


@operator_required
@require_http_methods(["GET", "POST"])
def tariff_edit(request, pk: int | None = None):
    """Create a tariff, or change one; the page also assigns it and previews prices."""
    tariff = get_object_or_404(_tariffs(), pk=pk) if pk else None
    form = TariffForm(request.POST or None, instance=tariff)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                tariff = form.save()
        except IntegrityError:
            form.add_error("is_default", _("Another tariff is the default already."))
        else:
            messages.success(request, _("Tariff %(name)s saved.") % {"name": tariff.name})
            return redirect("billing:tariff", pk=tariff.pk)
    preview = PreviewForm(request.GET if "minutes" in request.GET else None)
    context = {
        "tariff": tariff,
        "form": form,
        "assign_form": AssignForm(),
        "preview_form": preview
        if preview.is_bound
        else PreviewForm(initial=PreviewForm.initial_values()),
        "preview": _preview(tariff, preview) if tariff and preview.is_bound else None,
    }
    return render(request, "billing/tariff_edit.html", context)


def _preview(tariff: Tariff, form: PreviewForm) -> dict | None:
    if not form.is_valid():
        return None
    price = price_preview(
        tariff.spec(),
        start=form.start_at(),
        minutes=form.cleaned_data["minutes"],
        energy_wh=form.energy_wh(),
        timezone=form.zone_name(),
    )
    currency = price.currency
    return {
        "start": form.start_at(),
        "zone": form.zone_name(),
        "minutes": form.cleaned_data["minutes"],
        "kwh": form.cleaned_data["kwh"],
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": line.unit_price,
                "price_unit": line.price_unit,
                "amount": money(line.amount, currency),
            }
            for line in price.lines
        ],
        "net": money(price.net, currency),
        "tax_rate": price.tax_rate_percent.normalize(),
        "tax": money(price.tax, currency),
        "gross": money(price.gross, currency),
        "currency": currency,
    }


@operator_required
@require_POST
def tariff_assign(request, pk: int):
    """Assign the tariff to a site, station or connector (replacing what priced it before)."""
    tariff = get_object_or_404(Tariff, pk=pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [
            _("Choose exactly one site, station or connector.")
        ]:
            messages.error(request, error)
        return redirect("billing:tariff", pk=pk)
    target = form.target()
    with transaction.atomic():
        TariffAssignment.objects.filter(**target).delete()
        TariffAssignment.objects.create(tariff=tariff, **target)
    name = next(iter(target.values()))
    messages.success(
        request, _("%(tariff)s now prices %(target)s.") % {"tariff": tariff.name, "target": name}
    )
    return redirect("billing:tariff", pk=pk)


@operator_required
@require_POST
def tariff_unassign(request, pk: int, assignment_pk: int):
    assignment = get_object_or_404(TariffAssignment, pk=assignment_pk, tariff_id=pk)
    assignment.delete()
    messages.success(request, _("Assignment removed."))
    return redirect("billing:tariff", pk=pk)
