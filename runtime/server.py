"""Daphne, taught the ASGI WebSocket Denial Response extension and permessage-deflate.

OCPP-J §3.2 wants an unknown station refused with HTTP 404 and a bad password with
401 (security profile 1) before the upgrade; stock daphne can only answer 403. This
server advertises `websocket.http.response` in the scope and turns the
application's `websocket.http.response.*` messages into that HTTP answer.

It also answers where stock daphne drops the TCP connection without a word: a request
head over MAX_REQUEST_HEAD bytes gets 431, and a socket that breaks the WebSocket rules
(a message over daphne's size limit, text that is not UTF-8) is closed with a close
frame (1009, 1007) instead of being dropped.

Plain `daphne chargenet.asgi:application` gets the same (`adopt_daphne`, called by
chargenet/asgi.py under daphne's command line): the answers above, and a station that
waited longer than daphne's --websocket_connect_timeout is refused with 503 and
Retry-After where stock daphne answers 403.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pprint import pformat

from autobahn import util as autobahn_util
from autobahn.twisted import websocket as autobahn_twisted_websocket
from autobahn.websocket import protocol as autobahn_protocol
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept
from autobahn.websocket.types import ConnectionDeny
from daphne.http_protocol import HTTPFactory
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from django.conf import settings
from twisted.internet import reactor
from twisted.web import http

from runtime.collector import collector_tune
from runtime.protocol_slots import PROTOCOL_ATTRIBUTES, instance_slots
from runtime.queues import INBOX, LeanQueue
from stations.services import handshake

DENIAL = "websocket.http.response"
#: Seconds at least a closed socket's application may take to finish (server_timeouts_adopt).
APPLICATION_CLOSE_TIMEOUT = 60
LISTEN_BACKLOG = 4096  # the kernel caps it at net.core.somaxconn
#: Bytes of a request's line and headers (Twisted's own limit, each line and in all).
MAX_REQUEST_HEAD = 16 * 1024
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
)


class _Lazy(str):
    """`function(*args)` as text, made only when a log line is actually written."""

    def __new__(cls, function, *args):
        lazy = super().__new__(cls)
        lazy.function, lazy.args = function, args
        return lazy

    def __str__(self) -> str:
        return str(self.function(*self.args))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    __repr__ = __str__


def _deferred(function):
    return lambda *args: _Lazy(function, *args)


# autobahn formats (pretty-prints, colours) the arguments of debug lines that are not
# written: the options of every new connection, and two or three values of every frame
# received or sent. A fair share of a handshake's CPU in a reconnect storm.
autobahn_protocol.pformat = _deferred(pformat)
for _module in (autobahn_protocol, autobahn_twisted_websocket):
    _module.hltype, _module.hlval = _deferred(autobahn_util.hltype), _deferred(autobahn_util.hlval)


#: The LZ77 window (bits) a station that offers compression is asked to keep to: the
#: window ChargeNet keeps to read its messages. The smallest RFC 7692 allows.
STATION_WINDOW_BITS = 9


def accept_deflate(offers):
    """Take a permessage-deflate offer (RFC 7692; OCPP-J 2.0.1 §3.3 requires it).

    With autobahn's defaults a compressing socket keeps a compressor and a
    decompressor of 32 KiB windows: about 185 KiB of every connection once it has
    carried a few hundred frames, six times all the rest of it. ChargeNet compresses
    each message on its own (no context takeover, which a server may choose alone; a
    compressor of 4 KiB made for the message, about 10 µs) and asks the station for
    the smallest window where its offer allows: about 8 KiB kept per connection.
    """
    for offer in offers:
        if isinstance(offer, PerMessageDeflateOffer):
            return PerMessageDeflateOfferAccept(
                offer,
                no_context_takeover=True,
                window_bits=min(12, offer.request_max_window_bits or 12),
                mem_level=5,
                request_max_window_bits=STATION_WINDOW_BITS if offer.accept_max_window_bits else 0,
            )
    return None


class HeadLimitedChannel(http.HTTPChannel):
    """Twisted's HTTP channel, answering 431 to a request head over MAX_REQUEST_HEAD.

    Twisted drops the connection without an answer when one line is longer than its
    MAX_LENGTH, and answers 400 when all of them are over totalHeadersSize.
    """

    MAX_LENGTH = totalHeadersSize = MAX_REQUEST_HEAD

    def lineReceived(self, line):  # noqa: N802 - Twisted's name
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            self._head_too_large()
            return
        super().lineReceived(line)

    def lineLengthExceeded(self, line):  # noqa: N802 - Twisted's name
        self._head_too_large()

    def _head_too_large(self):
        if not self.transport.disconnecting:
            self.transport.write(HEAD_TOO_LARGE)
            self.loseConnection()


def head_limited_channel(factory):
    """The factory's protocol: Twisted's (HTTP/2 capable) wrapper round our channel."""
    return http._GenericHTTPChannelProtocol(HeadLimitedChannel())


#: What the opening handshake leaves on an open socket's protocol that nothing reads
#: again (autobahn's copy of the request and its answer, daphne's header list): about
#: 2 KiB of every connection.
HANDSHAKE_LEFTOVERS = (
    "http_request_data",
    "http_response_data",
    "http_status_line",
    "http_headers",
    "http_request_uri",
    "http_request_params",
    "websocket_protocols",
    "websocket_extensions",
    "websocket_origin",
    "_wskey",
    "clean_headers",
)


class OpenedRequest:
    """The part of autobahn's ConnectionRequest daphne reads after the handshake."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path


