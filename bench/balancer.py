"""HAProxy in front of the benchmark's server processes, as the cluster runs them.

The stations connect to one address and HAProxy spreads the sockets over the
processes (least connections first), so a reconnect storm is measured through the
balancer that production uses (deploy/haproxy.cfg.in), without its TLS ports.
"""

import contextlib
import resource
import shutil
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

CONFIG = """\
global
    maxconn {maxconn}
defaults
    mode http
    option http-server-close
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    timeout http-request 30s
frontend stations
    bind 127.0.0.1:{port}
    default_backend daphne
backend daphne
    balance leastconn
{servers}
"""


def _raise_fd_limit(wanted: int) -> None:
    """Two descriptors a connection (station and server side): raise the hard limit
    too where allowed (root), else HAProxy refuses to start with its maxconn."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))


class Balancer:
    """One HAProxy process on `port` in front of `ports`; `stop()` ends it."""

    def __init__(self, port: int, ports: list[int], maxconn: int) -> None:
        executable = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(executable).exists():
            raise RuntimeError("HAProxy is not installed: apt-get install -y haproxy")
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="chargenet-bench-haproxy-"))
        servers = "\n".join(
            f"    server daphne-{n} 127.0.0.1:{server_port}" for n, server_port in enumerate(ports)
        )
        config = self.directory / "haproxy.cfg"
        config.write_text(CONFIG.format(maxconn=maxconn, port=port, servers=servers))
        log = open(self.directory / "haproxy.log", "wb")  # noqa: SIM115 - the process's
        self.process = subprocess.Popen(
            [executable, "-db", "-f", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=partial(_raise_fd_limit, maxconn * 2 + 200),
        )
        log.close()

    def wait_listening(self, timeout: float = 10.0) -> None:
        import socket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                text = (self.directory / "haproxy.log").read_text(errors="replace")
                raise RuntimeError(f"HAProxy exited:\n{text[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("HAProxy did not start listening")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
