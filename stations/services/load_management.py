"""Site power limit: share a site's maximum power fairly between its active sessions.

When a session starts or ends on a site with `max_power_w`, ChargeNet recomputes
each active session's share (`fair_shares`) and sends each session's station a
TxProfile for that transaction (purpose tx, relative to the transaction's start, one
period at the share, in W). A station that rejects its profile is reported: the
profile row says so, a "LoadManagement" station event is kept and a warning logged.

The recomputation runs as a Celery task queued after the session's transaction
commits, so the OCPP message that started or ended the session never waits for it.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from chargenet.celery import enqueue_on_commit
from stations.models import ChargingProfile, ChargingSession, Site, StationEvent
from stations.ocpp.requests import CommandError
from stations.services import charging_profiles

logger = logging.getLogger(__name__)

# The TxProfile stack level ChargeNet's load management uses; operators' own TxProfiles
# on a higher level take precedence (1.6 §3.13.2: the highest stack level wins).
STACK_LEVEL = 1


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
    shares = fair_shares(site.max_power_w, {s.pk: s.connector.max_power_w for s in sessions})
    results = [_send_share(session, shares[session.pk]) for session in sessions]
    for result in results:
        if result.rejected:
            _report(site, result)
    return results


def _send_share(session: ChargingSession, share_w: int) -> ShareResult:
    current = ChargingProfile.objects.filter(
        session=session, source=ChargingProfile.Source.LOAD_MANAGEMENT
    ).first()
    if (
        current is not None
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


def _report(site: Site, result: ShareResult) -> None:
    session = ChargingSession.objects.get(pk=result.session_id)
    status = result.profile.status if result.profile else "invalid"
    logger.warning(
        "Site %s: station %s did not take its %s W share for session %s (%s)",
        site.name,
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
            "site": site.pk,
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