class DenyingWebSocketProtocol(WebSocketProtocol):
    __slots__ = instance_slots(PROTOCOL_ATTRIBUTES, WebSocketProtocol)
    _denial_status = 403

    def _connectionMade(self):
        super()._connectionMade()  # copies the factory's options onto the protocol
        self.perMessageCompressionAccept = accept_deflate
        # autobahn drops the TCP connection of a peer that breaks the rules (a message
        # too large, text that is not UTF-8): send it a close frame (1009, 1007) first.
        self.failByDrop = False

    _denial_headers: list[tuple[str, str]] = []

    def onOpen(self):  # noqa: N802 - autobahn's name
        super().onOpen()
        for name in HANDSHAKE_LEFTOVERS:
            setattr(self, name, None)
        self.request = OpenedRequest(self.request.path)
        # The HTTP channel the socket was upgraded from stays the transport's producer
        # (flow control) and would keep the upgraded request, headers and all.
        channel = getattr(self.transport, "producer", None)
        if isinstance(channel, HeadLimitedChannel):
            del channel.requests[:]

    def handle_reply(self, message):
        kind = message.get("type")
        if kind == f"{DENIAL}.start" and self.state == self.STATE_CONNECTING:
            self._denial_status = int(message.get("status", 403))
            # The answer has no body here, so only headers that describe the refusal
            # (WWW-Authenticate, Retry-After) are passed on.
            self._denial_headers = [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", [])
                if name.lower() not in (b"content-type", b"content-length")
            ]
        elif kind == f"{DENIAL}.body" and self.state == self.STATE_CONNECTING:
            if not message.get("more_body", False) and hasattr(self, "handshake_deferred"):
                reason = bytes(message.get("body", b"")).decode("utf-8", "replace")
                self.handshake_deferred.errback(
                    ConnectionDeny(code=self._denial_status, reason=reason or None)
                )
                del self.handshake_deferred
                self.server.protocol_disconnected(self)
        elif kind == "websocket.send" and self.state in (self.STATE_CLOSING, self.STATE_CLOSED):
            # A reply finished after the close began (the station dropped the link, or a
            # newer socket replaced this one): lost with the socket, as daphne drops one
            # once it has noted the close, instead of an error with a traceback.
            return
        else:
            super().handle_reply(message)

    # Stock daphne gives up on a handshake the application has not answered within
    # --websocket_connect_timeout twice over: autobahn's opening-handshake timer (set to
    # the same value) drops the TCP connection without a word, and daphne's own check
    # answers 403, which a station takes as "go away". It is the server being busy: both
    # answer 503 and when to come back instead.
    def check_timeouts(self):
        if (
            self.state == self.STATE_CONNECTING
            and self.duration() > self.server.websocket_connect_timeout
            and self._deny_busy()
        ):
            return
        super().check_timeouts()

    def onOpenHandshakeTimeout(self):  # noqa: N802 - autobahn's name
        if self.state == self.STATE_CONNECTING and self._deny_busy():
            self.openHandshakeTimeoutCall = None
            return
        # The request itself never arrived whole (a slow or silent client): drop it.
        super().onOpenHandshakeTimeout()

    def _deny_busy(self) -> bool:
        """Refuse the handshake under way with 503 and Retry-After; False if none is."""
        if not hasattr(self, "handshake_deferred"):
            return False
        busy = handshake.HandshakeSlots.of_this_loop().busy()
        self._deny_header(busy)
        deferred = self.handshake_deferred
        del self.handshake_deferred
        self.server.protocol_disconnected(self)
        deferred.errback(ConnectionDeny(code=busy.status, reason=busy.reason))
        return True

    def onConnect(self, request):  # noqa: N802 - autobahn's name
        # A station that would only be refused after waiting for a handshake slot is
        # refused here, before an application instance is made: half the CPU.
        if handshake.crowded(request.path):
            busy = handshake.HandshakeSlots.of_this_loop().busy()
            self._deny_header(busy)
            raise ConnectionDeny(busy.status, busy.reason)
        return super().onConnect(request)

    def _deny_header(self, refusal: handshake.Refusal) -> None:
        self._denial_headers = [("Retry-After", str(refusal.retry_after))]

    def failHandshake(self, reason, code=400, responseHeaders=None):  # noqa: N802 - autobahn's name
        super().failHandshake(reason, code, responseHeaders or self._denial_headers or None)


