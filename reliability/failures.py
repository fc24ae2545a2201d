"""Failed sessions: what a driver would call "it did not charge", counted per port.

- `no_energy`: a session that was started (so authorised) and ended having delivered
  no energy;
- `remote_start_without_session`: a remote start the station accepted that led to no
  session within OCPP_REMOTE_START_TIMEOUT;
- `fault`: a session the station ended for a fault (its stop reason).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from reliability.intervals import Interval
from stations.models import ChargingSession, ChargingStation, Command

NO_ENERGY, REMOTE_START, FAULT = "no_energy", "remote_start_without_session", "fault"
KINDS = (NO_ENERGY, REMOTE_START, FAULT)

#: Stop reasons (1.6 and 2.0.1) that mean the station failed the session.
FAULT_STOP_REASONS = frozenset(
    {"EmergencyStop", "GroundFault", "OvercurrentFault", "PowerLoss", "PowerQuality"}
)


def session_failure(session: ChargingSession) -> str | None:
    """Why an ended session failed, or None if it did not."""
    if session.state != ChargingSession.State.ENDED:
        return None
    if session.stop_reason in FAULT_STOP_REASONS:
        return FAULT
    if session.energy_wh <= 0:
        return NO_ENERGY
    return None


def failed_sessions(station: ChargingStation, window: Interval) -> list[dict]:
    """Every failed session of the station begun in `window`, oldest first."""
    out = []
    sessions = (
        ChargingSession.objects.filter(
            station=station,
            state=ChargingSession.State.ENDED,
            started_at__gte=window.start,
            started_at__lt=window.end,
        )
        .select_related("connector")
        .order_by("started_at", "pk")
    )
    for session in sessions:
        kind = session_failure(session)
        if kind:
            out.append(
                {
                    "kind": kind,
                    "at": session.started_at,
                    "connector_id": session.connector.connector_id if session.connector else None,
                    "session": session.pk,
                    "detail": session.stop_reason,
                }
            )
    # A remote start has OCPP_REMOTE_START_TIMEOUT to lead to a session.
    grace = timedelta(seconds=settings.OCPP_REMOTE_START_TIMEOUT)
    settled = min(window.end, timezone.now() - grace)
    starts = Command.objects.filter(
        station=station,
        action="remote_start",
        status=Command.Status.ACCEPTED,
        session__isnull=True,
        created_at__gte=window.start,
        created_at__lt=settled,
    ).order_by("created_at", "pk")
    for command in starts:
        params = command.params or {}
        connector = params.get("connector_id") or params.get("evse_id")
        out.append(
            {
                "kind": REMOTE_START,
                "at": command.created_at,
                "connector_id": int(connector) if connector else None,
                "session": None,
                "detail": f"command {command.pk}",
            }
        )
    return sorted(out, key=lambda f: f["at"])


def counts_per_port(failures: list[dict]) -> dict[int | None, dict[str, int]]:
    """{connector id: {kind: count}}; a remote start for no connector counts under None."""
    out: dict[int | None, dict[str, int]] = {}
    for failure in failures:
        port = out.setdefault(failure["connector_id"], dict.fromkeys(KINDS, 0))
        port[failure["kind"]] += 1
    return out
