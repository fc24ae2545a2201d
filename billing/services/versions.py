"""Tariff versions: written on every change of a tariff, fixed to sessions at their start.

- A tariff's definition (billing/pricing/snapshot.py) is written as a new TariffVersion
  whenever it differs from the latest version: after any save or delete of the tariff,
  its time-of-use prices or its power tiers commits (model signals, so the admin, the
  API, the pages and code all version the same way), and whenever a tariff is resolved
  for a session (so even a QuerySet.update() is caught before it prices anything).
- A session is fixed to the version in force when ChargeNet recorded its start
  (`session.started`), or, for a session whose start went unannounced (a 2.0.1
  transaction first seen by a later event), when its tariff is first resolved. Pricing,
  the running cost, the station's totalCost, the driver's live cost and the invoice all
  use that version: a tariff changed or assigned later applies to later sessions only.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from billing.models import PowerTierPrice, SessionTariff, Tariff, TariffVersion, TimeOfUsePrice
from billing.pricing.snapshot import snapshot_digest, spec_to_json
from billing.services.tariffs import TariffBook, tariff_for
from stations.models import ChargingSession

logger = logging.getLogger(__name__)


def tariff_version_current(tariff: Tariff) -> TariffVersion:
    """The version holding the tariff's definition now: the latest, or a new one if the
    tariff changed since (numbered on from the latest, under a lock of the tariff row so
    two processes never write the same number)."""
    fresh = Tariff.objects.prefetch_related("time_of_use", "power_tiers").get(pk=tariff.pk)
    definition = spec_to_json(fresh.spec())
    digest = snapshot_digest(definition)
    latest = _latest(fresh)
    if latest is not None and latest.digest == digest:
        return latest  # the common case: no lock, no write
    with transaction.atomic():
        list(Tariff.objects.select_for_update(no_key=True).filter(pk=fresh.pk).values_list("pk"))
        latest = _latest(fresh)
        if latest is not None and latest.digest == digest:
            return latest
        return TariffVersion.objects.create(
            tariff=fresh,
            number=(latest.number if latest else 0) + 1,
            name=fresh.name,
            currency=fresh.currency,
            definition=definition,
            digest=digest,
            created_at=timezone.now(),
        )


def _latest(tariff: Tariff) -> TariffVersion | None:
    return TariffVersion.objects.filter(tariff=tariff).order_by("-number").first()


def _version_after_commit(tariff_pk: int | None) -> None:
    if tariff_pk is None:
        return

    def write() -> None:
        tariff = Tariff.objects.filter(pk=tariff_pk).first()
        if tariff is not None:  # deleted in the meantime: its versions stay as they are
            tariff_version_current(tariff)

    transaction.on_commit(write)


def _tariff_saved(sender, instance: Tariff, raw: bool = False, **kwargs) -> None:
    if not raw:
        _version_after_commit(instance.pk)


def _part_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw:
        _version_after_commit(instance.tariff_id)


def versions_connect() -> None:
    """Write a version whenever a tariff or one of its parts is saved or deleted."""
    post_save.connect(_tariff_saved, sender=Tariff, dispatch_uid="tariff_version_tariff")
    for part in (TimeOfUsePrice, PowerTierPrice):
        post_save.connect(_part_changed, sender=part, dispatch_uid=f"tariff_version_{part}")
        post_delete.connect(_part_changed, sender=part, dispatch_uid=f"tariff_version_del_{part}")


def session_tariff_version(
    session: ChargingSession, *, book: TariffBook | None = None
) -> TariffVersion | None:
    """The version the session is priced with, fixed now if it is not yet (None: no
    tariff priced its connector when it was fixed)."""
    if book is not None and session.pk in book.pins:
        return book.pins[session.pk]
    pin = SessionTariff.objects.filter(session_id=session.pk).select_related("version").first()
    if pin is None:
        pin = session_tariff_fix(session, book=book)
    if book is not None:
        book.pins[session.pk] = pin.version
    return pin.version


def session_tariff_fix(
    session: ChargingSession, *, book: TariffBook | None = None
) -> SessionTariff:
    """Fix the session to the version of the tariff in force now for its connector;
    a session fixed already keeps its version."""
    pin = SessionTariff.objects.filter(session_id=session.pk).select_related("version").first()
    if pin is not None:
        return pin
    target = {
        "station_pk": session.station_id,
        "connector_pk": session.connector_id,
        "site_pk": session.station.site_id,
    }
    tariff = book.resolve(**target)[0] if book is not None else tariff_for(**target)
    version = tariff_version_current(tariff) if tariff is not None else None
    try:
        with transaction.atomic():
            return SessionTariff.objects.create(session_id=session.pk, version=version)
    except IntegrityError:  # fixed by another process meanwhile: theirs stands
        return SessionTariff.objects.select_related("version").get(session_id=session.pk)
