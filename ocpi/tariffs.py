"""ChargeNet's tariffs as OCPI 2.2.1 Tariffs (module `tariffs`, SENDER).

Prices are net of tax (`price`), with the tariff's tax rate as `vat`. The elements, in
the order OCPI evaluates them (the first whose restrictions hold prices a dimension):

- one per time-of-use rule: `start_time`/`end_time`/`day_of_week` restrictions, with
  the rule's ENERGY and TIME prices (the base price where the rule leaves one unset);
- with power tiers, one per tier: a TIME price with `min_power`/`max_power` (kW);
- the base element: ENERGY per kWh (step 1 Wh), TIME per hour (step: the billed
  block), FLAT (the session fee) and PARKING_TIME (the idle fee per minute × 60).

What OCPI cannot say (docs/ocpi.md): the idle grace period and the idle fee cap, a
power tier chosen by the session's *sustained peak* (OCPI applies `max_power` to the
power at each moment), and prepaid e-bike blocks. CDRs carry the price ChargeNet
actually charged, so these differences never reach what the driver pays.
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings

from billing.models import Tariff, TariffVersion
from billing.pricing import TariffSpec
from ocpi.common import timestamp
from ocpi.locations import tariff_id

DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def number(value: Decimal) -> float:
    """OCPI's `number` (a JSON decimal): at most four decimals, as ChargeNet stores."""
    return float(Decimal(value).quantize(Decimal("0.0001")))


def price(net: Decimal, tax_rate_percent: Decimal) -> dict:
    gross = Decimal(net) * (1 + Decimal(tax_rate_percent) / 100)
    return {"excl_vat": number(net), "incl_vat": number(gross)}


def _component(kind: str, amount: Decimal, vat: Decimal, step: int) -> dict:
    return {"type": kind, "price": number(amount), "vat": number(vat), "step_size": step}


def _hhmm(moment) -> str:
    return moment.strftime("%H:%M")


def tariff_object(tariff: Tariff) -> dict:
    """The tariff as it is now."""
    return _body(tariff.spec(), tariff_id(tariff.pk), tariff.updated_at, tariff.description)


def version_object(version: TariffVersion) -> dict:
    """The tariff as one of its versions defined it: what a session was priced with.
    Same id as the tariff (a deleted tariff's version gets its own), last_updated the
    moment the version came into force."""
    tariff = version.tariff
    ident = tariff_id(tariff.pk) if tariff else f"TARIFF-V{version.pk}"
    return _body(version.spec(), ident, version.created_at, tariff.description if tariff else "")


def _body(spec: TariffSpec, ident: str, updated_at: datetime, description: str) -> dict:
    vat = spec.tax_rate_percent
    time_step = spec.time_block_minutes * 60
    elements = []
    for rule in spec.time_of_use:
        energy = (
            spec.energy_price_per_kwh
            if rule.energy_price_per_kwh is None
            else (rule.energy_price_per_kwh)
        )
        hourly = (
            spec.time_price_per_hour
            if rule.time_price_per_hour is None
            else (rule.time_price_per_hour)
        )
        components = []
        if energy:
            components.append(_component("ENERGY", energy, vat, 1))
        if hourly and not spec.power_tiers:
            components.append(_component("TIME", hourly, vat, time_step))
        if not components:
            continue
        restrictions = {"day_of_week": [DAYS[d] for d in sorted(rule.weekdays)]}
        if rule.start != rule.end:
            restrictions.update(start_time=_hhmm(rule.start), end_time=_hhmm(rule.end))
        elements.append({"price_components": components, "restrictions": restrictions})
    floor = 0
    for tier in spec.power_tiers:
        restrictions = {"min_power": floor / 1000}
        if tier.up_to_w is not None:
            restrictions["max_power"] = tier.up_to_w / 1000
            floor = tier.up_to_w
        elements.append(
            {
                "price_components": [_component("TIME", tier.price_per_hour, vat, time_step)],
                "restrictions": restrictions,
            }
        )
    base = []
    if spec.energy_price_per_kwh:
        base.append(_component("ENERGY", spec.energy_price_per_kwh, vat, 1))
    if spec.time_price_per_hour and not spec.power_tiers:
        base.append(_component("TIME", spec.time_price_per_hour, vat, time_step))
    if spec.session_fee:
        base.append(_component("FLAT", spec.session_fee, vat, 1))
    if spec.idle_price_per_minute:
        base.append(_component("PARKING_TIME", spec.idle_price_per_minute * 60, vat, 60))
    if not base:  # a free tariff still needs one element
        base.append(_component("FLAT", Decimal(0), vat, 1))
    elements.append({"price_components": base})
    body = {
        "country_code": settings.OCPI_COUNTRY_CODE,
        "party_id": settings.OCPI_PARTY_ID,
        "id": ident,
        "currency": spec.currency,
        "type": "REGULAR",
        "elements": elements,
        "last_updated": timestamp(updated_at),
    }
    if description:
        body["tariff_alt_text"] = [{"language": "en", "text": description[:512]}]
    if spec.minimum_price is not None:
        body["min_price"] = price(spec.minimum_price, vat)
    if spec.maximum_price is not None:
        body["max_price"] = price(spec.maximum_price, vat)
    return body


def all_tariffs():
    return Tariff.objects.prefetch_related("time_of_use", "power_tiers").order_by("pk")
