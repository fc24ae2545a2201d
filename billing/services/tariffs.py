"""Which tariff prices a session: connector, then station, then site, then the default."""

from django.db.models import Prefetch, Q

from billing.models import PowerTierPrice, Tariff, TariffAssignment, TimeOfUsePrice
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
    assignments = list(TariffAssignment.objects.filter(where))
    assignments.sort(key=lambda a: 0 if a.connector_id else 1 if a.station_id else 2)
    if assignments:
        return _tariffs().get(pk=assignments[0].tariff_id)
    return _tariffs().filter(is_default=True).first()


class TariffBook:
    """Every tariff and assignment in memory, to resolve many sessions without queries."""

    def __init__(self) -> None:
        self.tariffs = {tariff.pk: tariff for tariff in _tariffs()}
        self.specs = {pk: tariff.spec() for pk, tariff in self.tariffs.items()}
        self.by_target: dict[tuple[str, int], int] = {}
        for a in TariffAssignment.objects.all():
            kind, pk = (
                ("connector", a.connector_id)
                if a.connector_id
                else ("station", a.station_id)
                if a.station_id
                else ("site", a.site_id)
            )
            self.by_target[(kind, pk)] = a.tariff_id
        self.default = next((pk for pk, t in self.tariffs.items() if t.is_default), None)

    def resolve(self, *, station_pk: int, connector_pk: int | None, site_pk: int | None):
        """(tariff, spec) for the target, or (None, None) if nothing prices it."""
        for key in (("connector", connector_pk), ("station", station_pk), ("site", site_pk)):
            if key[1] is not None and key in self.by_target:
                pk = self.by_target[key]
                return self.tariffs[pk], self.specs[pk]
        if self.default is None:
            return None, None
        return self.tariffs[self.default], self.specs[self.default]

    def spec(self, tariff: Tariff) -> TariffSpec:
        return self.specs[tariff.pk]
