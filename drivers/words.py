"""A tariff in plain words for a driver: gross prices (tax included), one line each."""

from decimal import Decimal

from django.utils.translation import gettext as _

from billing.models import Tariff

CENT = Decimal("0.01")


def money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(CENT)} {currency}"


def tariff_words(tariff: Tariff | None) -> list[str]:
    if tariff is None:
        return [_("Free of charge here.")]
    factor = 1 + tariff.tax_rate_percent / 100

    def gross(value: Decimal) -> str:
        return money(value * factor, tariff.currency)

    lines = []
    if tariff.energy_price_per_kwh:
        lines.append(_("%(price)s per kWh") % {"price": gross(tariff.energy_price_per_kwh)})
    if tariff.time_price_per_hour:
        lines.append(_("%(price)s per hour") % {"price": gross(tariff.time_price_per_hour)})
    for tier in tariff.power_tiers.all():
        price = gross(tier.price_per_hour)
        if tier.up_to_w is None:
            lines.append(_("higher power: %(price)s per hour") % {"price": price})
        else:
            words = _("up to %(watts)s W: %(price)s per hour")
            lines.append(words % {"watts": tier.up_to_w, "price": price})
    if tariff.session_fee:
        lines.append(_("%(price)s to start") % {"price": gross(tariff.session_fee)})
    if tariff.prepaid_block_price:
        lines.append(
            _("paid in advance in blocks of %(price)s")
            % {"price": gross(tariff.prepaid_block_price)}
        )
    if tariff.idle_price_per_minute:
        lines.append(
            _("%(price)s per minute parked without charging, after %(minutes)s min")
            % {"price": gross(tariff.idle_price_per_minute), "minutes": tariff.idle_grace_minutes}
        )
    if tariff.minimum_price:
        lines.append(_("at least %(price)s per session") % {"price": gross(tariff.minimum_price)})
    if tariff.maximum_price:
        lines.append(_("at most %(price)s per session") % {"price": gross(tariff.maximum_price)})
    if not lines:
        lines.append(_("Free of charge here."))
    elif tariff.tax_rate_percent:
        lines.append(
            _("Prices include %(rate)s%% tax.") % {"rate": tariff.tax_rate_percent.normalize()}
        )
    return lines
