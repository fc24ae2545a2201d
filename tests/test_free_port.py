"""Free ports for test servers: outside the kernel's ephemeral range, and parallel
test workers never share one (each picks from its own class of ports)."""

import socket

import pytest

from tests.support.waiting import cluster_script, free_port


@pytest.mark.parametrize(("workers", "worker"), [(2, 0), (2, 1), (3, 2)])
def test_a_worker_picks_only_its_own_ports(monkeypatch, workers, worker):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(workers))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
    assert all(free_port() % workers == worker for _ in range(20))


def test_without_workers_any_free_port_will_do(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert 0 < free_port() < 65536


def test_no_outgoing_connection_can_be_given_the_port_before_its_server_binds_it():
    low, _ = cluster_script().ephemeral_ports()
    ports = [free_port() for _ in range(20)]
    assert all(cluster_script().FIRST_FREE_PORT <= port < low for port in ports)


def test_a_port_in_use_is_never_handed_out(monkeypatch):
    """Of two ports left to choose from, the one another socket holds is skipped."""
    script = cluster_script()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", free_port()))
        held = holder.getsockname()[1]
        monkeypatch.setattr(script, "FIRST_FREE_PORT", held)
        monkeypatch.setattr(script, "ephemeral_ports", lambda: (held + 2, 60999))
        assert {script.free_port() for _ in range(10)} == {held + 1}
