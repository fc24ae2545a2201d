from django.contrib import admin

from webhooks.models import (
    AuditEntry,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["kind", "status", "attempts", "last_status_code", "last_error", "created_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    ordering = ["-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-id")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "active", "consecutive_failures", "disabled_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description", "owner__username"]
    readonly_fields = ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]
    raw_id_fields = ["owner"]
    inlines = [DeliveryInline]


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempt", "status_code", "error", "duration_ms", "created_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["kind", "subscription", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "username", "method", "path", "object_id", "status_code"]
    list_filter = ["method", "status_code"]
    search_fields = ["username", "path", "object_id", "resource"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
