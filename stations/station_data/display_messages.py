"""Display messages a station holds (OCPP 2.0.1 O: display messages).

Each message dict holds DisplayMessage fields: message_id, priority, state, starts_at,
ends_at, transaction_id, contents ([{format, language, content}]), display.
"""

from django.db import transaction
from django.utils import timezone

from stations.models import DisplayMessage
from stations.station_data.common import full_report_sent_at, held_changed

MESSAGE_FIELDS = (
    "priority",
    "state",
    "starts_at",
    "ends_at",
    "transaction_id",
    "contents",
    "display",
    "updated_at",
)
# What a GetDisplayMessages may filter by: with none it asks for every message.
REPORT_FILTERS = ("ids", "priority", "state")


def display_messages_store(*, station_pk: int, messages: list[dict]) -> int:
    """Insert or update messages by their id (a message set again replaces the old)."""
    now = timezone.now()
    by_id = {m["message_id"]: m for m in messages}
    rows = [
        DisplayMessage(station_id=station_pk, updated_at=now, **fields) for fields in by_id.values()
    ]
    DisplayMessage.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["station", "message_id"],
        update_fields=list(MESSAGE_FIELDS),
    )
    held_changed(station_pk, "display_messages")
    return len(rows)


def display_messages_clear(*, station_pk: int, message_ids: list[int]) -> int:
    """Delete the messages the station cleared (or says it does not hold)."""
    messages = DisplayMessage.objects.filter(station_id=station_pk, message_id__in=message_ids)
    held_changed(station_pk, "display_messages")
    return messages.delete()[0]


def display_messages_none(*, station_pk: int) -> int:
    """The station holds no message (an Unknown answer to a request for all of them)."""
    held_changed(station_pk, "display_messages")
    return DisplayMessage.objects.filter(station_id=station_pk).delete()[0]


@transaction.atomic
def display_messages_report(
    *, station_pk: int, request_id: int | None, last_part: bool, messages: list[dict]
) -> int:
    """One NotifyDisplayMessages part; the last part of a report of every message
    deletes the messages it did not name."""
    stored = display_messages_store(station_pk=station_pk, messages=messages)
    if last_part:
        asked_at = full_report_sent_at(
            station_pk=station_pk,
            request_id=request_id,
            action="get_display_messages",
            filters=REPORT_FILTERS,
        )
        if asked_at is not None:
            DisplayMessage.objects.filter(station_id=station_pk, updated_at__lt=asked_at).delete()
    return stored
