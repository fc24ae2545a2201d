"""`GET /ocpi/2.2.1/tariffs` as SENDER: every ChargeNet tariff (ocpi/tariffs.py)."""

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi import tariffs
from ocpi.views.base import OcpiView, date_range, paginate


class TariffListView(OcpiView):
    def get(self, request: Request) -> Response:
        start, end = date_range(request)
        rows = tariffs.all_tariffs()
        if start is not None:
            rows = rows.filter(updated_at__gte=start)
        if end is not None:
            rows = rows.filter(updated_at__lt=end)
        return paginate(request, list(rows), tariffs.tariff_object)
