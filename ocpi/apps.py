from django.apps import AppConfig


class OcpiConfig(AppConfig):
    name = "ocpi"
    verbose_name = "OCPI roaming"

    def ready(self) -> None:
        # Imported once the models are ready; the station core never imports ocpi.
        from ocpi import hooks, tokens
        from stations.services.authorization import external_authorizer_register

        hooks.subscribe()
        external_authorizer_register(tokens.authorize)
