from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "Stations"

    def ready(self) -> None:
        from stations import events  # needs the models: imported once they are ready
        from stations.commands.tracked import tracked_settle

        # A reservation or profile sent without waiting takes its command's outcome.
        events.subscribe("command.finished", tracked_settle)
