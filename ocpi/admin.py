"""Operators manage roaming parties here: add one, issue its token A (shown once, with
our versions URL), see its status, its endpoints and the delivery log; publish sites."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ocpi import identity, registration
from ocpi.models import Delivery, Party, SitePublication


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["created_at", "method", "module", "status", "attempts", "last_error"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    ordering = ["-id"]


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "country_code", "party_id", "role", "status", "registered_at"]
    list_filter = ["status"]
    search_fields = ["name", "country_code", "party_id"]
    fields = ["name", "status", "country_code", "party_id", "role", "versions_url", "version"]
    readonly_fields = [
        "status",
        "country_code",
        "party_id",
        "role",
        "versions_url",
        "version",
        "endpoints",
        "roles",
        "registered_at",
    ]
    inlines = [DeliveryInline]
    actions = ["issue_token_a", "unregister"]

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else [*self.fields, "endpoints", "roles", "registered_at"]

    @admin.action(description=_("Issue token A (registration)"))
    def issue_token_a(self, request, queryset) -> None:
        for party in queryset:
            try:
                token = registration.issue_token_a(party)
            except ValueError as exc:
                self.message_user(request, f"{party}: {exc}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(party)s: token A %(token)s — versions URL %(url)s")
                % {"party": party, "token": token, "url": identity.url("ocpi:versions", request)},
                messages.SUCCESS,
            )

    @admin.action(description=_("Unregister (revoke every token)"))
    def unregister(self, request, queryset) -> None:
        for party in queryset:
            registration.unregister(party)
        self.message_user(request, _("Unregistered."), messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "party", "method", "module", "status", "attempts"]
    list_filter = ["status", "module", "party"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SitePublication)
class SitePublicationAdmin(admin.ModelAdmin):
    list_display = ["site", "location_id", "published", "city", "country"]
    list_filter = ["published", "country"]
    search_fields = ["site__name", "location_id", "city"]
