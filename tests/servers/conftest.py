"""The production shape, on real servers: a cluster behind HAProxy, faults survived
(daphne killed, Redis restarted, PostgreSQL cut off), two daphne processes, TLS, and the
channel layer against a redis-server that goes away.

These are server-marked: PostgreSQL and Redis (`make test-servers`). The helpers that
start clusters, simulated stations and servers to break are in tests/support/
(cluster.py, station_run.py, fault_servers.py, waiting.py, live.py).
"""
