"""Display messages a station holds (OCPP 2.0.1 O: display messages).

Each message dict holds DisplayMessage fields: message_id, priority, state, starts_at,
ends_at, transaction_id, contents ([{format, language, content}]), display.
"""

from stations.models import DisplayMessage
from stations.station_data.common import HeldRows

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

MESSAGES = HeldRows(
    model=DisplayMessage,
    key="message_id",
    fields=MESSAGE_FIELDS,
    what="display_messages",
    report_action="get_display_messages",
    report_filters=REPORT_FILTERS,
)


def display_messages_store(*, station_pk: int, messages: list[dict]) -> int:
    """Insert or update messages by their id (a message set again replaces the old)."""
    return MESSAGES.store(station_pk, messages)


def display_messages_clear(*, station_pk: int, message_ids: list[int]) -> int:
    """Delete the messages the station cleared (or says it does not hold)."""
    return MESSAGES.clear(station_pk, message_ids)


def display_messages_none(*, station_pk: int) -> int:
    """The station holds no message (an Unknown answer to a request for all of them)."""
    return MESSAGES.none(station_pk)


def display_messages_report(
    *, station_pk: int, request_id: int | None, last_part: bool, messages: list[dict]
) -> int:
    """One NotifyDisplayMessages part; the last part of a report of every message
    deletes the messages it did not name."""
    return MESSAGES.report(station_pk, request_id, last_part, messages)
