"""Billing pages; chargenet.urls includes them under /billing/."""

from django.urls import path

from billing import views
from billing.pages import balances, invoices, tariffs

app_name = "billing"

urlpatterns = [
    path("tariffs/", tariffs.tariff_list, name="tariff-list"),
    path("tariffs/new/", tariffs.tariff_edit, name="tariff-new"),
    path("tariffs/<int:pk>/", tariffs.tariff_edit, name="tariff"),
    path("tariffs/<int:pk>/assign/", tariffs.tariff_assign, name="tariff-assign"),
    path(
        "tariffs/<int:pk>/assignments/<int:assignment_pk>/remove/",
        tariffs.tariff_unassign,
        name="tariff-unassign",
    ),
    path("reports/", views.report_list, name="report-list"),
    path("reports/<int:pk>/status/", views.report_status, name="report-status"),
    path("reports/<int:pk>/<str:fmt>/", views.report_download, name="report-download"),
    path("invoices/", views.invoice_list, name="invoice-list"),
    path("invoices/mine/", views.my_invoices, name="my-invoices"),
    path("invoices/issue/session/", invoices.invoice_issue_session, name="invoice-issue-session"),
    path("invoices/issue/month/", invoices.invoice_issue_month, name="invoice-issue-month"),
    path("invoices/<int:pk>/", views.invoice_html, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
    path("invoices/<int:pk>/credit-note/", invoices.invoice_credit, name="invoice-credit"),
    path("profile/", invoices.operator_profile, name="profile"),
    path("balances/", balances.balance_list, name="balance-list"),
    path("balances/<int:driver_pk>/", balances.balance_ledger, name="balance"),
]
