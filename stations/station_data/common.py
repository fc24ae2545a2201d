"""What the modules of this package share: full reports and their requests."""

from datetime import datetime

from stations import events
from stations.models import Command

#: The live pages' event when what a station holds changed: data names `what`
#: (monitors, display_messages, certificates, customer_information).
HELD_CHANGED = "station.held"


def held_changed(station_pk: int, what: str) -> None:
    """Tell the station's page (once committed) to re-read what the station holds."""
    events.publish(HELD_CHANGED, station_pk, {"what": what})


def full_report_sent_at(
    *, station_pk: int, request_id: int | None, action: str, filters
) -> datetime | None:
    """When ChargeNet asked for the report `request_id` names, if it asked for all of
    the station's rows (no filter among `filters`); else None.

    A full report's last part replaces what ChargeNet held: rows older than the
    request were not reported, so the station no longer holds them.
    """
    if request_id is None:
        return None
    command = Command.objects.filter(pk=request_id, station_id=station_pk, action=action).first()
    if command is None or any(command.params.get(name) not in (None, "", []) for name in filters):
        return None
    return command.created_at
