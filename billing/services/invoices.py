"""Invoices: per driver per month and per session on demand; credit notes correct them.

Numbers run without gaps per year: the next number is taken from the year's
InvoiceSequence row under select_for_update, in the same transaction that writes the
invoice, so a rolled-back invoice gives its number back and two workers never share
one. The lock also serialises the choice of sessions, so none is invoiced twice.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceLine, InvoiceSequence, OperatorProfile, SessionCharge
from billing.periods import days_bounds, local_date, month_days
from billing.pricing.timeofuse import zone
from billing.services.sessions import session_is_invoiced, session_price
from billing.services.tariffs import TariffBook
from stations import events
from stations.models import ChargingSession


class InvoiceError(Exception):
    """The invoice cannot be issued; the message says why."""


class ProfileIncomplete(InvoiceError):
    """The operator's profile lacks what an invoice must show: nothing is issued."""


def operator_profile_ready() -> OperatorProfile:
    """The operator's profile, or ProfileIncomplete naming the fields still missing."""
    profile = OperatorProfile.current()
    if missing := profile.missing():
        raise ProfileIncomplete(
            "Complete the operator profile before issuing invoices; missing: "
            + ", ".join(missing)
            + "."
        )
    return profile


def _lock_numbers(now: datetime, profile: OperatorProfile) -> None:
    """Lock the issuing year's sequence row until the transaction ends."""
    year = local_date(now, profile.timezone).year
    InvoiceSequence.objects.get_or_create(year=year)
    InvoiceSequence.objects.select_for_update(no_key=True).get(year=year)


def invoice_number_take(*, year: int) -> tuple[int, str]:
    """The next number of the year (call inside the transaction that issues it)."""
    InvoiceSequence.objects.get_or_create(year=year)
    sequence = InvoiceSequence.objects.select_for_update(no_key=True).get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number, f"{year}-{sequence.last_number:06d}"


def _customer_details(customer: AbstractBaseUser | None) -> dict:
    """Name, address and language from the driver's profile (drivers' DriverProfile)."""
    if customer is None:
        return {"customer": None, "customer_name": "", "customer_email": ""}
    # The reverse relation of the drivers app's profile: billing never imports drivers.
    profile = getattr(customer, "driver_profile", None)
    name = (profile.full_name if profile else "") or (
        customer.get_full_name() if hasattr(customer, "get_full_name") else ""
    )
    return {
        "customer": customer,
        "customer_name": name or customer.get_username(),
        "customer_email": getattr(customer, "email", ""),
        "customer_address": profile.address if profile else "",
    }


def invoice_language(customer: AbstractBaseUser | None) -> str:
    """The customer's language for the documents, else the site's default."""
    profile = getattr(customer, "driver_profile", None) if customer is not None else None
    return profile.language if profile else settings.LANGUAGE_CODE


def _seller_details(profile: OperatorProfile) -> dict:
    return {
        "seller_name": profile.name,
        "seller_address": profile.address,
        "seller_tax_id": profile.tax_id,
        "seller_email": profile.email,
        "seller_bank_account": profile.bank_account,
        "seller_registration": profile.registration_number,
        "seller_logo": profile.logo.name if profile.logo else "",
        "footer": profile.footer,
    }


def _session_description(session: ChargingSession, language: str) -> str:
    """Where, when (in the site's time zone), how long and how much energy, in `language`."""
    site = session.station.site
    start = session.started_at.astimezone(zone(site.timezone if site else "UTC"))
    minutes = int((session.ended_at - session.started_at).total_seconds() // 60)
    where = session.station.station_id
    if session.connector_id:
        where += f"/{session.connector.connector_id}"
    kwh = Decimal(session.energy_wh) / 1000
    with translation.override(language):
        return _(
            "Charging session %(session)s at %(where)s, %(start)s, "
            "%(hours)s h %(minutes)s min, %(kwh)s kWh"
        ) % {
            "session": session.pk,
            "where": where,
            "start": f"{start:%Y-%m-%d %H:%M} {start.tzname()}",
            "hours": minutes // 60,
            "minutes": f"{minutes % 60:02d}",
            "kwh": f"{kwh:.3f}",
        }


def _issue(
    *,
    customer,
    sessions: list[ChargingSession],
    period: tuple[date, date],
    now: datetime,
    profile: OperatorProfile,
) -> Invoice:
    """Write one invoice for priced sessions in one currency (inside the number lock)."""
    charges = [session.charge for session in sessions]
    language = invoice_language(customer)
    year = local_date(now, profile.timezone).year
    sequence, number = invoice_number_take(year=year)
    invoice = Invoice.objects.create(
        kind=Invoice.Kind.INVOICE,
        number=number,
        year=year,
        sequence=sequence,
        issued_at=now,
        due_date=local_date(now, profile.timezone) + timedelta(days=profile.payment_terms_days),
        period_start=period[0],
        period_end=period[1],
        currency=charges[0].currency,
        net=sum((c.net for c in charges), Decimal(0)),
        tax=sum((c.tax for c in charges), Decimal(0)),
        gross=sum((c.gross for c in charges), Decimal(0)),
        language=language,
        **_customer_details(customer),
        **_seller_details(profile),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            session=session,
            description=_session_description(session, language),
            details=session.charge.lines,
            tax_rate_percent=session.charge.tax_rate_percent,
            net=session.charge.net,
            tax=session.charge.tax,
            gross=session.charge.gross,
        )
        for position, session in enumerate(sessions, start=1)
    )
    events.publish("invoice.issued", None, _invoice_event(invoice), live=False)  # webhooks
    return invoice


