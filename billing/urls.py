"""Billing pages; chargenet.urls includes them under /billing/."""

from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("reports/", views.report_list, name="report-list"),
    path("reports/<int:pk>/status/", views.report_status, name="report-status"),
    path("reports/<int:pk>/<str:fmt>/", views.report_download, name="report-download"),
    path("invoices/", views.invoice_list, name="invoice-list"),
    path("invoices/mine/", views.my_invoices, name="my-invoices"),
    path("invoices/<int:pk>/", views.invoice_html, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice-pdf"),
]
