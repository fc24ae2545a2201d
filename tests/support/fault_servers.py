"""Servers to break: a private redis-server to restart, a TCP proxy to cut.

`RedisServer` is a redis-server of the test's own; `TcpProxy` forwards to a server
(PostgreSQL) and can cut and restore every connection, as a restarting server does.
"""

import asyncio
import contextlib
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

from tests.support.waiting import free_port, wait


class RedisServer:
    """redis-server on a free port, nothing on disk; `restart()` keeps the port."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        argv = [
            self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        with open(self.directory / "redis.log", "ab") as output:
            self.process = subprocess.Popen(
                argv, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait(self._answers, 10, "redis-server to answer")
        return self

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 0.5) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


# --- a TCP forwarder that can be cut -------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target in a thread of its own.

    `cut()` drops every forwarded connection and answers new ones by closing them at
    once, as a restarting PostgreSQL does; `restore()` forwards again.
    """

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.cut_off = False
        self.pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.accepted = 0
        self._server = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        ready = threading.Event()
        self._ready = ready

    def start(self) -> "TcpProxy":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("proxy did not start")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self.loop.run_forever()

    async def _handle(self, reader, writer) -> None:
        self.accepted += 1
        if self.cut_off:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, upstream_writer)
        self.pairs.add(pair)
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
            )
        finally:
            self.pairs.discard(pair)
            writer.transport.abort()
            upstream_writer.transport.abort()

    @staticmethod
    async def _pipe(reader, writer) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    def _call(self, function) -> None:
        done = threading.Event()

        def run():
            try:
                function()
            finally:
                done.set()

        self.loop.call_soon_threadsafe(run)
        done.wait(5)

    def cut(self) -> None:
        def cut():
            self.cut_off = True
            for client, upstream in list(self.pairs):
                client.transport.abort()
                upstream.transport.abort()

        self._call(cut)

    def restore(self) -> None:
        def restore():
            self.cut_off = False

        self._call(restore)

    def close(self) -> None:
        self.cut()

        def shutdown():
            self._server.close()
            self.loop.stop()

        self.loop.call_soon_threadsafe(shutdown)
        self._thread.join(5)
