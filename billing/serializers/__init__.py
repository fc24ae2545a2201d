"""REST API v1 representations of tariffs, invoices and reports.

Field names are the published v1 contract (docs/api.md): add, never rename.
"""

from billing.serializers.documents import (
    CreditNoteCreateSerializer,
    InvoiceCreateSerializer,
    InvoiceLineSerializer,
    InvoiceSerializer,
    ReportSerializer,
)
from billing.serializers.tariffs import (
    AssignmentSerializer,
    PowerTierSerializer,
    TariffSerializer,
    TimeOfUseSerializer,
)

__all__ = [
    "AssignmentSerializer",
    "CreditNoteCreateSerializer",
    "InvoiceCreateSerializer",
    "InvoiceLineSerializer",
    "InvoiceSerializer",
    "PowerTierSerializer",
    "ReportSerializer",
    "TariffSerializer",
    "TimeOfUseSerializer",
]
