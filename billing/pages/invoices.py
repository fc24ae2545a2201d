"""Issuing from the operator's pages: an invoice for a session or a month, a credit note,
and the operator profile every invoice prints (issuing is refused until it is complete).
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from billing import services
from billing.models import Invoice, OperatorProfile
from billing.pages.forms import (
    CreditNoteForm,
    IssueMonthForm,
    IssueSessionForm,
    OperatorProfileForm,
)
from billing.services.invoices import InvoiceError, ProfileIncomplete
from stations.models import ChargingSession
from stations.views.access import operator_required


def _refused(request, error: InvoiceError) -> None:
    if isinstance(error, ProfileIncomplete):
        missing = ", ".join(OperatorProfile.current().missing())
        messages.error(
            request,
            _("Complete the operator profile before issuing invoices; missing: %(fields)s.")
            % {"fields": missing},
        )
    else:
        messages.error(request, _(str(error)))


@operator_required
@require_POST
def invoice_issue_session(request):
    form = IssueSessionForm(request.POST)
    session = None
    if form.is_valid():
        session = ChargingSession.objects.filter(pk=form.cleaned_data["session"]).first()
    if session is None:
        messages.error(request, _("There is no such session."))
        return redirect("billing:invoice-list")
    try:
        invoice = services.invoice_issue_for_session(session=session)
    except InvoiceError as error:
        _refused(request, error)
        return redirect(_back(request))
    messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
    return redirect("billing:invoice-list")


def _back(request) -> str:
    """Where the form came from (a session's page), if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("billing:invoice-list")


@operator_required
@require_POST
def invoice_issue_month(request):
    form = IssueMonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a month."))
        return redirect("billing:invoice-list")
    month = form.cleaned_data["month"]
    try:
        invoices = services.invoice_issue_monthly(year=month.year, month=month.month)
    except InvoiceError as error:
        _refused(request, error)
        return redirect("billing:invoice-list")
    count = len(invoices)
    text = ngettext(
        "%(count)d invoice issued for %(month)s.",
        "%(count)d invoices issued for %(month)s.",
        count,
    ) % {"count": count, "month": f"{month:%Y-%m}"}
    messages.success(request, text)
    return redirect("billing:invoice-list")


@operator_required
@require_POST
def invoice_credit(request, pk: int):
    invoice = get_object_or_404(Invoice, pk=pk)
    form = CreditNoteForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        note = services.credit_note_issue(invoice=invoice, reason=reason)
    except InvoiceError as error:
        _refused(request, error)
        return redirect("billing:invoice-list")
    messages.success(
        request,
        _("Credit note %(note)s cancels invoice %(number)s.")
        % {"note": note.number, "number": invoice.number},
    )
    return redirect("billing:invoice-list")


@operator_required
@require_http_methods(["GET", "POST"])
def operator_profile(request):
    """The seller's details on every invoice: legal name, address, VAT id, registration."""
    profile = OperatorProfile.current()
    form = OperatorProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Operator profile saved."))
        return redirect("billing:profile")
    return render(request, "billing/profile.html", {"form": form, "missing": profile.missing()})
