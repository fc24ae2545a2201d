from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing import hooks  # needs the models: imported once they are ready

        hooks.subscribe()
