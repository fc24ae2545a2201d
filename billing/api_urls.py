"""Billing's API resources, routed by api/urls.py: /api/v1/tariffs/, /invoices/, /reports/."""

from rest_framework.routers import SimpleRouter

from billing.api import InvoiceViewSet, ReportViewSet, TariffViewSet

router = SimpleRouter()
router.register("tariffs", TariffViewSet, basename="tariff")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("reports", ReportViewSet, basename="report")

urlpatterns = router.urls