def _invoice_event(invoice: Invoice) -> dict:
    return {
        "invoice": invoice.pk,
        "number": invoice.number,
        "currency": invoice.currency,
        "gross": str(invoice.gross),
        "issued_at": invoice.issued_at.isoformat(),
    }


def _uninvoiced(sessions):
    """Sessions with no line on an invoice that is still in force."""
    return sessions.exclude(
        invoice_lines__invoice__kind=Invoice.Kind.INVOICE,
        invoice_lines__invoice__credit_note__isnull=True,
    )


def invoice_issue_monthly(*, year: int, month: int, now: datetime | None = None) -> list[Invoice]:
    """One invoice per driver and currency for the month's ended sessions; idempotent.

    Sessions count in the month they ended, in the operator's accounting time zone.
    Unpriced sessions are priced first; sessions of tokens without an owner and
    sessions already invoiced are left out, so a repeated run issues nothing new.
    """
    now = now or timezone.now()
    profile = operator_profile_ready()
    period = month_days(year, month)
    start, end = days_bounds(*period, profile.timezone)
    ended = ChargingSession.objects.filter(
        state=ChargingSession.State.ENDED, ended_at__gte=start, ended_at__lt=end
    )
    book = TariffBook()
    for session in ended.filter(charge__isnull=True).select_related("station"):
        session_price(session, now=now, book=book)
    with transaction.atomic():
        _lock_numbers(now, profile)  # before choosing sessions: see the module docstring
        groups = defaultdict(list)
        billable = (
            _uninvoiced(ended.filter(charge__isnull=False, id_token__owner__isnull=False))
            .select_related("id_token__owner", "station__site", "connector", "charge")
            .order_by("ended_at", "pk")
        )
        for session in billable:
            groups[(session.id_token.owner, session.charge.currency)].append(session)
        return [
            _issue(customer=owner, sessions=sessions, period=period, now=now, profile=profile)
            for (owner, _), sessions in sorted(groups.items(), key=lambda g: (g[0][0].pk, g[0][1]))
        ]


@transaction.atomic
def invoice_issue_for_session(*, session: ChargingSession, now: datetime | None = None) -> Invoice:
    """An invoice for one ended session, on demand (the token's owner, if any, is the customer)."""
    now = now or timezone.now()
    profile = operator_profile_ready()
    _lock_numbers(now, profile)
    session = ChargingSession.objects.select_related("station", "connector", "id_token__owner").get(
        pk=session.pk
    )
    if session.state != ChargingSession.State.ENDED:
        raise InvoiceError("The session has not ended yet.")
    if session_is_invoiced(session):
        raise InvoiceError("The session is already invoiced.")
    if not SessionCharge.objects.filter(session=session).exists():
        session_price(session, now=now)
    session = ChargingSession.objects.select_related(
        "station__site", "connector", "id_token__owner", "charge"
    ).get(pk=session.pk)
    if not hasattr(session, "charge"):
        raise InvoiceError("No tariff prices this session.")
    day = local_date(session.ended_at, profile.timezone)
    owner = session.id_token.owner if session.id_token else None
    return _issue(customer=owner, sessions=[session], period=(day, day), now=now, profile=profile)


@transaction.atomic
def credit_note_issue(
    *, invoice: Invoice, reason: str = "", now: datetime | None = None
) -> Invoice:
    """Cancel an invoice in full with a credit note; its sessions may then be invoiced again."""
    now = now or timezone.now()
    profile = operator_profile_ready()
    invoice = Invoice.objects.select_for_update(no_key=True).get(pk=invoice.pk)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise InvoiceError("Only an invoice can be credited.")
    if Invoice.objects.filter(credited_invoice=invoice).exists():
        raise InvoiceError("The invoice has been credited already.")
    year = local_date(now, profile.timezone).year
    sequence, number = invoice_number_take(year=year)
    note = Invoice.objects.create(
        kind=Invoice.Kind.CREDIT_NOTE,
        number=number,
        year=year,
        sequence=sequence,
        issued_at=now,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        customer=invoice.customer,
        customer_name=invoice.customer_name,
        customer_email=invoice.customer_email,
        customer_address=invoice.customer_address,
        language=invoice.language,
        currency=invoice.currency,
        net=-invoice.net,
        tax=-invoice.tax,
        gross=-invoice.gross,
        credited_invoice=invoice,
        reason=reason,
        **_seller_details(profile),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=note,
            position=line.position,
            session_id=line.session_id,
            description=_credit_description(line.description, invoice.language),
            details=line.details,
            tax_rate_percent=line.tax_rate_percent,
            net=-line.net,
            tax=-line.tax,
            gross=-line.gross,
        )
        for line in invoice.lines.all()
    )
    return note


def _credit_description(description: str, language: str) -> str:
    with translation.override(language):
        return _("Credit: %(line)s") % {"line": description}
