"""The server process in itself: the health check, Prometheus metrics, database
connections of ASGI requests, garbage-collector tuning, handshake admission (slots,
floods of refusals), login throttling, and the embedded beat (the periodic tasks
inside `manage.py serve`).
"""
