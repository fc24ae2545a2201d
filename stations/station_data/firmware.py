"""A firmware update's progress as the station reports it (FirmwareStatusNotification,
1.6 SignedFirmwareStatusNotification): kept as a station event naming its request,
and announced so the station's page shows the update's history at once."""

from django.db import transaction

from stations.services.status import station_event_record
from stations.station_data.common import held_changed


@transaction.atomic
def firmware_status_record(*, station_pk: int, status: str, request_id: int | None) -> None:
    """One progress status (Downloading, SignatureVerified, InvalidSignature, ...);
    `request_id` names the update (None: a 1.6 station's, which names none)."""
    data = {"request_id": request_id} if request_id is not None else {}
    station_event_record(station_pk=station_pk, kind="FirmwareStatus", status=status, data=data)
    held_changed(station_pk, "firmware")
