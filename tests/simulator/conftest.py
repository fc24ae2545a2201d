"""The station simulator: power curves, its answers to the CSMS, and a live run.

Its live daphne and database fixtures are the module's own (they run `manage.py` in a
directory of their own, not on the test database).
"""
