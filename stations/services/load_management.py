"""Site power limit: share a site's maximum power fairly between its active sessions.

When a session starts or ends on a site with `max_power_w`, ChargeNet recomputes
each active session's share (`fair_shares`) and sends each session's station a
TxProfile for that transaction (purpose tx, relative to the transaction's start, one
period at the share, in W). A station that rejects its profile is reported: the
profile row says so, a "LoadManagement" station event is kept and a warning logged.

The recomputation runs as a Celery task queued after the session's transaction
commits, so the OCPP message that started or ended the session never waits for it.

An ISO 15118 EV tells its charging needs (NotifyEVChargingNeeds, OCPP 2.0.1 K15/K17):
the most it can take caps its share like its connector's maximum does, and its
session is sent a TxProfile after the answer (`charging_needs_record`, then
`charging_needs_meet` in a task), whether or not its share changed, because the
station waits for that profile to give the EV its schedule.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from chargenet.celery import enqueue_on_commit
from stations.models import ChargingProfile, ChargingSession, Site, StationEvent
from stations.ocpp.requests import CommandError
from stations.services import charging_profiles

logger = logging.getLogger(__name__)

# The TxProfile stack level ChargeNet's load management uses; operators' own TxProfiles
# on a higher level take precedence (1.6 §3.13.2: the highest stack level wins).
STACK_LEVEL = 1
# An EV's share where nothing known limits it (no site limit, no EV or connector
# maximum): above any charger, so only the station's own limits apply.
UNLIMITED_W = 1_000_000


def fair_shares(limit_w: int, sessions: Mapping[int, int | None]) -> dict[int, int]:
    """Split `limit_w` between sessions: {session_id: connector max W or None} -> W each.

    Everyone gets an equal share, except that no session gets more than its connector's
    maximum: what a capped session cannot take is shared again between the others
    ("water filling"), so the whole limit is used while anyone can use more. Shares are
    whole watts; the few watts left by rounding down go one each to the lowest ids,
    so the sum never exceeds the limit. A limit of 0 or less gives everyone 0.
    """
    remaining = max(0, int(limit_w))
    open_ = {sid: cap for sid, cap in sessions.items()}
    shares: dict[int, int] = {}
    while open_:
        share = remaining // len(open_)
        capped = {sid: cap for sid, cap in open_.items() if cap is not None and cap <= share}
        if not capped:
            leftover = remaining - share * len(open_)
            for position, sid in enumerate(sorted(open_)):
                shares[sid] = share + (1 if position < leftover else 0)
            break
        for sid, cap in capped.items():
            shares[sid] = max(0, cap)
            remaining -= shares[sid]
            del open_[sid]
    return shares


@dataclass(frozen=True)
class ShareResult:
    session_id: int
    share_w: int
    profile: ChargingProfile | None  # None: unchanged since the station accepted it
    error: str = ""

    @property
    def rejected(self) -> bool:
        return bool(self.error) or (
            self.profile is not None and self.profile.status != ChargingProfile.Status.ACCEPTED
        )


def site_power_rebalance(*, site_id: int) -> list[ShareResult]:
    """Send each active session on the site its fair share; precondition: none."""
    site = Site.objects.get(pk=site_id)
    _forget_ended_profiles(site)
    if site.max_power_w is None:
        return []
    sessions = list(
        ChargingSession.objects.filter(
            station__site=site, state=ChargingSession.State.ACTIVE, connector__isnull=False
        )
        .exclude(transaction_id=None)
        .select_related("station", "connector")
        .order_by("pk")
    )
    shares = fair_shares(site.max_power_w, {s.pk: _session_cap(s) for s in sessions})
    results = [_send_share(session, shares[session.pk]) for session in sessions]
    for result in results:
        if result.rejected:
            _report(site, result)
    return results


def _session_cap(session: ChargingSession) -> int | None:
    """The most a session can take: its connector's and its EV's maximum, W."""
    caps = [w for w in (session.connector.max_power_w, session.ev_max_power_w) if w is not None]
    return min(caps) if caps else None


def _send_share(session: ChargingSession, share_w: int, *, resend: bool = False) -> ShareResult:
    current = ChargingProfile.objects.filter(
        session=session, source=ChargingProfile.Source.LOAD_MANAGEMENT
    ).first()
    if (
        not resend
        and current is not None
        and current.status == ChargingProfile.Status.ACCEPTED
        and current.periods == [{"start_period": 0, "limit": share_w}]
    ):
        return ShareResult(session.pk, share_w, None)
    profile = {
        "purpose": ChargingProfile.Purpose.TX,
        "stack_level": STACK_LEVEL,
        "kind": ChargingProfile.Kind.RELATIVE,
        "transaction_id": session.transaction_id,
        "schedule": {"unit": "W", "periods": [{"start_period": 0, "limit": share_w}]},
    }
    if share_w <= 0:
        # OCPP limits are positive; with no power left the session is paused at the
        # smallest limit a schedule can hold.
        profile["schedule"]["periods"][0]["limit"] = 0.1
    try:
        row = charging_profiles.charging_profile_set(
            station=session.station,
            profile=profile,
            connector_id=session.connector.connector_id,
            session=session,
            source=ChargingProfile.Source.LOAD_MANAGEMENT,
        )
    except CommandError as error:
        return ShareResult(session.pk, share_w, None, error=f"{error.detail} {error.errors}")
    return ShareResult(session.pk, share_w, row)


def _forget_ended_profiles(site: Site) -> None:
    """A TxProfile ends with its transaction (1.6 §3.13.1, 2.0.1 K01.FR.22)."""
    ChargingProfile.objects.filter(
        station__site=site,
        source=ChargingProfile.Source.LOAD_MANAGEMENT,
        session__state=ChargingSession.State.ENDED,
    ).exclude(status=ChargingProfile.Status.CLEARED).update(
        status=ChargingProfile.Status.CLEARED, updated_at=timezone.now()
    )


def _report(site: Site | None, result: ShareResult) -> None:
    session = ChargingSession.objects.get(pk=result.session_id)
    status = result.profile.status if result.profile else "invalid"
    logger.warning(
        "Site %s: station %s did not take its %s W share for session %s (%s)",
        site.name if site else "-",
        session.station_id,
        result.share_w,
        session.pk,
        status,
    )
    StationEvent.objects.create(
        station_id=session.station_id,
        kind="LoadManagement",
        status=f"Profile{status.capitalize()}",
        data={
            "site": site.pk if site else None,
            "session": session.pk,
            "share_w": result.share_w,
            "profile": result.profile.pk if result.profile else None,
            "command": result.profile.command_id if result.profile else None,
            "error": result.error,
        },
    )


def session_changed(session: ChargingSession) -> None:
    """After a session starts or ends: rebalance its site's power once committed."""
    site_id = (
        Site.objects.filter(stations=session.station_id, max_power_w__isnull=False)
        .values_list("pk", flat=True)
        .first()
    )
    if site_id is not None:
        enqueue_on_commit("stations.tasks.site_power_rebalance", site_id)


