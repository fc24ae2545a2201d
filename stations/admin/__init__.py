"""The operator's admin: every station model, with status columns, filters and search.

What stations report (status, boot data, sessions, meter samples, the message log) is
read-only here: only `stations.services` writes station state. Operators edit what they
own: sites, station provisioning (site, kind, password, registration) and ID tokens.

Django's autodiscovery imports this package, which registers the model admins of:

- network: sites, charging stations (with connectors and recent sessions), connectors
- tokens: ID tokens
- sessions: charging sessions, meter samples, meter summaries
- log: the OCPP message log, station events
- certificates: the certificates ChargeNet's CA issued to stations
- stations.commands.admin: commands, reservations, charging profiles, local lists, and
  the command actions the admins above offer
- stations.commands.admin_held: what stations hold (monitors, display messages,
  installed certificates, customer-information reports)
- common: what they share (pretty_json, kwh, ReadOnlyAdmin)
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from stations.admin import (  # noqa: F401  (they register)
    certificates,
    log,
    network,
    sessions,
    tokens,
)
from stations.admin.common import ReadOnlyAdmin, kwh, pretty_json
from stations.admin.network import RECENT_SESSIONS
from stations.commands import admin as command_admins  # noqa: F401  (it registers)
from stations.commands import admin_held  # noqa: F401  (it registers)

admin.site.site_header = _("ChargeNet administration")
admin.site.site_title = _("ChargeNet")

__all__ = ["RECENT_SESSIONS", "ReadOnlyAdmin", "kwh", "pretty_json"]
