"""Billing pages: reports (request, progress, download, charts) and invoices (HTML, PDF).

Operators (active staff) see everything; a driver sees their own invoices only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from billing import documents, selectors, services
from billing.forms import ChartPeriodForm, ReportRequestForm
from billing.models import Invoice, OperatorProfile, Report
from billing.pages.forms import CreditNoteForm, IssueMonthForm, IssueSessionForm

RECENT_REPORTS = 30
INVOICES_PER_PAGE = 100


def _operator(user) -> bool:
    return user.is_active and user.is_staff


def operator_required(view):
    """Log in first; then operators only (403 for drivers)."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if not _operator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def base_template() -> str:
    """The dashboard's layout once it is installed; a plain one otherwise."""
    try:
        get_template("dashboard/base.html")
        reverse("dashboard:overview")
    except (TemplateDoesNotExist, NoReverseMatch):
        return "billing/base.html"
    return "dashboard/base.html"


# --- reports -------------------------------------------------------------------------


@operator_required
@require_http_methods(["GET", "POST"])
def report_list(request):
    """Ask for a report; see reports being made (with progress) and download finished ones."""
    form = ReportRequestForm(request.POST or None, initial=_default_period())
    if request.method == "POST" and form.is_valid():
        services.report_request(**form.cleaned_data, requested_by=request.user)
        messages.success(request, _("The report is being made; it appears here when ready."))
        return redirect("billing:report-list")
    period = ChartPeriodForm(request.GET or None)
    month = (period.is_valid() and period.cleaned_data["month"]) or timezone.now().date()
    context = {
        "base_template": base_template(),
        "form": form,
        "period_form": ChartPeriodForm(initial={"month": month.replace(day=1)}),
        "reports": Report.objects.select_related("site", "station")[:RECENT_REPORTS],
        "charts": selectors.site_charts(month.replace(day=1)),
        "zone": OperatorProfile.current().timezone,
        "month": month.replace(day=1),
    }
    return render(request, "billing/reports.html", context)


def _default_period() -> dict:
    today = timezone.now().date()
    return {"period_start": today.replace(day=1), "period_end": today}


@operator_required
@require_GET
def report_status(request, pk: int):
    """Progress of a report as JSON, polled by the reports page while it is being made."""
    report = get_object_or_404(Report, pk=pk)
    return JsonResponse(
        {
            "id": report.pk,
            "status": report.status,
            "progress": report.progress,
            "error": report.error,
            "summary": report.summary,
        }
    )


@operator_required
@require_GET
def report_download(request, pk: int, fmt: str):
    """The report's CSV or XLSX file, once it is done."""
    report = get_object_or_404(Report, pk=pk, status=Report.Status.DONE)
    file = {"csv": report.csv_file, "xlsx": report.xlsx_file}.get(fmt)
    if not file:
        raise Http404
    return FileResponse(file.open("rb"), as_attachment=True, filename=file.name.rsplit("/")[-1])


# --- invoices ------------------------------------------------------------------------


@operator_required
@require_GET
def invoice_list(request):
    """All invoices and credit notes, newest first; filter by year, kind or customer."""
    invoices = Invoice.objects.all()
    profile = OperatorProfile.current()
    year = request.GET.get("year", "")
    if year.isdigit():
        invoices = invoices.filter(year=int(year))
    if request.GET.get("kind") in Invoice.Kind.values:
        invoices = invoices.filter(kind=request.GET["kind"])
    if query := request.GET.get("q", "").strip():
        invoices = invoices.filter(customer_name__icontains=query) | invoices.filter(
            number__icontains=query
        )
    context = {
        "base_template": base_template(),
        "invoices": invoices.select_related("credit_note")[:INVOICES_PER_PAGE],
        "years": Invoice.objects.values_list("year", flat=True).distinct().order_by("-year"),
        "mine": False,
        "missing": profile.missing(),
        "zone": profile.timezone,
        "session_form": IssueSessionForm(),
        "month_form": IssueMonthForm(),
        "credit_form": CreditNoteForm(),
    }
    return render(request, "billing/invoice_list.html", context)


@login_required
@require_GET
def my_invoices(request):
    """The signed-in driver's invoices."""
    context = {
        "base_template": base_template(),
        "invoices": Invoice.objects.filter(customer=request.user)[:INVOICES_PER_PAGE],
        "mine": True,
    }
    return render(request, "billing/invoice_list.html", context)


def _invoice_for(request, pk: int) -> Invoice:
    invoice = get_object_or_404(Invoice.objects.select_related("credited_invoice"), pk=pk)
    if not (_operator(request.user) or invoice.customer_id == request.user.pk):
        raise Http404  # a driver never learns which invoice numbers exist
    return invoice


@login_required
@require_GET
def invoice_html(request, pk: int):
    return HttpResponse(documents.invoice_html(_invoice_for(request, pk)))


@login_required
@require_GET
def invoice_pdf(request, pk: int):
    invoice = _invoice_for(request, pk)
    try:
        pdf = documents.invoice_pdf(invoice)
    except documents.DocumentFontMissing as error:
        # A clear refusal rather than a PDF whose Chinese text prints as boxes.
        return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    return response
