"""Helpers for the tests: factories, stations that speak OCPP, live servers, clusters.

- factories.py: factory_boy factories and `make_station`
- ocpp_client.py: a library ChargePoint on the in-process ASGI socket
- charge_points.py: charge points that answer every command and record it; `booted`
- stories.py: one charging story told in each OCPP version
- station_thread.py: an OCPP 1.6 station on a thread of its own (browser tests)
- live.py: a real daphne on a free port, sharing the test database
- octt.py: OCTT-style replays: a station on a live daphne, the operator's REST commands
- waiting.py: poll a condition until it holds
- cluster.py: deploy/cluster.py's production shape on free ports
- station_run.py: recorded simulated stations in a process of their own
- fault_servers.py: a private redis-server and a TCP proxy that can be cut
- billing.py, billing_urls.py: billing's builders and URLconf
- drivers.py: a driver's sessions
- browser.py: headless Chromium pages
- servers.py: `python -m tests.support.servers`, are PostgreSQL and Redis up?
- login_backend.py: the test settings' login guard
"""
