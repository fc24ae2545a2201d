"""What the stations admin modules share: JSON shown readably, kWh, read-only admins."""

import json

from django.contrib import admin
from django.utils.html import format_html


def pretty_json(text_or_value) -> str:
    """Show JSON indented in a <pre>; text that is not JSON is shown as it came."""
    if isinstance(text_or_value, str):
        try:
            text_or_value = json.loads(text_or_value)
        except ValueError:
            return format_html('<pre class="ocpp-payload">{}</pre>', text_or_value)
    pretty = json.dumps(text_or_value, indent=2, ensure_ascii=False, sort_keys=False)
    return format_html('<pre class="ocpp-payload">{}</pre>', pretty)


def kwh(energy_wh: int | None) -> str:
    return "" if energy_wh is None else f"{energy_wh / 1000:.3f} kWh"


class ReadOnlyAdmin(admin.ModelAdmin):
    """For what stations report: viewable and deletable, never added or edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
