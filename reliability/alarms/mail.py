"""Alarm e-mails to operators: ALARM_EMAILS if set, else every active staff user with
an e-mail address."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from reliability.models import Alarm


def recipients() -> list[str]:
    configured = [a for a in getattr(settings, "ALARM_EMAILS", []) if a]
    if configured:
        return configured
    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def alarm_mail(alarm: Alarm, kind: str) -> int:
    """Send one e-mail about the alarm being raised or cleared; the number sent."""
    to = recipients()
    if not to:
        return 0
    where = alarm.station.station_id + (f" / {alarm.connector_id}" if alarm.connector_id else "")
    if kind == "alarm.raised":
        subject = _("Alarm: %(what)s at %(where)s") % {
            "what": alarm.get_kind_display(),
            "where": where,
        }
        when = alarm.raised_at
    else:
        subject = _("Cleared: %(what)s at %(where)s") % {
            "what": alarm.get_kind_display(),
            "where": where,
        }
        when = alarm.cleared_at
    body = "\n".join(
        [
            subject,
            "",
            alarm.detail,
            "",
            _("At %(when)s UTC.") % {"when": f"{when:%Y-%m-%d %H:%M:%S}"},
        ]
    )
    return send_mail(subject, body, None, to)
