"""`manage.py demo_data`: load the demo network and print its logins; safe to run again."""

import os

from django.core.management.base import BaseCommand

from demo.loader import DemoLogin, DemoNetwork, demo_logins_path, demo_network_load
from demo.network import DEMO_STATION_PASSWORD


class Command(BaseCommand):
    help = "Create the demo site, stations, ID tokens and logins (only what is missing)."

    def handle(self, *args, **options) -> None:
        network = demo_network_load()
        base_url = f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}"
        self.stdout.write(self.summary(network))
        self.stdout.write(self.boxed(network.logins, base_url))

    def summary(self, network: DemoNetwork) -> str:
        stations = ", ".join(station.station_id for station in network.stations)
        return (
            f"Demo network at {network.site.name}: {stations} "
            f"(station password {DEMO_STATION_PASSWORD}); "
            f"ID tokens {', '.join(token.value for token in network.tokens)}."
        )

    def boxed(self, logins: list[DemoLogin], base_url: str) -> str:
        lines = ["ChargeNet demo logins", ""]
        for login in logins:
            password = login.password or "(changed since the demo set it; not shown)"
            lines += [
                f"{login.role.capitalize():<9} {base_url}{login.path}",
                f"  user      {login.username}",
                f"  password  {password}",
                "",
            ]
        lines.append(f"(kept in {demo_logins_path()})")
        width = max(len(line) for line in lines)
        rule = "+" + "-" * (width + 2) + "+"
        body = [f"| {line:<{width}} |" for line in lines]
        return "\n".join(["", rule, *body, rule, ""])
