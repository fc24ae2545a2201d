"""Admin for ID tokens: operators edit them, and stations' local lists follow."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from stations.commands.admin import tokens_changed
from stations.models import IdToken
from stations.services.authorization import id_tokens_status_set


@admin.register(IdToken)
class IdTokenAdmin(admin.ModelAdmin):
    list_display = ["value", "type", "status", "expires_at", "owner", "parent", "label"]
    list_filter = ["status", "type"]
    list_select_related = ["owner", "parent"]
    search_fields = ["value", "label", "owner__username", "owner__email"]
    autocomplete_fields = ["owner", "parent"]
    actions = ["accept_tokens", "block_tokens"]

    @admin.action(description=_("Accept selected ID tokens"))
    def accept_tokens(self, request, queryset) -> None:
        self._set_status(request, queryset, IdToken.Status.ACCEPTED)

    @admin.action(description=_("Block selected ID tokens"))
    def block_tokens(self, request, queryset) -> None:
        self._set_status(request, queryset, IdToken.Status.BLOCKED)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        tokens_changed()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        tokens_changed()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        tokens_changed()

    def _set_status(self, request, queryset, status) -> None:
        count = id_tokens_status_set(
            token_pks=list(queryset.values_list("pk", flat=True)), status=status
        )
        tokens_changed()  # stations' local lists follow at the next differential sync
        message = ngettext(
            "%(count)d ID token is now %(status)s.",
            "%(count)d ID tokens are now %(status)s.",
            count,
        ) % {"count": count, "status": status.label}
        self.message_user(request, message, messages.SUCCESS)
