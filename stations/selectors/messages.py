"""One station's OCPP message log."""

from dataclasses import dataclass

from django.db.models import QuerySet

from stations.models import ChargingStation, OcppMessage

CALL_ERROR = 4


@dataclass(frozen=True)
class MessageFilters:
    action: str = ""
    direction: str = ""
    errors_only: bool = False


def message_list(station: ChargingStation, filters: MessageFilters) -> QuerySet[OcppMessage]:
    messages = OcppMessage.objects.filter(station=station).order_by("-created_at", "-id")
    if filters.action:
        messages = messages.filter(action=filters.action)
    if filters.direction:
        messages = messages.filter(direction=filters.direction)
    if filters.errors_only:
        messages = messages.filter(message_type=CALL_ERROR)
    return messages


def message_actions(station: ChargingStation) -> list[str]:
    """The actions in this station's log, for the filter."""
    actions = (
        OcppMessage.objects.filter(station=station)
        .exclude(action="")
        .values_list("action", flat=True)
        .distinct()
        .order_by("action")
    )
    return list(actions)
