"""`{% open_alarms %}`: the open alarms, newest first, for the dashboard's overview."""

from django import template

from reliability.models import Alarm

register = template.Library()

SHOWN = 10


@register.inclusion_tag("reliability/_open_alarms.html")
def open_alarms() -> dict:
    alarms = Alarm.objects.filter(cleared_at__isnull=True).select_related("station")
    return {"alarms": list(alarms[:SHOWN]), "count": alarms.count()}