def server_loop():
    """The asyncio event loop daphne's reactor runs: the ASGI applications' loop."""
    return reactor._asyncioEventloop


class ChargeNetServer(Server):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rounds = {"application": 0, "timeout": 0}

    # daphne walks every connection each second (applications) and every two seconds
    # (timeouts and pings): with thousands of stations per process that is most of
    # an idle server's work. Every fifth application round does (cleanup a few
    # seconds later) and, with a ping interval of 30 s or more, every third
    # timeout round (pings within six seconds of their interval).
    def application_checker(self):
        if self._tick("application", 5):
            super().application_checker()  # reschedules itself in 1 s
        else:
            reactor.callLater(1, self.application_checker)

    def timeout_checker(self):
        if self._tick("timeout", 3 if self.ping_interval >= 30 else 1):
            super().timeout_checker()  # reschedules itself in 2 s
        else:
            reactor.callLater(2, self.timeout_checker)

    def _tick(self, name: str, every: int) -> bool:
        self._rounds[name] += 1
        return self._rounds[name] % every == 0

    def run(self):
        adopt_daphne()
        super().run()


def websocket_scope(protocol, scope: dict) -> dict:
    """A WebSocket scope with what ChargeNet's consumers read besides the ASGI keys."""
    scope = {**scope, "extensions": {**scope.get("extensions", {}), DENIAL: {}}}
    # --proxy-headers makes `client` the forwarded address; whether headers a
    # balancer sets (a client certificate's name) are to be believed depends on the
    # address the connection really came from.
    peer = protocol.transport.getPeer() if protocol.transport else None
    if getattr(peer, "host", None):
        scope[handshake.PEER_ADDRESS] = str(peer.host)
    # A handshake must be decided before daphne gives up on it.
    scope[handshake.CONNECT_TIMEOUT] = protocol.server.websocket_connect_timeout
    return scope


_stock_run = Server.run


def _create_application(self, protocol, scope):
    """daphne's create_application, with a LeanQueue for the application's input (in a
    WebSocket's scope too: the consumer has the channel layer deliver into it)."""
    assert "application_instance" not in self.connections[protocol]
    input_queue = LeanQueue()
    if scope.get("type") == "websocket":
        scope = websocket_scope(protocol, scope)
        scope[INBOX] = input_queue
    scope.setdefault("asgi", {"version": "3.0"})
    application_instance = self.application(
        scope=scope, receive=input_queue.get, send=partial(self.handle_reply, protocol)
    )
    if protocol not in self.connections:
        return None
    self.connections[protocol]["application_instance"] = asyncio.ensure_future(
        application_instance, loop=asyncio.get_event_loop()
    )
    return input_queue


def _run(self):
    server_timeouts_adopt(self)
    # Twisted listens with a backlog of 50: a reconnect storm of thousands of
    # stations would be refused by the kernel before daphne saw them.
    self.endpoints = [
        f"{endpoint}:backlog={LISTEN_BACKLOG}"
        if endpoint.startswith("tcp:") and "backlog=" not in endpoint
        else endpoint
        for endpoint in self.endpoints
    ]
    # Stations' database work runs on this pool (StationAdapter.run); asyncio's
    # default of cores + 4 threads leaves the loop waiting on round trips.
    reactor._asyncioEventloop.set_default_executor(
        ThreadPoolExecutor(settings.DATABASE_THREADS, thread_name_prefix="db")
    )
    collector_tune()
    _stock_run(self)


def server_timeouts_adopt(server: Server) -> None:
    """Give a closed socket's application at least APPLICATION_CLOSE_TIMEOUT to finish.

    daphne cancels it after --application-close-timeout (10 s by default), and a station
    socket's close still has work queued for the database threads (marking the station
    offline, closing its connectivity period): in a reconnect storm those threads are
    busy with handshakes for longer, and thousands of closes were cut short, leaving
    outages out of the connectivity history.
    """
    server.application_close_timeout = max(
        server.application_close_timeout, APPLICATION_CLOSE_TIMEOUT
    )


def adopt_daphne() -> None:
    """Teach daphne's own classes ChargeNet's answers; idempotent.

    `manage.py serve` runs ChargeNetServer, which calls this; plain
    `daphne chargenet.asgi:application` runs daphne's Server, and chargenet/asgi.py
    calls this before the server starts: both then deny handshakes with the status the
    application chose (401, 404, 503 with Retry-After), never stock daphne's 403,
    listen with a deep backlog and run database work on DATABASE_THREADS threads.
    """
    WebSocketFactory.protocol = DenyingWebSocketProtocol
    HTTPFactory.protocol = head_limited_channel
    Server.create_application = _create_application
    Server.run = _run
