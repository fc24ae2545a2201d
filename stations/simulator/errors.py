"""How the simulated stations tell failures apart and word them in their log."""

from ocpp.exceptions import OCPPError


class DeadConnection(Exception):
    """The CSMS stopped answering: drop the socket and reconnect."""


def describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer"
    if isinstance(error, OCPPError):
        return f"{error.code}: {error.description}"
    return repr(error)


def is_connection_error(error: BaseException) -> bool:
    from websockets.exceptions import ConnectionClosed

    return isinstance(error, ConnectionClosed | ConnectionError)
