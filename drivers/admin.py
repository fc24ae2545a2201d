"""Admin for drivers' balance entries, card requests and their details for invoices."""

from django.contrib import admin

from billing.balances import BalanceEntryAdmin
from drivers.cards import CardRequestAdmin
from drivers.models import DriverProfile


@admin.register(DriverProfile)
class DriverProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "full_name", "city", "country", "language", "timezone"]
    list_filter = ["language"]
    search_fields = ["user__username", "full_name", "company", "city"]
    raw_id_fields = ["user"]


__all__ = ["BalanceEntryAdmin", "CardRequestAdmin", "DriverProfileAdmin"]
