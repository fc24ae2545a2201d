"""An HTTP request served over ASGI leaves no database connection open behind it."""

from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.test.client import ClientHandler

import chargenet.asgi


def closes_on_finish(monkeypatch, sender) -> bool:
    closed = []
    monkeypatch.setattr(chargenet.asgi.connections, "close_all", lambda: closed.append(True))
    request_finished.send(sender=sender)
    return bool(closed)


def test_an_asgi_request_closes_its_thread_s_connections_when_it_finishes(monkeypatch):
    # Its thread is not used again, so a connection kept for reuse would only leak.
    assert closes_on_finish(monkeypatch, ASGIHandler)


def test_other_handlers_keep_django_s_own_rule(monkeypatch):
    assert not closes_on_finish(monkeypatch, ClientHandler)
    assert not closes_on_finish(monkeypatch, None)
