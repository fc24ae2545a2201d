"""A closing socket: a reply finished after the close began is dropped quietly, and
the application gets the time its close needs."""

import pytest
from autobahn.exception import Disconnected

from runtime.server import DenyingWebSocketProtocol

REPLY = {"type": "websocket.send", "text": '[3,"1",{"currentTime":"2026-12-07T10:00:00Z"}]'}


@pytest.mark.parametrize("state", ["STATE_CLOSING", "STATE_CLOSED"])
def test_a_reply_to_a_closing_socket_is_dropped(state):
    protocol = DenyingWebSocketProtocol()
    protocol.state = getattr(protocol, state)
    protocol.handle_reply(REPLY)  # autobahn would raise Disconnected: an error logged a frame


def test_a_reply_to_an_open_socket_is_sent(monkeypatch):
    protocol = DenyingWebSocketProtocol()
    protocol.state = protocol.STATE_OPEN
    sent = []
    monkeypatch.setattr(
        DenyingWebSocketProtocol, "serverSend", lambda self, text, binary: sent.append(text)
    )
    protocol.handle_reply(REPLY)
    assert sent == [REPLY["text"]]


def test_autobahn_refuses_to_send_on_a_closing_socket():
    """What the drop above stands in for (if autobahn stopped raising, it could go)."""
    protocol = DenyingWebSocketProtocol()
    protocol.state = protocol.STATE_CLOSING
    with pytest.raises(Disconnected):
        protocol.sendMessage(b"x", False)


@pytest.mark.parametrize(("configured", "adopted"), [(5, 60), (10, 60), (120, 120)])
def test_a_closed_socket_s_application_gets_at_least_a_minute_to_finish(configured, adopted):
    """daphne cuts a closed socket's application short after --application-close-timeout;
    its close still waits for the database threads (the station offline, its
    connectivity period closed), which a reconnect storm keeps busy for longer."""
    from daphne.server import Server

    from runtime.server import server_timeouts_adopt

    server = Server(None, ["tcp:port=0:interface=127.0.0.1"], application_close_timeout=configured)
    server_timeouts_adopt(server)
    assert server.application_close_timeout == adopted