def charging_needs_record(
    *, station_pk: int, evse_id: int, ev_max_power_w: int | None, needs: dict
) -> str:
    """An EV's charging needs on an EVSE: Accepted, and its session's TxProfile queued;
    Rejected when the EVSE has no transaction a TxProfile could name."""
    session = (
        ChargingSession.objects.filter(station_id=station_pk, state=ChargingSession.State.ACTIVE)
        .filter(
            Q(connector__evse_id=evse_id)
            | Q(connector__evse_id__isnull=True, connector__connector_id=evse_id)
        )
        .exclude(transaction_id=None)
        .order_by("-started_at")
        .first()
    )
    status = "Accepted" if session is not None else "Rejected"
    StationEvent.objects.create(
        station_id=station_pk,
        kind="EVChargingNeeds",
        status=status,
        data={
            "evse_id": evse_id,
            "session": session.pk if session else None,
            "ev_max_power_w": ev_max_power_w,
            "charging_needs": needs,
        },
    )
    if session is not None:
        session.ev_max_power_w = ev_max_power_w
        session.save(update_fields=["ev_max_power_w", "updated_at"])
        enqueue_on_commit("stations.tasks.meet_charging_needs", session.pk)
    return status


def charging_schedule_check(*, station_pk: int, evse_id: int, schedule: dict) -> str:
    """NotifyEVChargingSchedule (K15.FR.12, K16.FR.06): Accepted when the EV's schedule
    stays within the limit ChargeNet gave the EVSE's session; Rejected when it asks for
    more. Only limits in the same unit compare; with no limit given, nothing is exceeded."""
    given = (
        ChargingProfile.objects.filter(
            station_id=station_pk,
            source=ChargingProfile.Source.LOAD_MANAGEMENT,
            session__state=ChargingSession.State.ACTIVE,
        )
        .filter(
            Q(session__connector__evse_id=evse_id)
            | Q(session__connector__evse_id__isnull=True, session__connector__connector_id=evse_id)
        )
        .exclude(status=ChargingProfile.Status.CLEARED)
        .order_by("-updated_at")
        .first()
    )
    status = "Accepted"
    if given is not None and schedule.get("charging_rate_unit") == given.unit:
        ceiling = max(float(p["limit"]) for p in given.periods)
        asked = [float(p.get("limit", 0)) for p in schedule.get("charging_schedule_period") or []]
        if asked and max(asked) > ceiling:
            status = "Rejected"
    StationEvent.objects.create(
        station_id=station_pk,
        kind="EVChargingSchedule",
        status=status,
        data={"evse_id": evse_id, "schedule": schedule},
    )
    return status


def charging_needs_meet(*, session_id: int) -> ShareResult | None:
    """Send the session its share within the site's limit and the EV's maximum, then
    rebalance the site's other sessions; None when the session has ended."""
    session = (
        ChargingSession.objects.select_related("station__site", "connector")
        .filter(pk=session_id, state=ChargingSession.State.ACTIVE, connector__isnull=False)
        .exclude(transaction_id=None)
        .first()
    )
    if session is None:
        return None
    site = session.station.site
    if site is not None and site.max_power_w is not None:
        others = ChargingSession.objects.filter(
            station__site=site, state=ChargingSession.State.ACTIVE, connector__isnull=False
        ).exclude(transaction_id=None)
        caps = {s.pk: _session_cap(s) for s in others.select_related("connector")}
        caps[session.pk] = _session_cap(session)
        share = fair_shares(site.max_power_w, caps)[session.pk]
    else:
        share = _session_cap(session) or UNLIMITED_W
    result = _send_share(session, share, resend=True)
    if result.rejected:
        _report(site, result)
    if site is not None and site.max_power_w is not None:
        site_power_rebalance(site_id=site.pk)
    return result
