"""Which tariff prices a session: connector, then station, then site, then the default."""

from django.db.models import Prefetch, Q

from billing.models import (
    PowerTierPrice,
    SessionTariff,
    Tariff,
    TariffAssignment,
    TariffVersion,
    TimeOfUsePrice,
)
from billing.pricing import TariffSpec


def _tariffs():
    return Tariff.objects.prefetch_related(
        Prefetch("time_of_use", queryset=TimeOfUsePrice.objects.order_by("position", "id")),
        Prefetch("power_tiers", queryset=PowerTierPrice.objects.all()),
    )


def tariff_for(*, station_pk: int, connector_pk: int | None, site_pk: int | None) -> Tariff | None:
    """The most specific tariff assigned to the connector, station or site, else the default."""
    where = Q(station_id=station_pk)
    if connector_pk is not None:
        where |= Q(connector_id=connector_pk)
    if site_pk is not None:
        where |= Q(site_id=site_pk)
    by_target = dict(_target(a) for a in TariffAssignment.objects.filter(where))
    pk = _most_specific(
        by_target, station_pk=station_pk, connector_pk=connector_pk, site_pk=site_pk
    )
    if pk is not None:
        return _tariffs().get(pk=pk)
    return _tariffs().filter(is_default=True).first()


def _target(assignment: TariffAssignment) -> tuple[tuple[str, int], int]:
    """((kind, pk) of what the assignment prices, its tariff's pk)."""
    if assignment.connector_id:
        return ("connector", assignment.connector_id), assignment.tariff_id
    if assignment.station_id:
        return ("station", assignment.station_id), assignment.tariff_id
    return ("site", assignment.site_id), assignment.tariff_id


def _most_specific(
    by_target: dict[tuple[str, int], int],
    *,
    station_pk: int,
    connector_pk: int | None,
    site_pk: int | None,
) -> int | None:
    """The tariff pk assigned to the connector, else the station, else the site; the one
    precedence rule (the default tariff comes after all of them)."""
    for key in (("connector", connector_pk), ("station", station_pk), ("site", site_pk)):
        if key[1] is not None and key in by_target:
            return by_target[key]
    return None


class TariffBook:
    """Every tariff and assignment in memory, to resolve many sessions without queries;
    and the tariff versions sessions are fixed to, as they are looked up."""

    def __init__(self) -> None:
        self.tariffs = {tariff.pk: tariff for tariff in _tariffs()}
        self.specs = {pk: tariff.spec() for pk, tariff in self.tariffs.items()}
        self.by_target = dict(_target(a) for a in TariffAssignment.objects.all())
        self.default = next((pk for pk, t in self.tariffs.items() if t.is_default), None)
        self.pins: dict[int, TariffVersion | None] = {}  # session pk: its version
        self.version_specs: dict[int, TariffSpec] = {}

    def pins_load(self, session_pks) -> None:
        """The versions of many sessions in one query (sessions not yet fixed are left out)."""
        rows = SessionTariff.objects.filter(session_id__in=list(session_pks)).select_related(
            "version"
        )
        self.pins.update((row.session_id, row.version) for row in rows)

    def version_spec(self, version: TariffVersion) -> TariffSpec:
        if version.pk not in self.version_specs:
            self.version_specs[version.pk] = version.spec()
        return self.version_specs[version.pk]

    def resolve(self, *, station_pk: int, connector_pk: int | None, site_pk: int | None):
        """(tariff, spec) for the target, or (None, None) if nothing prices it."""
        pk = _most_specific(
            self.by_target, station_pk=station_pk, connector_pk=connector_pk, site_pk=site_pk
        )
        if pk is None:
            pk = self.default
        if pk is None:
            return None, None
        return self.tariffs[pk], self.specs[pk]

    def spec(self, tariff: Tariff) -> TariffSpec:
        return self.specs[tariff.pk]
