"""Pricing sessions: gather a session's facts, price it, store the price.

A session's price is stored once, by `session_price_store` alone: its SessionCharge
(billing/models/history.py: net, tax, gross, lines, tariff). Lists, pages and the API
read it through the session's reverse relation `charge`. Pricing is queued when a
session ends (billing/hooks.py subscribes to `session.ended`).
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.balances import balance_debit_session
from billing.models import (
    ConnectorStatusPeriod,
    Invoice,
    InvoiceLine,
    SessionCharge,
    Tariff,
    TariffVersion,
)
from billing.pricing import (
    IDLE_STATUSES,
    Price,
    Reading,
    SessionFacts,
    StatusPeriod,
    TariffSpec,
    prepaid_block_ends_at,
    round_money,
    tariff_price_session,
)
from billing.pricing.derive import idle_periods_from_readings
from billing.services.tariffs import TariffBook
from billing.services.versions import session_tariff_version
from chargenet.celery import delay_on_commit
from stations import events
from stations.metering import POWER, WHOLE_METER_ENERGY, WHOLE_METER_POWER
from stations.models import ChargingSession, MeterSample
from stations.ocpp import action_versions
from stations.services.costs import SessionCost

logger = logging.getLogger(__name__)

# A Finishing status reported this soon after the stop still belongs to the session:
# the station sends it right after StopTransaction, while the car blocks the plug.
TRAILING_STATUS_WINDOW = timedelta(minutes=5)
FINISHING = "Finishing"
# The stop reason (1.6 and 2.0.1 alike) of a session ended by unplugging the car.
EV_DISCONNECTED = "EVDisconnected"


def session_tariff(session: ChargingSession) -> Tariff | None:
    """The tariff of the version the session is priced with (None: no tariff)."""
    version = session_tariff_version(session)
    return version.tariff if version is not None else None


def session_tariff_spec(session: ChargingSession) -> TariffSpec | None:
    """The tariff the session is priced with, as it was when the session started."""
    return _resolve(session, None)[1]


# Flags a safety stop leaves on a session (reliability's e-bike protection).
SAFETY_STOP_FLAG = "safety_stop_"


def session_facts(
    session: ChargingSession, *, now: datetime | None = None, status: bool = True
) -> SessionFacts:
    """The session's times, energy, meter readings and (unless not `status`) status periods."""
    now = now or timezone.now()
    readings = session_readings(session)
    end = max(session.ended_at or now, session.started_at)
    periods = _status_periods(session, end) if status else ()
    if periods is None:
        periods = idle_periods_from_readings(readings, session.started_at, end)
    site = session.station.site
    return SessionFacts(
        started_at=session.started_at,
        ended_at=session.ended_at,
        energy_wh=max(0, session.energy_wh),
        meter_start_wh=session.meter_start_wh,
        readings=readings,
        status_periods=periods,
        timezone=site.timezone if site else "UTC",
        priced_at=now,
        safety_stop=any(flag.startswith(SAFETY_STOP_FLAG) for flag in session.flags),
    )


def session_readings(session: ChargingSession) -> tuple[Reading, ...]:
    """Whole-meter power (W) and energy register (Wh) readings, one per moment."""
    rows = (
        MeterSample.objects.filter(WHOLE_METER_ENERGY | WHOLE_METER_POWER, session=session)
        .order_by("timestamp")
        .values_list("timestamp", "measurand", "value")
    )
    moments: dict[datetime, dict] = {}
    for at, measurand, value in rows:
        key = "power_w" if measurand == POWER else "energy_wh"
        moments.setdefault(at, {}).setdefault(key, value)
    return tuple(Reading(at, **values) for at, values in moments.items())


