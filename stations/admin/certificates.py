"""Admin for the certificates ChargeNet's CA issued to stations (SignCertificate):
read-only, each with the CertificateSigned command that delivered it."""

from django.contrib import admin

from stations.admin.common import ReadOnlyAdmin
from stations.models import IssuedCertificate


@admin.register(IssuedCertificate)
class IssuedCertificateAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "station",
        "certificate_type",
        "subject",
        "serial_number",
        "not_after",
        "command",
    ]
    list_filter = ["certificate_type"]
    list_select_related = ["station", "command"]
    search_fields = ["=serial_number", "subject", "=station__station_id"]
    date_hierarchy = "created_at"
    fields = [
        "station",
        "certificate_type",
        "subject",
        "serial_number",
        "not_before",
        "not_after",
        "command",
        "created_at",
        "certificate_chain",
    ]
