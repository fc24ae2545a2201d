"""Register a batch of stations in one transaction, their passwords hashed in parallel.

Rows arrive checked one by one (the API's row serializer); what only the whole batch
can tell (an id twice in the batch, an id already registered) is checked here.
"""

from collections import defaultdict

from django.db import transaction

from stations.models import ChargingStation, Connector
from stations.services import passwords

#: The most rows one call registers: enough for a city's network, small enough to
#: answer well within a proxy's timeout.
MAX_ROWS = 5_000
ALREADY_REGISTERED = "A station with this id is already registered."
BATCH_SIZE = 1_000


def station_id_conflicts(station_ids: list[str | None]) -> dict[int, str]:
    """Row index -> why its station id cannot be registered with this batch.

    `None` marks a row whose id is already invalid on its own. An id given twice is
    refused on every row that names it; an id already registered, on its row.
    """
    rows_by_id: dict[str, list[int]] = defaultdict(list)
    for index, station_id in enumerate(station_ids):
        if station_id is not None:
            rows_by_id[station_id].append(index)
    conflicts: dict[int, str] = {}
    for rows in rows_by_id.values():
        if len(rows) > 1:
            for index in rows:
                others = ", ".join(str(other) for other in rows if other != index)
                conflicts[index] = f"This station id is given again in row {others}."
    taken = set(
        ChargingStation.objects.filter(station_id__in=list(rows_by_id)).values_list(
            "station_id", flat=True
        )
    )
    for station_id in taken:
        for index in rows_by_id[station_id]:
            conflicts.setdefault(index, ALREADY_REGISTERED)
    return conflicts


def stations_register_bulk(rows: list[dict]) -> list[ChargingStation]:
    """Register every row (ChargingStation fields, `password`, `connector_count`) or none.

    Like stations.services.registration.station_register, once per row: the password
    hashed with the station hasher, connectors 1..N created Unavailable. Raises
    IntegrityError, registering nothing, when an id was taken since it was checked.
    """
    rows = [dict(row) for row in rows]
    # Hashing takes most of the time: done before the transaction, so no lock or
    # connection is held meanwhile.
    hashes = passwords.station_password_hash_many([row.pop("password", None) for row in rows])
    counts = [row.pop("connector_count", 0) or 0 for row in rows]
    stations = [
        ChargingStation(**row, password=hashed) for row, hashed in zip(rows, hashes, strict=True)
    ]
    with transaction.atomic():
        ChargingStation.objects.bulk_create(stations, batch_size=BATCH_SIZE)
        Connector.objects.bulk_create(
            (
                Connector(station=station, connector_id=number, status="Unavailable")
                for station, count in zip(stations, counts, strict=True)
                for number in range(1, count + 1)
            ),
            batch_size=BATCH_SIZE,
        )
    return stations
