"""Parallel test workers never share a port: each picks from its own class of ports."""

import pytest

from tests.support.waiting import free_port


@pytest.mark.parametrize(("workers", "worker"), [(2, 0), (2, 1), (3, 2)])
def test_a_worker_picks_only_its_own_ports(monkeypatch, workers, worker):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(workers))
    monkeypatch.setenv("PYTEST_XDIST_WORKER", f"gw{worker}")
    assert all((free_port() // 2) % workers == worker for _ in range(20))


def test_without_workers_any_free_port_will_do(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert 0 < free_port() < 65536
