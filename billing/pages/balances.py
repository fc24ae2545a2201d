"""Drivers' prepaid balances: who has what, each driver's ledger, and top-ups."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from billing.balances import balance_top_up, balances_of
from billing.models import BalanceEntry
from billing.pages.forms import TopUpForm
from stations.views.access import operator_required

LEDGER_ROWS = 500


@operator_required
@require_http_methods(["GET", "POST"])
def balance_list(request):
    """Every driver's balance per currency, and a top-up form."""
    form = TopUpForm(request.POST or None, initial={"driver": request.GET.get("driver")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = balance_top_up(
            driver=data["driver"],
            amount=data["amount"],
            currency=data["currency"],
            by=request.user,
            note=data["note"],
        )
        messages.success(
            request,
            _("%(amount)s %(currency)s credited to %(driver)s.")
            % {"amount": entry.amount, "currency": entry.currency, "driver": data["driver"]},
        )
        return redirect("billing:balance", driver_pk=data["driver"].pk)
    rows = (
        BalanceEntry.objects.values("driver", "driver__username", "currency")
        .annotate(total=Sum("amount"))
        .order_by("driver__username", "currency")
    )
    return render(request, "billing/balances.html", {"form": form, "rows": rows})


@operator_required
def balance_ledger(request, driver_pk: int):
    driver = get_object_or_404(get_user_model(), pk=driver_pk)
    entries = BalanceEntry.objects.filter(driver=driver).select_related("session", "created_by")
    context = {
        "driver": driver,
        "balances": balances_of(driver=driver),
        "entries": entries[:LEDGER_ROWS],
        "form": TopUpForm(initial={"driver": driver.pk}),
    }
    return render(request, "billing/ledger.html", context)
