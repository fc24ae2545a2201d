"""What the modules of this package share: full reports and their requests, and the
rows a station holds by an id of its own (monitors, display messages)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone

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


@dataclass(frozen=True)
class HeldRows:
    """One kind of row a station holds, unique per station by the station's id `key`.

    `fields`: what a report or result may change; `what`: the name held_changed
    sends; `report_action` and `report_filters`: the command that asks for a report
    and what it may filter by (with none it asks for every row).
    """

    model: type[models.Model]
    key: str
    fields: tuple[str, ...]
    what: str
    report_action: str
    report_filters: tuple[str, ...]

    def store(self, station_pk: int, rows: list[dict]) -> int:
        """Insert or update rows by their id; returns how many."""
        now = timezone.now()
        by_id = {row[self.key]: row for row in rows}  # the last one named wins
        objects = [
            self.model(station_id=station_pk, updated_at=now, **fields) for fields in by_id.values()
        ]
        self.model.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["station", self.key],
            update_fields=list(self.fields),
        )
        held_changed(station_pk, self.what)
        return len(objects)

    def clear(self, station_pk: int, ids: list[int]) -> int:
        """Delete the rows the station cleared; returns how many went."""
        rows = self.model.objects.filter(station_id=station_pk, **{f"{self.key}__in": ids})
        held_changed(station_pk, self.what)
        return rows.delete()[0]

    def none(self, station_pk: int) -> int:
        """The station holds no such row: delete them all."""
        held_changed(station_pk, self.what)
        return self.model.objects.filter(station_id=station_pk).delete()[0]

    @transaction.atomic
    def report(
        self, station_pk: int, request_id: int | None, last_part: bool, rows: list[dict]
    ) -> int:
        """One part of a report; the last part of a report of every row deletes the
        rows it did not name."""
        stored = self.store(station_pk, rows)
        if last_part:
            asked_at = full_report_sent_at(
                station_pk=station_pk,
                request_id=request_id,
                action=self.report_action,
                filters=self.report_filters,
            )
            if asked_at is not None:
                self.model.objects.filter(station_id=station_pk, updated_at__lt=asked_at).delete()
        return stored
