"""Local authorisation lists: the IdToken table, kept on stations for offline use.

Each station's list is tracked in a `LocalAuthList`: the version the station accepted
last and the entries it holds. A sync sends either the whole table (Full) or only
what changed since (Differential: changed or new tokens with their status, removed
tokens without one), in chunks no longer than the station takes per message. A
differential update the station answers Failed or VersionMismatch is followed by a
full one (OCPP 1.6 §5.15; 2.0.1 D01 likewise).

Token changes (blocked, expired, deleted, ...) mark every list for the next
differential sync (`local_lists_mark_stale`); the periodic task `sync_local_lists`
sends it to connected stations, and operators can resynchronise a station at once.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from chargenet.celery import enqueue_on_commit
from stations.commands import service as commands
from stations.metering import format_timestamp
from stations.models import (
    ChargingStation,
    Command,
    DeviceModelVariable,
    IdToken,
    LocalAuthList,
)

DEFAULT_CHUNK = 100  # entries per SendLocalList when the station reports no maximum
# What a station reports as the most entries per message (1.6 key, 2.0.1 variable).
_CHUNK_VARIABLES = Q(component="OCPP 1.6", variable="SendLocalListMaxLength") | Q(
    component="LocalAuthListCtrlr", variable="ItemsPerMessage"
)
ID_TAG_MAX_16 = 20  # OCPP 1.6 IdToken is CiString20


@dataclass
class SyncResult:
    version: int
    commands: list[Command] = field(default_factory=list)
    status: str = "unchanged"  # unchanged | accepted | failed


def local_list_entries(*, ocpp_version: str) -> dict[str, dict]:
    """What a station's list should hold: every token, with status, expiry and group."""
    now = timezone.now()
    entries = {}
    for token in IdToken.objects.select_related("parent").order_by("value"):
        if ocpp_version == "1.6" and len(token.value) > ID_TAG_MAX_16:
            continue  # a 1.6 station could never be shown this token
        parent = token.parent.value if token.parent else None
        if ocpp_version == "1.6" and parent and len(parent) > ID_TAG_MAX_16:
            parent = None
        entries[token.value] = {
            "status": token.effective_status(now),
            "expires_at": format_timestamp(token.expires_at) if token.expires_at else None,
            "parent": parent,
            "type": token.type,
        }
    return entries


def _entry(value: str, info: dict | None) -> dict:
    """One send_local_list entry; without info it removes the token (differential)."""
    if info is None:
        return {"value": value}
    return {"value": value, **{k: v for k, v in info.items() if v is not None}}


def _differences(held: dict, wanted: dict) -> list[dict]:
    changed = [_entry(v, info) for v, info in wanted.items() if held.get(v) != info]
    removed = [_entry(v, None) for v in held if v not in wanted]
    return changed + removed


def _chunk_size(station: ChargingStation) -> int:
    reported = (
        DeviceModelVariable.objects.filter(_CHUNK_VARIABLES, station=station)
        .values_list("value", flat=True)
        .first()
    )
    try:
        return max(1, int(reported)) if reported else DEFAULT_CHUNK
    except ValueError:
        return DEFAULT_CHUNK


def local_list_sync(
    *,
    station: ChargingStation,
    full: bool = False,
    user=None,
    timeout: float | None = None,
) -> SyncResult:
    """Bring the station's list up to date with the IdToken table; returns what was sent."""
    station = ChargingStation.objects.get(pk=station.pk)  # its version may have changed
    state, _ = LocalAuthList.objects.get_or_create(station=station)
    wanted = local_list_entries(ocpp_version=station.ocpp_version or "1.6")
    full = full or state.version <= 0
    updates = [_entry(v, info) for v, info in wanted.items()] if full else None
    if updates is None:
        updates = _differences(state.entries, wanted)
        if not updates:
            _save(state, needs_sync=False, synced_at=timezone.now())
            return SyncResult(state.version)
    result = _send(state, station, updates, full, user, timeout)
    answer = (result.commands[-1].response or {}) if result.commands else {}
    if (
        not full
        and result.status == "failed"
        and answer.get("status")
        in (
            "Failed",
            "VersionMismatch",
        )
    ):
        retry = local_list_sync(station=station, full=True, user=user, timeout=timeout)
        retry.commands[:0] = result.commands
        return retry
    return result


def _send(state, station, updates, full, user, timeout) -> SyncResult:
    size = _chunk_size(station)
    chunks = [updates[i : i + size] for i in range(0, len(updates), size)] or [[]]
    held = {} if full else dict(state.entries)
    result = SyncResult(state.version)
    for number, chunk in enumerate(chunks):
        version = state.version + 1
        command = commands.send_command(
            station,
            "send_local_list",
            {
                "list_version": version,
                "update_type": "full" if full and number == 0 else "differential",
                "entries": chunk,
            },
            timeout=timeout,
            user=user,
        )
        result.commands.append(command)
        answer = (command.response or {}).get("status", command.status)
        if command.status != Command.Status.ACCEPTED:
            result.status = "failed"
            _save(state, needs_sync=True, last_status=answer, last_command=command)
            return result
        for entry in chunk:
            info = {k: entry.get(k) for k in ("status", "expires_at", "parent", "type")}
            if entry.get("status"):
                held[entry["value"]] = info
            else:
                held.pop(entry["value"], None)
        _save(
            state,
            version=version,
            entries=held,
            last_status=answer,
            last_command=command,
            synced_at=timezone.now(),
        )
    _save(state, needs_sync=False)
    result.version, result.status = state.version, "accepted"
    return result


def _save(state: LocalAuthList, **fields) -> None:
    for name, value in fields.items():
        setattr(state, name, value)
    state.save(update_fields=list(fields))


def local_lists_mark_stale() -> int:
    """After a token change: every station's list needs a differential sync."""
    return LocalAuthList.objects.filter(version__gt=0).update(needs_sync=True)


def local_lists_tokens_changed() -> None:
    """After a token edit: mark every list stale and queue the differential sync."""
    if local_lists_mark_stale():
        enqueue_on_commit("stations.tasks.sync_local_lists")


def local_lists_sync_stale(*, timeout: float | None = None) -> dict[str, str]:
    """Send the pending differential updates to connected stations; {station: status}."""
    outcome = {}
    stale = LocalAuthList.objects.filter(needs_sync=True, station__connected=True)
    for state in stale.select_related("station"):
        result = local_list_sync(station=state.station, timeout=timeout)
        outcome[state.station.station_id] = result.status
    return outcome
