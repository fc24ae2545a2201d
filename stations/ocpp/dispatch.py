"""Which adapter method answers which incoming action: one table per adapter class.

`@handles("BootNotification")` marks a coroutine method of an adapter as the handler
of an action. The table (action -> Handler) is built once, when the adapter class is
created (`StationAdapter.__init_subclass__`), never per connection: a process holds
thousands of sockets, and a reconnect storm opens them all at once.

A handler takes the payload's keys as snake_case keyword arguments and returns a
call_result dataclass of its version; a `raw` one takes the payload as the station
sent it and returns the result's JSON object as is (for vendor data whose keys are
not ours to convert).
"""

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

_MARK = "_handles_ocpp_action"


@dataclass(frozen=True, slots=True)
class Handler:
    function: Callable[..., Awaitable]  # the plain function: called with the adapter
    raw: bool = False


def handles(action: str, *, raw: bool = False):
    """Mark an adapter coroutine method as the handler of `action`."""

    def mark(function):
        if not inspect.iscoroutinefunction(function):
            raise TypeError(f"The handler of {action} must be a coroutine function")
        setattr(function, _MARK, (action, raw))
        return function

    return mark


def handler_table(cls: type) -> dict[str, Handler]:
    """The handlers of `cls`, by action; a subclass's method replaces its namesake."""
    namespace = {}
    for klass in reversed(cls.__mro__):
        namespace.update(vars(klass))
    table = {}
    for name, value in namespace.items():
        mark = getattr(value, _MARK, None) if inspect.isfunction(value) else None
        if mark is None:
            continue
        action, raw = mark
        if action in table:
            raise TypeError(f"{cls.__name__}: two handlers of {action} ({name})")
        table[action] = Handler(value, raw)
    return table