def _status_periods(session: ChargingSession, end: datetime) -> tuple[StatusPeriod, ...] | None:
    """Recorded periods of the session's connector, or None if none were recorded.

    Times are the station's own where it sent them (billing/services/status.py). Once
    the session has ended, only Finishing outlasts the stop (the car still blocks the
    plug): a Charging or SuspendedEV period the history leaves open past the stop ends
    at the stop (a station's next report may arrive long after, or never). A session
    the EV ended by disconnecting (stop reason EVDisconnected) has no idle time after
    its stop from a Finishing ChargeNet only assumed (2.x has no such status): the car
    has left. A Finishing the station itself reported counts until it ends.
    """
    if session.connector_id is None:
        return None
    mine = ConnectorStatusPeriod.objects.filter(
        station_id=session.station_id, connector_id=session.connector.connector_id
    )
    overlapping = list(
        mine.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=session.started_at))
        .filter(started_at__lt=end)
        .order_by("started_at")
    )
    if not overlapping:
        return None
    departed = session.stop_reason == EV_DISCONNECTED
    trailing = mine.filter(started_at__gte=end).order_by("started_at").first()
    if (
        trailing
        and not (departed and trailing.inferred)
        and trailing.status in IDLE_STATUSES
        and trailing.started_at <= end + TRAILING_STATUS_WINDOW
    ):
        overlapping.append(trailing)
    ended = session.ended_at is not None
    periods = []
    for period in overlapping:
        until = period.ended_at
        if ended and (period.status != FINISHING or (departed and period.inferred)):
            until = min(until or end, end)
        periods.append(StatusPeriod(period.status, period.started_at, until))
    return tuple(periods)


def session_is_invoiced(session: ChargingSession) -> bool:
    """On an invoice that no credit note has cancelled."""
    return InvoiceLine.objects.filter(
        session=session, invoice__kind=Invoice.Kind.INVOICE, invoice__credit_note__isnull=True
    ).exists()


def session_cost_so_far(
    session: ChargingSession, *, now: datetime | None = None, book: TariffBook | None = None
) -> Price | None:
    """What a (running) session costs up to now; stores nothing. None without a tariff."""
    _, spec = _resolve(session, book)
    if spec is None:
        return None
    return tariff_price_session(spec, session_facts(session, now=now))


def session_total_cost(
    session: ChargingSession, *, now: datetime | None = None, book: TariffBook | None = None
) -> SessionCost | None:
    """The cost a station shows its driver, taxes included (the station core's cost
    provider, stations/services/costs.py): an ended session's stored price once it is
    priced, else its price by the same engine and facts `session_price` stores (so the
    TransactionEvent answer and the invoice agree to the cent); None without a tariff.
    """
    price = None
    if session.state == ChargingSession.State.ENDED:
        price = SessionCharge.objects.filter(session_id=session.pk).first()
    price = price or session_cost_so_far(session, now=now, book=book)
    if price is None:
        return None
    return SessionCost(round_money(price.gross, price.currency), price.currency)


def running_costs(*, now: datetime | None = None) -> list[tuple[ChargingSession, SessionCost]]:
    """Active sessions on connected stations that can show a running cost (CostUpdated),
    with what each costs so far; sessions no tariff prices are left out."""
    now = now or timezone.now()
    book = TariffBook()
    sessions = (
        ChargingSession.objects.filter(
            state=ChargingSession.State.ACTIVE,
            station__connected=True,
            station__ocpp_version__in=action_versions("cost_updated"),
        )
        .exclude(transaction_id__isnull=True)
        .exclude(transaction_id="")
        .select_related("station__site", "connector")
        .order_by("pk")
    )
    sessions = list(sessions)
    book.pins_load(session.pk for session in sessions)
    found = []
    for session in sessions:
        try:
            cost = session_total_cost(session, now=now, book=book)
        except Exception:  # noqa: BLE001 - one session's facts must not stop the others'
            logger.exception("No running cost for session %s", session.pk)
            continue
        if cost is not None:
            found.append((session, cost))
    return found


