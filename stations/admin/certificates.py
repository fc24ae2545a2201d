"""Admin for the certificates ChargeNet's CA issued to stations (SignCertificate):
read-only, each with the CertificateSigned command that delivered it."""

from django.contrib import admin

from stations.admin.common import ReadOnlyAdmin
from stations.models import IssuedCertificate
from stations.templatetags.clock import clock_column


@admin.register(IssuedCertificate)
class IssuedCertificateAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at_clock",
        "station",
        "certificate_type",
        "subject",
        "serial_number",
        "not_after_clock",
        "command",
    ]
    list_filter = ["certificate_type"]
    list_select_related = ["station__site", "command"]
    created_at_clock = clock_column(IssuedCertificate, "created_at")
    not_after_clock = clock_column(IssuedCertificate, "not_after")
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
