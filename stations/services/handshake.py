"""Who may open an OCPP socket: station id, subprotocol and HTTP Basic checks.

Everything here runs before the WebSocket upgrade, so a refused station gets a plain
HTTP status (OCPP-J §3.2, security profile 1) and never a socket.

Security profile 3 (a station whose `security_profile` is 3): TLS ends at the
balancer, which verifies the station's client certificate against ChargeNet's CA and
passes its common name in OCPP_CLIENT_CERT_HEADER (removing any the client sent).
ChargeNet believes that header only from OCPP_TRUSTED_PROXIES (the address the
connection really came from, not X-Forwarded-For) and admits the station only when
the name is its id: no certificate is 401, another station's 403.
"""

import asyncio
import base64
import binascii
import logging
import math
import re
import time
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

from django.conf import settings

from runtime import sql
from stations.models import ChargingStation
from stations.ocpp import SUBPROTOCOLS
from stations.services import passwords, registration

logger = logging.getLogger(__name__)

#: The scope key where the server puts the address a connection really came from.
PEER_ADDRESS = "chargenet.peer_address"
#: The scope key where the server puts the seconds it gives a handshake before refusing
#: it on its own (daphne's --websocket_connect_timeout).
CONNECT_TIMEOUT = "chargenet.connect_timeout"
#: Seconds of that time kept for the handshake's own work once it has a slot.
CONNECT_MARGIN = 1.5


@dataclass(frozen=True)
class Admission:
    station_pk: int
    station_id: str
    registration: str
    subprotocol: str
    #: The channel of the station's socket that is still marked connected, if any: the
    #: new socket replaces it.
    previous_channel: str = ""


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    retry_after: int | None = None  # seconds, for a 503 (else BUSY_RETRY_AFTER)


def is_station_path(raw_path: bytes) -> bool:
    """Whether the path is `/ocpp/<one segment>` (a trailing slash is tolerated)."""
    segments = raw_path.rstrip(b"/").split(b"/")
    return len(segments) == 3 and segments[0] == b"" and segments[1] == b"ocpp"


def station_id_from_path(raw_path: bytes) -> str | None:
    """The percent-decoded last path segment, or None when it is not a valid id.

    `+` stays a plus sign: only %XX escapes are decoded (RFC 3986, not form encoding);
    a `%` not followed by two hex digits, or escapes that are not UTF-8, make no id.
    """
    try:
        segment = raw_path.decode("ascii").rstrip("/").rsplit("/", 1)[-1]
        if _BAD_ESCAPE.search(segment):
            return None
        station_id = unquote(segment, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    if not station_id or len(station_id) > settings.OCPP_MAX_STATION_ID_LENGTH:
        return None
    # ':' separates the Basic-auth user name from the password (OCPP 2.0.1 §A00.FR.505).
    if ":" in station_id or "/" in station_id:
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in station_id):
        return None
    return station_id


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def choose_subprotocol(offered: list[str]) -> str | None:
    """The newest OCPP version both sides speak, never a fallback."""
    for subprotocol in SUBPROTOCOLS:
        if subprotocol in offered:
            return subprotocol
    return None