@transaction.atomic
def session_price(
    session: ChargingSession, *, now: datetime | None = None, book: TariffBook | None = None
) -> Price | None:
    """Price an ended session and store the price; repeating it gives the same result.

    An invoiced session keeps the price it was invoiced with (correct it with a credit
    note first); a session no tariff covers stays unpriced (None).
    """
    # Lock the session row only: PostgreSQL refuses FOR UPDATE on the nullable side of
    # the outer joins to its site and connector.
    session = (
        ChargingSession.objects.select_for_update(of=("self",), no_key=True)
        .select_related("station__site", "connector")
        .get(pk=session.pk)
    )
    if session.state != ChargingSession.State.ENDED or session_is_invoiced(session):
        return None
    version, spec = _resolve(session, book)
    if version is None:
        logger.warning("No tariff prices session %s: it stays unpriced", session.pk)
        return None
    price = tariff_price_session(spec, session_facts(session, now=now))
    session_price_store(session, version, price, now or timezone.now())
    return price


def _resolve(
    session: ChargingSession, book: TariffBook | None
) -> tuple[TariffVersion | None, TariffSpec | None]:
    """The session's tariff version (fixed at its start) and its spec."""
    version = session_tariff_version(session, book=book)
    if version is None:
        return None, None
    return version, book.version_spec(version) if book is not None else version.spec()


def session_price_store(
    session: ChargingSession, version: TariffVersion, price: Price, now: datetime
) -> None:
    """Store a session's price, its SessionCharge, with the tariff version it was priced
    with; then debit a prepaid driver and announce it. The only writer of a session's
    price (call inside the session's transaction)."""
    SessionCharge.objects.update_or_create(
        session=session,
        defaults={
            "tariff_id": version.tariff_id,
            "tariff_version": version,
            "tariff_name": version.name,
            "currency": price.currency,
            "net": price.net,
            "tax_rate_percent": price.tax_rate_percent,
            "tax": price.tax,
            "gross": price.gross,
            "lines": price.lines_json(),
            "priced_at": now,
        },
    )
    balance_debit_session(session=session)  # prepaid drivers pay from their balance
    events.publish(
        "session.priced",
        session.station_id,
        {"session": session.pk, "total": str(price.gross), "currency": price.currency},
    )


def session_price_later(*, session_pk: int) -> None:
    """Queue pricing for after the current transaction commits (the session has ended)."""
    # A broker that is down is logged, not raised: the stop that ended the session is
    # stored and answered, and the sweep (sessions_unpriced) prices it later.
    delay_on_commit("billing.tasks.price_session", session_pk)


#: Ended sessions are looked for this far back by the pricing sweep; older ones were
#: priced, or no tariff covers them (they stay unpriced, as session_price leaves them).
UNPRICED_LOOKBACK = timedelta(days=7)
#: A session just ended is priced by its queued task; the sweep leaves it this long.
UNPRICED_GRACE = timedelta(minutes=2)


def sessions_unpriced(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of ended, uninvoiced sessions without a price: the pricing that was queued
    when they ended was lost (a broker restart) or could not be queued at all."""
    now = now or timezone.now()
    return list(
        ChargingSession.objects.filter(
            state=ChargingSession.State.ENDED,
            ended_at__gte=now - UNPRICED_LOOKBACK,
            ended_at__lte=now - UNPRICED_GRACE,
            charge__isnull=True,
        )
        .exclude(invoice_lines__isnull=False)
        .order_by("ended_at")
        .values_list("pk", flat=True)[:limit]
    )


def prepaid_block_expired_sessions(*, now: datetime | None = None) -> list[ChargingSession]:
    """Active sessions on prepaid-block tariffs whose block has run out (to be stopped)."""
    now = now or timezone.now()
    book = TariffBook()
    expired = []
    active = list(
        ChargingSession.objects.filter(state=ChargingSession.State.ACTIVE).select_related(
            "station__site", "connector"
        )
    )
    book.pins_load(session.pk for session in active)
    for session in active:
        _, spec = _resolve(session, book)
        if spec is None or not (spec.power_tiers and spec.prepaid_block_price):
            continue
        # The tier needs the power readings only, not the status history.
        ends_at = prepaid_block_ends_at(spec, session_facts(session, now=now, status=False))
        if ends_at is not None and ends_at <= now:
            expired.append(session)
    return expired
