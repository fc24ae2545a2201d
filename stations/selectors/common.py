"""What every operator page shares: connector statuses, site time zones, display values.

Energy stays integer Wh and power W; the `*_kwh` / `*_kw` values added here are for
display only. Times stay aware UTC; rows carry their site's time zone as `tz`.
"""

import datetime as dt
import zoneinfo

from django.db.models import CharField, F, FloatField, QuerySet, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_noop

from stations.models import ChargingSession

# OCPP 1.6 connector statuses, in the order an operator reads them (docs/api.md: 2.0.1
# states map onto these). gettext_noop: templates translate them with {% translate %}.
CONNECTOR_STATUSES = (
    gettext_noop("Available"),
    gettext_noop("Preparing"),
    gettext_noop("Charging"),
    gettext_noop("SuspendedEV"),
    gettext_noop("SuspendedEVSE"),
    gettext_noop("Finishing"),
    gettext_noop("Reserved"),
    gettext_noop("Unavailable"),
    gettext_noop("Faulted"),
)
ONLINE, OFFLINE = "online", "offline"
DEFAULT_ZONE = "UTC"
ACTIVE = ChargingSession.State.ACTIVE


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The site's time zone; UTC for a missing or unknown name."""
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def local_midnight(now: dt.datetime, zone_name: str) -> dt.datetime:
    """Today's midnight in the zone, as an aware datetime."""
    local = now.astimezone(zone(zone_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def site_tz():
    return Coalesce(F("site__timezone"), Value(DEFAULT_ZONE), output_field=CharField())


def session_tz():
    return Coalesce(F("station__site__timezone"), Value(DEFAULT_ZONE), output_field=CharField())


def kilo(field_name: str):
    return Cast(F(field_name), FloatField()) / 1000.0


def with_display(sessions: QuerySet[ChargingSession]) -> QuerySet[ChargingSession]:
    """Sessions with their site's time zone and energy and power in kWh / kW."""
    return sessions.annotate(
        tz=session_tz(), energy_kwh=kilo("energy_wh"), power_kw=kilo("power_w")
    )
