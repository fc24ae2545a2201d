from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    label = "webhooks"
    verbose_name = "Webhooks and API audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from webhooks import dispatch

        dispatch.connect_signals()
