"""Customer-information reports (OCPP 2.0.1 N09/N10: a driver's right to their data).

A station answers CustomerInformation with NotifyCustomerInformation messages, each
carrying part of the report (`seqNo` from 0, `tbc` while more follow); the parts are
assembled per request into one CustomerInformationReport.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from stations.models import Command, CustomerInformationReport
from stations.station_data.common import held_changed


@transaction.atomic
def customer_information_part(
    *,
    station_pk: int,
    request_id: int,
    seq_no: int,
    data: str,
    last_part: bool,
    generated_at: datetime | None = None,
) -> CustomerInformationReport:
    """Add one part to its request's report (a part sent again replaces itself)."""
    report, _ = CustomerInformationReport.objects.select_for_update(no_key=True).get_or_create(
        station_id=station_pk,
        request_id=request_id,
        defaults={
            "command": Command.objects.filter(
                pk=request_id, station_id=station_pk, action="customer_information"
            ).first()
        },
    )
    report.parts[str(seq_no)] = data
    if last_part:
        report.last_seq_no = seq_no
    if generated_at and (report.generated_at is None or generated_at < report.generated_at):
        report.generated_at = generated_at
    last = report.last_seq_no
    report.complete = last is not None and all(str(n) in report.parts for n in range(last + 1))
    report.updated_at = timezone.now()
    report.save()
    held_changed(station_pk, "customer_information")
    return report