def basic_credentials(headers: list[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    for name, value in headers:
        if name.lower() != b"authorization":
            continue
        scheme, _, encoded = value.partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None
    return None


#: Answered, before any database work, to an address whose handshakes keep failing.
TOO_MANY_FAILURES = Refusal(429, "Too many refused connections from this address")
#: Answered, before any database work, to one station id that keeps failing from an address.
TOO_MANY_STATION_FAILURES = Refusal(
    429, "Too many refused connections for this station id from this address"
)
STATION_KEY_LENGTH = 256  # characters of a path's last segment that name it in the counts


def station_key(raw_path: bytes) -> str:
    """What a handshake's refusals are counted under besides its address: its station id.

    Cheap, no database: the decoded id when the path holds a valid one, else the raw
    last segment (cut short), so malformed paths are counted too.
    """
    station_id = station_id_from_path(raw_path)
    if station_id is not None:
        return station_id
    return raw_path.rstrip(b"/").rsplit(b"/", 1)[-1][:STATION_KEY_LENGTH].decode("latin-1")


class _MinuteCounts:
    """Counts per key that start again a WINDOW after their first; at most MAX_TRACKED keys."""

    def __init__(self, window: float, max_tracked: int) -> None:
        self.window = window
        self.max_tracked = max_tracked
        self._counts: dict = {}  # key -> (window start, count)

    def get(self, key, now: float) -> int:
        entry = self._counts.get(key)
        if entry is None:
            return 0
        if now - entry[0] >= self.window:
            del self._counts[key]
            return 0
        return entry[1]

    def add(self, key, now: float) -> None:
        started, count = self._counts.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        elif count == 0 and len(self._counts) >= self.max_tracked:
            self._make_room(now)
        self._counts[key] = (started, count + 1)

    def _make_room(self, now: float) -> None:
        # Expired keys go first; if that frees less than a tenth, the oldest keys go too,
        # so the next full scan is a tenth of the cap away (amortised O(1) per key).
        fresh = {key: entry for key, entry in self._counts.items() if now - entry[0] < self.window}
        keep = self.max_tracked * 9 // 10
        if len(fresh) > keep:
            fresh = dict(list(fresh.items())[len(fresh) - keep :])
        self._counts = fresh

    def __len__(self) -> int:
        return len(self._counts)

    def clear(self) -> None:
        self._counts.clear()


class RefusedAddresses:
    """Handshakes that keep being refused are refused at once for a while.

    A flood of connections with unknown ids or wrong passwords would cost a query, and
    a password hash, each. Refusals (400, 401, 404) are counted per minute twice: per
    station id from an address, and per address. After OCPP_HANDSHAKE_FAILURE_LIMIT for
    one station id, that id from that address gets 429 before any database work for the
    rest of the minute; its neighbours behind the same address (a depot's NAT) still
    connect. After OCPP_HANDSHAKE_ADDRESS_FAILURE_LIMIT across ids, the whole address
    does. Counted per process: behind a balancer each process learns on its own, which
    only multiplies the limits by the number of processes.
    """

    WINDOW = 60.0  # seconds
    MAX_TRACKED = 100_000  # keys of each count; expired, then the oldest, go when reached

    def __init__(self) -> None:
        self._by_address = _MinuteCounts(self.WINDOW, self.MAX_TRACKED)
        self._by_station = _MinuteCounts(self.WINDOW, self.MAX_TRACKED)

    def refusal(self, address: str, station: str = "") -> Refusal | None:
        """The 429 this handshake gets before any database work, or None to go on."""
        now = time.monotonic()
        if self._by_address.get(address, now) >= settings.OCPP_HANDSHAKE_ADDRESS_FAILURE_LIMIT:
            return TOO_MANY_FAILURES
        failures = self._by_station.get((address, station), now)
        if failures >= settings.OCPP_HANDSHAKE_FAILURE_LIMIT:
            return TOO_MANY_STATION_FAILURES
        return None

    def blocked(self, address: str, station: str = "") -> bool:
        return self.refusal(address, station) is not None

    def note_refused(self, address: str, station: str = "") -> None:
        now = time.monotonic()
        self._by_address.add(address, now)
        self._by_station.add((address, station), now)

    def clear(self) -> None:
        self._by_address.clear()
        self._by_station.clear()


refused_addresses = RefusedAddresses()

#: Answered when a process is already busy with as many handshakes as it may run.
BUSY = Refusal(503, "Too many stations connecting at once; try again later")
#: Seconds a station refused with BUSY is asked to wait at most (HTTP Retry-After);
#: less when the line ahead of it clears sooner at the process's pace.
BUSY_RETRY_AFTER = 10
#: Handshakes a second a process is taken to manage until it has measured its pace. On
#: the high side: refusing a burst the process could have taken costs every station
#: refused a Retry-After, while a line that was too long costs a late refusal.
INITIAL_PACE = 400.0
#: PostgreSQL or Redis unreachable while admitting a station (same Retry-After).
UNAVAILABLE = Refusal(503, "Service temporarily unavailable; try again later")
OCPP_PATH_PREFIX = "/ocpp"
PACE_WINDOW = 2.0  # seconds of a waiting line over which the pace of handshakes is taken
#: Seconds the fastest recent pace stands for what the process manages. A line is served
#: slower while a flood of new handshakes is being read and refused, and seems to be as
#: it runs out (fewer arrive): neither is what the process can do, and a pace taken from
#: them sent refused stations away for longer than the line took to clear.
PACE_MEMORY = 30.0


class HandshakeSlots:
    """At most OCPP_HANDSHAKE_CONCURRENCY handshakes of one process run at once.

    In a reconnect storm every station asks at once. Taking them all would flood the
    event loop: every handshake gets slow, stations give up and try again while the
    server still works on the handshakes they abandoned, and the process never catches
    up. So the rest wait in line for OCPP_HANDSHAKE_WAIT seconds and are then refused
    with 503 (and Retry-After) to come back later.

    A station unlikely to get a slot within that wait (the line is longer than half of
    what the process gets through in OCPP_HANDSHAKE_WAIT at its recent pace) is refused
    before it joins the line (`crowded`), by the server before any application work:
    that refusal costs less than half the CPU of one after waiting.
    """

    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HandshakeSlots]" = (
        weakref.WeakKeyDictionary()
    )

    def __init__(
        self, size: int, pace: float = INITIAL_PACE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._size = size
        self._free = asyncio.Semaphore(size)
        self._waiting = 0
        self._clock = clock
        # Handshakes finished per second while others waited: what the process manages.
        self._pace = float(pace)
        self._paced_at = -math.inf  # a guess: the first pace measured replaces it
        # The window being measured: handshakes finished, and seconds, while others waited.
        self._served = 0
        self._lined = 0.0
        self._line_began = clock()

    @classmethod
    def of_this_loop(cls) -> "HandshakeSlots":
        loop = asyncio.get_running_loop()
        slots = cls._by_loop.get(loop)
        if slots is None:
            slots = cls._by_loop[loop] = cls(settings.OCPP_HANDSHAKE_CONCURRENCY)
        return slots

    def crowded(self) -> bool:
        """True when a new handshake is unlikely to get a slot within OCPP_HANDSHAKE_WAIT."""
        if not self._free.locked():
            return False
        # Half of what it gets through in the wait: the pace varies, and a refusal after
        # waiting costs more than two refusals before.
        line = max(self._size, self._pace * settings.OCPP_HANDSHAKE_WAIT / 2)
        return self._waiting >= line

    def busy(self) -> Refusal:
        """BUSY, asking the station back once the line ahead of it should have cleared."""
        clears_in = math.ceil(self._waiting / max(self._pace, 0.1))
        return Refusal(BUSY.status, BUSY.reason, max(1, min(BUSY_RETRY_AFTER, clears_in)))

    async def take(self, wait: float | None = None) -> bool:
        """A slot within `wait` (OCPP_HANDSHAKE_WAIT) seconds (then `release` it), or False."""
        if not self._waiting:
            self._line_began = self._clock()
        self._waiting += 1
        try:
            async with asyncio.timeout(settings.OCPP_HANDSHAKE_WAIT if wait is None else wait):
                await self._free.acquire()
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1
            if not self._waiting:
                self._lined += self._clock() - self._line_began
        return True

    def release(self) -> None:
        self._free.release()
        if not self._waiting:  # nobody waits: this says nothing of what the process manages
            return
        # Only time with a line counts: a storm after a quiet hour is not paced by the hour.
        now = self._clock()
        self._served += 1
        lined = self._lined + now - self._line_began
        if lined >= PACE_WINDOW:
            pace = self._served / lined
            if pace >= self._pace or now - self._paced_at >= PACE_MEMORY:
                self._pace, self._paced_at = pace, now
            self._served, self._lined, self._line_began = 0, 0.0, now


def slot_wait(connect_timeout: float | None) -> float:
    """How long a handshake may wait for a slot: OCPP_HANDSHAKE_WAIT, cut short so the
    application refuses (503, Retry-After) before the server's own connect timeout."""
    if not connect_timeout or connect_timeout <= 0:
        return settings.OCPP_HANDSHAKE_WAIT
    return max(0.0, min(settings.OCPP_HANDSHAKE_WAIT, connect_timeout - CONNECT_MARGIN))


def crowded(path: str) -> bool:
    """Whether the server should refuse an OCPP handshake to `path` with BUSY at once."""
    return path.startswith(OCPP_PATH_PREFIX) and HandshakeSlots.of_this_loop().crowded()


def admit(
    *,
    raw_path: bytes,
    headers: list[tuple[bytes, bytes]],
    subprotocols: list[str],
    client: str,
    peer: str = "",
) -> Admission | Refusal:
    """Decide whether a station may connect; runs in a thread (it reads the database).

    `peer`: the address the connection came from (a balancer's), where `client` may be
    the one the balancer forwarded.
    """
    if not is_station_path(raw_path):
        return _refuse(404, "Not a station's address: /ocpp/<station id>", raw_path, client)
    station_id = station_id_from_path(raw_path)
    if station_id is None:
        return _refuse(400, "Malformed station id", raw_path, client)
    subprotocol = choose_subprotocol(subprotocols)
    if subprotocol is None:
        return _refuse(400, "No supported OCPP subprotocol offered", station_id, client)
    station = _station(station_id)
    if station is None:
        if settings.OCPP_UNKNOWN_STATIONS != "pending":
            return _refuse(404, "Unknown station", station_id, client)
        station = registration.station_register_pending(station_id=station_id)
        logger.info("Registered unknown station %r as pending", station_id)
    if station.security_profile == ChargingStation.SecurityProfile.TLS_CLIENT_CERTIFICATE:
        refusal = _certificate_refusal(headers, peer or client, station_id)
        if refusal is not None:
            return _refuse(refusal.status, refusal.reason, station_id, client)
        return _admitted(station, subprotocol)
    credentials = basic_credentials(headers)
    if credentials is not None and credentials[0] != station_id:
        return _refuse(401, "User name is not the station id", station_id, client)
    if station.password:
        if credentials is None or not passwords.station_password_admit(station, credentials[1]):
            return _refuse(401, "Wrong or missing password", station_id, client)
    elif settings.OCPP_REQUIRE_PASSWORD:
        return _refuse(401, "Station has no password set", station_id, client)
    return _admitted(station, subprotocol)


class _Station(NamedTuple):
    """What admission reads of a station (the few columns it needs, no model)."""

    pk: int
    station_id: str
    registration_status: str
    connected: bool
    connection_channel: str
    security_profile: int
    password: str
    password_previous: str
    password_pending: str


_STATION_SQL = (
    f"SELECT {', '.join(('id', *_Station._fields[1:]))} FROM {{table}} WHERE station_id = %s"
)


def _station(station_id: str) -> _Station | None:
    row = sql.fetch_one(_STATION_SQL.format(table=sql.table(ChargingStation)), [station_id])
    return None if row is None else _Station(*row)


def _admitted(station: "_Station | ChargingStation", subprotocol: str) -> Admission:
    return Admission(
        station.pk,
        station.station_id,
        station.registration_status,
        subprotocol,
        previous_channel=station.connection_channel if station.connected else "",
    )


def client_certificate_name(headers: list[tuple[bytes, bytes]], peer: str) -> str | None:
    """The common name of the client certificate the balancer verified, or None: no
    header, several, or a connection that did not come from a trusted proxy."""
    if peer not in settings.OCPP_TRUSTED_PROXIES:
        return None
    wanted = settings.OCPP_CLIENT_CERT_HEADER.lower().encode()
    values = [value for name, value in headers if name.lower() == wanted]
    if len(values) != 1:
        return None
    name = values[0].decode("utf-8", errors="replace").strip()
    return name or None


def _certificate_refusal(headers, peer: str, station_id: str) -> Refusal | None:
    name = client_certificate_name(headers, peer)
    if name is None:
        return Refusal(401, "No verified client certificate (security profile 3)")
    if name != station_id:
        return Refusal(403, "The client certificate is not this station's")
    return None


def _refuse(status: int, reason: str, station, client: str) -> Refusal:
    logger.warning("Refused OCPP connection %r from %s: %s", station, client, reason)
    return Refusal(status, reason)
