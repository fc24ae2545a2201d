"""Existing tariffs get their first version; sessions are fixed to it.

Priced sessions keep the tariff their price names (at its definition now: the only one
known); active sessions get the version of the tariff that prices their connector now
(connector, then station, then site, then the default). Ended unpriced sessions are
fixed when they are first priced.
"""

from django.db import migrations
from django.utils import timezone

from billing.pricing import PowerTier, TariffSpec, TimeOfUseRule
from billing.pricing.snapshot import snapshot_digest, spec_to_json


def _spec(tariff) -> TariffSpec:
    return TariffSpec(
        currency=tariff.currency,
        tax_rate_percent=tariff.tax_rate_percent,
        name=tariff.name,
        energy_price_per_kwh=tariff.energy_price_per_kwh,
        time_price_per_hour=tariff.time_price_per_hour,
        time_block_minutes=tariff.time_block_minutes,
        session_fee=tariff.session_fee,
        idle_price_per_minute=tariff.idle_price_per_minute,
        idle_grace_minutes=tariff.idle_grace_minutes,
        idle_fee_cap=tariff.idle_fee_cap,
        time_of_use=tuple(
            TimeOfUseRule(
                label=rule.label,
                weekdays=frozenset(int(day) for day in rule.weekdays),
                start=rule.start_time,
                end=rule.end_time,
                energy_price_per_kwh=rule.energy_price_per_kwh,
                time_price_per_hour=rule.time_price_per_hour,
            )
            for rule in tariff.time_of_use.order_by("position", "id")
        ),
        power_tiers=tuple(
            PowerTier(up_to_w=tier.up_to_w, price_per_hour=tier.price_per_hour)
            for tier in sorted(
                tariff.power_tiers.all(),
                key=lambda t: (t.up_to_w is None, t.up_to_w or 0),
            )
        ),
        tier_sustain_seconds=tariff.tier_sustain_seconds,
        prepaid_block_price=tariff.prepaid_block_price,
        minimum_price=tariff.minimum_price,
        maximum_price=tariff.maximum_price,
    )


def forward(apps, schema_editor):
    Tariff = apps.get_model("billing", "Tariff")
    TariffVersion = apps.get_model("billing", "TariffVersion")
    TariffAssignment = apps.get_model("billing", "TariffAssignment")
    SessionCharge = apps.get_model("billing", "SessionCharge")
    SessionTariff = apps.get_model("billing", "SessionTariff")
    ChargingSession = apps.get_model("stations", "ChargingSession")
    now = timezone.now()
    versions = {}
    for tariff in Tariff.objects.all():
        definition = spec_to_json(_spec(tariff))
        versions[tariff.pk] = TariffVersion.objects.create(
            tariff=tariff,
            number=1,
            name=tariff.name,
            currency=tariff.currency,
            definition=definition,
            digest=snapshot_digest(definition),
            created_at=now,
        )
    for charge in SessionCharge.objects.filter(tariff__isnull=False):
        version = versions[charge.tariff_id]
        SessionCharge.objects.filter(pk=charge.pk).update(tariff_version=version)
        SessionTariff.objects.get_or_create(
            session_id=charge.session_id, defaults={"version": version, "pinned_at": now}
        )
    by_target = {}
    for a in TariffAssignment.objects.all():
        key = (
            ("connector", a.connector_id)
            if a.connector_id
            else ("station", a.station_id)
            if a.station_id
            else ("site", a.site_id)
        )
        by_target[key] = a.tariff_id
    default = Tariff.objects.filter(is_default=True).values_list("pk", flat=True).first()
    active = ChargingSession.objects.filter(state="active", tariff_pin__isnull=True)
    for session in active.select_related("station"):
        keys = (
            ("connector", session.connector_id),
            ("station", session.station_id),
            ("site", session.station.site_id),
        )
        pk = next((by_target[k] for k in keys if k[1] is not None and k in by_target), default)
        if pk is not None:
            SessionTariff.objects.create(session=session, version=versions[pk], pinned_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_tariff_versions"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
