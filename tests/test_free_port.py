"""Parallel test workers never share a port: each picks from its own class of ports."""

from tests.support.waiting import free_port


def test_a_worker_picks_only_its_own_ports(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    assert all(free_port() % 3 == 2 for _ in range(20))


def test_without_workers_any_free_port_will_do(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert 0 < free_port() < 65536
