"""The server process in itself: the health check, database connections of ASGI
requests, garbage-collector tuning, handshake admission (slots, floods of refusals)
and login throttling.
"""
