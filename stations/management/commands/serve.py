"""Run ChargeNet's daphne: HTTP, the OCPP endpoint and live sockets on one port."""

import os

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections as db_connections

from runtime.presence import presence_begin, presence_start
from runtime.scheduler import embedded_beat_enabled, embedded_beat_start
from runtime.server import ChargeNetServer, server_loop
from stations.services.connections import stations_mark_offline


class Command(BaseCommand):
    help = "Serve ChargeNet with daphne (WebSocket pings from OCPP_PING_INTERVAL)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--proxy-headers",
            action="store_true",
            help="Trust X-Forwarded-For/Proto from a load balancer in front.",
        )

    def handle(self, *args, host, port, proxy_headers, **options):
        class ChargeNetCLI(CommandLineInterface):
            server_class = ChargeNetServer

        if not settings.REDIS_URL:
            # Embedded mode has one process: no socket survived its last run.
            stations_mark_offline()
        # This process's lease (stations held by dead processes go offline).
        presence_begin()
        # This thread serves nothing from now on: its database connection is not kept.
        db_connections.close_all()
        presence_start(server_loop())
        if embedded_beat_enabled():
            # No beat process either: the periodic tasks run on this server's loop.
            embedded_beat_start(server_loop())
        ping = str(settings.OCPP_PING_INTERVAL)
        argv = [
            "--bind", host,
            "--port", str(port),
            # A station stays connected for months; a dead one is found by pings:
            # no pong within OCPP_PING_INTERVAL after a ping closes the socket.
            "--websocket_timeout", "-1",
            "--ping-interval", ping,
            "--ping-timeout", ping,
            # A reconnect storm queues handshakes: give them time rather than a 502.
            "--websocket_connect_timeout", "30",
        ]  # fmt: skip
        if proxy_headers:
            argv.append("--proxy-headers")
        self.stdout.write(f"ChargeNet listening on http://{host}:{port}/")
        ChargeNetCLI().run([*argv, "chargenet.asgi:application"])
