"""Station services: reconciliation, retention, the meter writer, password rotation,
presence leases, demo data and housekeeping tasks.

`station` (CP-1), `token` and `eager_tasks` come from tests/conftest.py.
"""
