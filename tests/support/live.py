"""A real daphne (`manage.py serve`) on a free port, sharing the test database."""

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

from tests.support.waiting import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]  # the repository


def database_url() -> str:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = settings.get("USER") or "postgres"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


@contextlib.contextmanager
def live_daphne(**env):
    """Start `manage.py serve`; yields 'host:port'. Always stops the server."""
    with live_daphne_process(**env) as (address, _):
        yield address


@contextlib.contextmanager
def live_daphne_process(output=None, **env):
    """Start `manage.py serve`; yields ('host:port', its Popen). Always stops it.

    `output`, an open file, receives the server's stdout and stderr (its log)."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "OCPP_LOG_FLUSH_INTERVAL": "0.05",
        "PYTHONUNBUFFERED": "1",
        **{key: str(value) for key, value in env.items()},
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
    )
    try:
        wait_for_port(port, process)
        yield f"127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
