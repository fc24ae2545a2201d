"""A SessionCharge for every session priced before the price was stored once.

Before this, a session's price was also kept on the session itself (price_total,
price_currency, price_lines); stations/0008 removes those columns. A session with
such a price but no SessionCharge (older data) gets one here, so no price is lost:
gross = the session's total, net = gross, no tax, its lines, no tariff, priced when the
session was last updated (pricing saved it) or else when it ended.

Backwards, the sessions' copies are filled in again from their charges (the gross to
the cent, as the 2-place column stored it); the charges made here stay.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations

BATCH = 2000
CENT = Decimal("0.01")


def charges_from_session_prices(apps, schema_editor):
    ChargingSession = apps.get_model("stations", "ChargingSession")
    SessionCharge = apps.get_model("billing", "SessionCharge")
    db = schema_editor.connection.alias
    sessions = ChargingSession.objects.using(db)
    # The ids first: nothing is inserted while the query that joins the charges runs.
    unbilled = list(
        sessions.filter(price_total__isnull=False, charge__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(unbilled), BATCH):
        rows = sessions.filter(pk__in=unbilled[start : start + BATCH]).values_list(
            "pk", "price_total", "price_currency", "price_lines", "updated_at", "ended_at"
        )
        SessionCharge.objects.using(db).bulk_create(
            SessionCharge(
                session_id=pk,
                tariff=None,
                tariff_name="",
                currency=currency,
                net=total,
                tax_rate_percent=Decimal(0),
                tax=Decimal(0),
                gross=total,
                lines=lines if lines is not None else [],
                priced_at=updated_at or ended_at,
            )
            for pk, total, currency, lines, updated_at, ended_at in rows
        )


def session_prices_from_charges(apps, schema_editor):
    ChargingSession = apps.get_model("stations", "ChargingSession")
    SessionCharge = apps.get_model("billing", "SessionCharge")
    db = schema_editor.connection.alias
    charges = SessionCharge.objects.using(db).order_by("pk")
    for charge in charges.iterator(chunk_size=BATCH):
        ChargingSession.objects.using(db).filter(pk=charge.session_id).update(
            price_total=charge.gross.quantize(CENT, rounding=ROUND_HALF_UP),
            price_currency=charge.currency,
            price_lines=charge.lines,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_balances"),
        # The last state of the sessions that still holds their own copy of the price.
        ("stations", "0007_station_password_rotation"),
    ]

    operations = [
        migrations.RunPython(charges_from_session_prices, session_prices_from_charges),
    ]
