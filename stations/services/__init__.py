"""Version-neutral station business logic, one module per concept: the only code that
writes station state (stations, connectors, id tokens, sessions, their samples and
events, reservations, charging profiles, local lists, the device model).

Every function is synchronous and transactional; OCPP adapters call them on the
database threads (runtime/pool.py). They take plain values (never OCPP payloads) and return
plain results the adapters translate back into their version's words. What other
apps do when station state changes (pricing, status history, webhooks) they
subscribe to in stations/events.py: nothing here imports them.
"""
