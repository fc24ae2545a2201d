"""What an answered command leaves besides its own row: the older commands it makes
pointless, who asked for a stop on the session it ended, and the session a remote start
led to."""

from datetime import timedelta

from stations.models import ChargingSession, ChargingStation, Command

# Commands only the latest of which matters, by the parameter naming what they are
# about: a running cost is resent every OCPP_COST_UPDATE_INTERVAL to each charging
# session, and only its last one tells what the station was shown.
SUPERSEDED_ACTIONS = {"cost_updated": "transaction_id"}


def commands_superseded_prune(command: Command) -> int:
    """Delete the earlier finished commands `command` supersedes (the same action
    about the same thing on the same station); returns how many went."""
    about = SUPERSEDED_ACTIONS[command.action]
    earlier = Command.objects.filter(
        station_id=command.station_id,
        action=command.action,
        created_at__lte=command.created_at,
        pk__lt=command.pk,
        **{f"params__{about}": command.params.get(about)},
    ).exclude(status=Command.Status.PENDING)
    return earlier.delete()[0]


# Commands that end the session on their connector when the station accepts them.
STOPPING_ACTIONS = ("remote_stop", "unlock_connector")


def stop_requester_record(station: ChargingStation, action: str, params: dict, user) -> None:
    """Note who asked for an accepted stop on the session it ends (the admin's "stopped by")."""
    if action not in STOPPING_ACTIONS:
        return
    sessions = ChargingSession.objects.filter(station=station, stop_requested_by__isnull=True)
    if action == "remote_stop" and params.get("transaction_id") is not None:
        sessions = sessions.filter(transaction_id=str(params["transaction_id"]))
    elif params.get("connector_id") is not None:
        sessions = sessions.filter(
            connector__connector_id=params["connector_id"], state=ChargingSession.State.ACTIVE
        )
    else:
        return
    # The newest one: a session the stop already ended still gets its requester.
    session = sessions.order_by("-started_at").first()
    if session is not None:
        ChargingSession.objects.filter(pk=session.pk).update(stop_requested_by=user)


REMOTE_START_WINDOW = timedelta(minutes=10)


def remote_start_link(session: ChargingSession) -> None:
    """Tie a session to the remote start that led to it.

    With a remote start id (2.0.1) the match is exact; otherwise it is the latest
    accepted remote start on that station for that token (1.6 gives no id back).
    """
    commands = Command.objects.filter(
        station_id=session.station_id, action="remote_start", session__isnull=True
    )
    if session.remote_start_id is not None:
        commands = commands.filter(pk=session.remote_start_id)
    else:
        commands = commands.filter(
            status=Command.Status.ACCEPTED,
            params__id_tag=session.id_tag,
            created_at__gte=session.started_at - REMOTE_START_WINDOW,
        )
    command = commands.order_by("-created_at").first()
    if command:
        command.session = session
        command.save(update_fields=["session"])
