"""ChargeNet's configuration: settings, URL and WebSocket routing, the ASGI entry point, Celery."""

from chargenet.celery import app as celery_app

__all__ = ["celery_app"]
