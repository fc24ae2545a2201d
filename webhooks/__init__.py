"""Webhooks: integrators subscribe URLs to domain events; deliveries are signed Celery tasks.

Also home of the API write audit log (api/audit.py), so both live in one app.
"""
