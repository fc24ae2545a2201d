"""Commands to stations: every action, follow-ups, reservations, charging profiles,
local authorisation lists, load management, and the admin's command actions.

Stations that answer every command and `booted` are in tests/support/charge_points.py;
`station` (CP-1), `token`, `media_root` and `eager_tasks` come from tests/conftest.py.
"""
