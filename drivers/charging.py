"""Starting and stopping a driver's charge, and what a driver may see of sessions."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.balances import balance_covers
from billing.models import Tariff
from billing.pricing import prepaid_block_ends_at
from billing.services import (
    session_cost_so_far,
    session_facts,
    session_tariff_spec,
    tariff_for,
)
from stations.commands.service import CommandError, send_command
from stations.models import ChargingSession, ChargingStation, Command, Connector, IdToken

# Statuses in which a plug takes a new session (1.6 words; 2.0.1 maps onto them).
FREE_STATUSES = {"Available", "Preparing"}


class StartRefused(Exception):
    """Why a driver's start was not sent (nothing reached the station)."""


def driver_sessions(driver) -> QuerySet[ChargingSession]:
    """Only sessions started with the driver's own cards."""
    return ChargingSession.objects.filter(id_token__owner=driver).select_related(
        "station__site", "connector", "id_token", "charge"
    )


def driver_session(driver, pk: int) -> ChargingSession:
    """One of the driver's sessions; anyone else's answers 404."""
    session = driver_sessions(driver).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def driver_connector(station_id: str, connector_id: int) -> Connector:
    connector = (
        Connector.objects.select_related("station__site")
        .filter(station__station_id=station_id, connector_id=connector_id)
        .first()
    )
    if connector is None or connector_id == 0:
        raise Http404
    return connector


def connector_tariff(connector: Connector) -> Tariff | None:
    station = connector.station
    return tariff_for(station_pk=station.pk, connector_pk=connector.pk, site_pk=station.site_id)


def connector_problem(connector: Connector) -> str | None:
    """Why a start cannot be sent now, in words for the driver; None when it can."""
    station = connector.station
    if not station.connected:
        return _("This charger is offline. Please try another one.")
    if station.registration_status != ChargingStation.Registration.ACCEPTED:
        return _("This charger is not in service.")
    if connector.status == "Faulted":
        return _("This connector is out of order. Please try another one.")
    if connector.status not in FREE_STATUSES:
        return _("This connector is busy. Please try another one.")
    return None


def driver_token(driver) -> IdToken | None:
    """The card a phone start uses: the driver's first accepted, unexpired token."""
    now = timezone.now()
    tokens = driver.id_tokens.filter(status=IdToken.Status.ACCEPTED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    return tokens.order_by("created_at", "pk").first()


def driver_start(*, driver, connector: Connector) -> Command:
    """Check the connector, card and balance, then send a remote start; raise StartRefused."""
    problem = connector_problem(connector)
    if problem:
        raise StartRefused(problem)
    token = driver_token(driver)
    if token is None:
        raise StartRefused(_("You have no active card. Add one under Cards."))
    enough, balance, needed = balance_covers(driver=driver, tariff=connector_tariff(connector))
    if not enough:
        message = _("Your balance (%(balance)s) does not cover the minimum of %(needed)s.")
        raise StartRefused(message % {"balance": balance, "needed": needed})
    params = {"id_tag": token.value, "connector_id": connector.connector_id}
    try:
        return send_command(connector.station, "remote_start", params, user=driver)
    except CommandError as error:
        raise StartRefused(str(error)) from error


def driver_stop(*, driver, session: ChargingSession) -> Command | None:
    """Send a remote stop for the driver's active session (None if it has ended)."""
    if session.state != ChargingSession.State.ACTIVE:
        return None
    try:
        return send_command(session.station, "remote_stop", {"session_id": session.pk}, user=driver)
    except CommandError:
        return None


def command_message(command: Command | None) -> tuple[bool, str]:
    """(ok, words for the driver) about a start or stop command's outcome."""
    status = command.status if command else "failed"
    texts = {
        "accepted": _("The charger accepted."),
        "rejected": _("The charger refused."),
        "timeout": _("The charger did not answer in time."),
        "offline": _("The charger is offline."),
    }
    return status == "accepted", texts.get(status, _("Something went wrong."))


@dataclass
class LiveFigures:
    session: ChargingSession
    elapsed_s: int
    cost: Decimal | None
    currency: str
    block_ends_at: datetime | None

    def as_json(self) -> dict:
        s = self.session
        left = None
        if self.block_ends_at:
            left = max(0, int((self.block_ends_at - timezone.now()).total_seconds()))
        return {
            "id": s.pk,
            "station_id": s.station.station_id,
            "connector_id": s.connector.connector_id if s.connector_id else None,
            "started_at": s.started_at.isoformat(),
            "elapsed_s": self.elapsed_s,
            "energy_wh": s.energy_wh,
            "power_w": s.power_w,
            "cost": None if self.cost is None else str(self.cost),
            "currency": self.currency,
            "prepaid_seconds_left": left,
        }


def live_figures(session: ChargingSession, *, now: datetime | None = None) -> LiveFigures:
    """Elapsed time, cost so far and a prepaid block's end, for a running session, under
    the tariff version the session started with (what it will be billed)."""
    now = now or timezone.now()
    price = session_cost_so_far(session, now=now)
    spec = session_tariff_spec(session)
    ends = None
    if spec is not None and spec.prepaid_block_price and spec.power_tiers:
        ends = prepaid_block_ends_at(spec, session_facts(session, now=now, status=False))
    return LiveFigures(
        session=session,
        elapsed_s=int((now - session.started_at).total_seconds()),
        cost=price.gross if price else None,
        currency=price.currency if price else "",
        block_ends_at=ends,
    )


def cards_need_approval() -> bool:
    return getattr(settings, "DRIVER_CARDS_NEED_APPROVAL", True)
