"""Servers to break: a private redis-server or PostgreSQL to stop, a TCP proxy to cut.

`RedisServer` is a redis-server of the test's own; `PostgresServer` a PostgreSQL cluster
of its own (initdb + pg_ctl in a temporary directory, on a free port); `TcpProxy`
forwards to a server and can cut and restore every connection, as a restarting server
does. None of them touches the machine's shared servers.
"""

import asyncio
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
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


# --- a PostgreSQL of the test's own ----------------------------------------------------


def postgres_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


class PostgresServer:
    """A PostgreSQL cluster in `directory` on a free port: `start`, `stop`, `restart`.

    initdb refuses to run as root: as root the cluster belongs to the `postgres` user.
    fsync is off: the data only has to outlive a clean stop.
    """

    def __init__(self, directory: Path | None = None, database: str = "chargenet"):
        self.owner = "postgres" if os.geteuid() == 0 else None
        # The `postgres` user must reach the directory: pytest's are private to root.
        self.temporary = directory is None or self.owner is not None
        self.directory = (
            Path(tempfile.mkdtemp(prefix="chargenet-pg-")) if self.temporary else Path(directory)
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.data = self.directory / "data"
        self.port = free_port()
        self.database = database
        self.binaries = postgres_binaries()
        if self.binaries is None:
            raise RuntimeError("PostgreSQL's initdb/pg_ctl are not installed")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.binaries / argv[0]), *argv[1:]]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> "PostgresServer":
        if self.owner:
            shutil.chown(self.directory, self.owner, self.owner)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        return self

    def start(self) -> "PostgresServer":
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options,
            "-l", str(self.directory / "postgresql.log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def create_database(self) -> None:
        import psycopg

        maintenance = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop",
                      check=False)  # fmt: skip

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def remove(self) -> None:
        """Stop it and delete its files (a directory it made itself)."""
        self.stop()
        if self.temporary:
            shutil.rmtree(self.directory, ignore_errors=True)


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
