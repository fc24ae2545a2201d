from django.apps import AppConfig


class OcpiConfig(AppConfig):
    name = "ocpi"
    verbose_name = "OCPI roaming"

    def ready(self) -> None:
        from ocpi import hooks  # needs the models: imported once they are ready

        hooks.subscribe()
