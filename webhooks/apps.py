from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    label = "webhooks"
    verbose_name = "Webhooks and API audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported once the models are ready; stations never import webhooks.
        from stations import events
        from webhooks import dispatch
        from webhooks.models import SUBSCRIBABLE_KINDS

        dispatch.connect_signals()
        for kind in SUBSCRIBABLE_KINDS:  # after the commit: deliver only what happened
            events.subscribe(kind, dispatch.event_published)
