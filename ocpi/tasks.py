"""Celery: OCPI pushes, one party at a time and in order (ocpi/pushes.py)."""

from celery import shared_task
from django.conf import settings

from ocpi import commands, pushes


@shared_task(name="ocpi.tasks.push_party", ignore_result=True, acks_late=True)
def push_party(party_pk: int) -> None:
    retry_in = pushes.push_party(party_pk)
    if retry_in is not None and not settings.CELERY_TASK_ALWAYS_EAGER:
        # Eagerly a countdown would be ignored: push_due picks the party up instead.
        push_party.apply_async((party_pk,), countdown=retry_in)


@shared_task(name="ocpi.tasks.push_due", ignore_result=True)
def push_due() -> None:
    for party_pk in pushes.due_parties():
        pushes.push_party(party_pk)


@shared_task(name="ocpi.tasks.run_command", ignore_result=True)
def run_command(
    party_pk: int, station_pk: int, action: str, params: dict, response_url: str
) -> None:
    commands.run(party_pk, station_pk, action, params, response_url)
