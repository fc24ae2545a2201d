"""Prepaid balances: a ledger of top-ups and session debits; the balance is their sum.

A payment provider plugs in through `balance_top_up` (its `reference` makes a replayed
notification harmless); billing calls `balance_debit_session` once a session is priced.
"""

from decimal import Decimal

from django.contrib import admin
from django.db import IntegrityError, transaction
from django.db.models import Sum

from billing.models import BalanceEntry, Tariff
from stations.models import ChargingSession

CENT = Decimal("0.01")


def balance_of(*, driver, currency: str) -> Decimal:
    """The driver's balance in one currency (0 without entries)."""
    total = BalanceEntry.objects.filter(driver=driver, currency=currency).aggregate(
        total=Sum("amount")
    )["total"]
    return (total or Decimal(0)).quantize(CENT)


def balances_of(*, driver) -> dict[str, Decimal]:
    """Every currency the driver has entries in, with its balance."""
    rows = (
        BalanceEntry.objects.filter(driver=driver)
        .values_list("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {currency: (total or Decimal(0)).quantize(CENT) for currency, total in rows}


def balance_top_up(
    *, driver, amount: Decimal, currency: str, by=None, note: str = "", reference: str = ""
) -> BalanceEntry:
    """Credit the driver; a `reference` already recorded returns the first entry unchanged."""
    if amount <= 0:
        raise ValueError("A top-up is a positive amount.")
    if reference:
        existing = BalanceEntry.objects.filter(reference=reference).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            return BalanceEntry.objects.create(
                driver=driver,
                kind=BalanceEntry.Kind.TOP_UP,
                amount=amount.quantize(CENT),
                currency=currency.upper(),
                created_by=by,
                note=note,
                reference=reference,
            )
    except IntegrityError:  # the same reference, recorded concurrently
        return BalanceEntry.objects.get(reference=reference)


@transaction.atomic
def balance_debit_session(*, session: ChargingSession) -> BalanceEntry | None:
    """Debit a priced session's total from its token owner's balance; safe to repeat.

    A session priced again (e.g. after a correction) is debited the difference only.
    Sessions without a price or without a driver debit nothing.
    """
    session = ChargingSession.objects.select_related("id_token", "charge").get(pk=session.pk)
    driver = session.id_token.owner if session.id_token_id else None
    charge = getattr(session, "charge", None)
    if driver is None or charge is None:
        return None
    debited = BalanceEntry.objects.filter(session=session, currency=charge.currency).aggregate(
        total=Sum("amount")
    )["total"] or Decimal(0)
    # The ledger holds cents: debit the gross to the cent, so a repeat finds no difference.
    difference = -charge.total - debited
    if difference == 0:
        return None
    return BalanceEntry.objects.create(
        driver=driver,
        kind=BalanceEntry.Kind.DEBIT if debited == 0 else BalanceEntry.Kind.ADJUSTMENT,
        amount=difference,
        currency=charge.currency,
        session=session,
        note=str(session),
    )


def tariff_minimum(tariff: Tariff) -> Decimal:
    """The least a session on the tariff costs, tax included: the start needs this much."""
    net = max(
        tariff.minimum_price or Decimal(0),
        tariff.prepaid_block_price or Decimal(0),
        tariff.session_fee or Decimal(0),
    )
    gross = net * (1 + tariff.tax_rate_percent / 100)
    return gross.quantize(CENT)


def balance_covers(*, driver, tariff: Tariff | None) -> tuple[bool, Decimal, Decimal]:
    """(enough?, balance, needed) for starting a session on the tariff."""
    if tariff is None:
        return True, Decimal(0), Decimal(0)
    needed = tariff_minimum(tariff)
    balance = balance_of(driver=driver, currency=tariff.currency)
    return needed <= 0 or balance >= needed, balance, needed


# --- admin: operators record top-ups and corrections -----------------------------------


@admin.register(BalanceEntry)
class BalanceEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "driver", "kind", "amount", "currency", "session", "note"]
    list_filter = ["kind", "currency"]
    search_fields = ["driver__username", "driver__email", "reference", "note"]
    raw_id_fields = ["driver", "session"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a ledger is corrected with a new row, never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
