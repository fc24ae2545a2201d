"""Vendor-specific DataTransfer handlers.

A vendor extension registers a handler for its vendor id; every other vendor id is
answered `UnknownVendorId` (OCPP 1.6 §4.3, 2.0.1 P01), and every message is kept as a
station event so an operator can see what the station sent.
"""

from collections.abc import Callable
from dataclasses import dataclass

from stations.services.status import station_event_record


@dataclass(frozen=True)
class DataTransferResult:
    status: str  # Accepted | Rejected | UnknownMessageId | UnknownVendorId
    data: object = None


Handler = Callable[..., DataTransferResult]
_handlers: dict[str, Handler] = {}


def register(vendor_id: str, handler: Handler) -> None:
    """Register `handler(station_pk=, message_id=, data=)` for one vendor id."""
    _handlers[vendor_id] = handler


def unregister(vendor_id: str) -> None:
    _handlers.pop(vendor_id, None)


def data_transfer_handle(
    *, station_pk: int, vendor_id: str, message_id: str = "", data: object = None
) -> DataTransferResult:
    handler = _handlers.get(vendor_id)
    if handler is None:
        result = DataTransferResult("UnknownVendorId")
    else:
        result = handler(station_pk=station_pk, message_id=message_id, data=data)
    station_event_record(
        station_pk=station_pk,
        kind="DataTransfer",
        status=result.status,
        data={"vendor_id": vendor_id, "message_id": message_id, "data": data},
    )
    return result
