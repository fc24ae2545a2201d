"""Waiting for things: a free port, a server listening on it, a condition to hold."""

import asyncio
import contextlib
import functools
import importlib.util
import os
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A free port on 127.0.0.1 below the kernel's ephemeral range (deploy/cluster.py's
    `free_port`), of this pytest-xdist worker's own class: the probe socket is closed
    before a server binds the port, so two workers could otherwise both be handed it."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    for _ in range(PORT_TRIES):
        port = cluster_script().free_port()
        if port % workers == worker:
            return port
    raise RuntimeError("no free port on 127.0.0.1")


@functools.cache
def cluster_script():
    """deploy/cluster.py, loaded as a module."""
    path = Path(__file__).resolve().parents[2] / "deploy" / "cluster.py"
    spec = importlib.util.spec_from_file_location("deploy_cluster", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PORT_TRIES = 200


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise TimeoutError(f"server did not listen on {port}")


def wait(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll `condition` until it returns something truthy; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


async def await_condition(condition, timeout: float, what: str, interval: float = 0.1):
    """`wait` for async tests: `condition` may be a coroutine function."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)
