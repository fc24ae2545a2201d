from django.apps import AppConfig


class ChargeNetConfig(AppConfig):
    name = "chargenet"
    verbose_name = "ChargeNet"

    def ready(self) -> None:
        from chargenet import checks  # noqa: F401 - registers the system checks
