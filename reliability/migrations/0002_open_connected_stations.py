"""Stations connected when reliability starts keeping connectivity get an open period."""

from django.db import migrations
from django.utils import timezone


def open_periods(apps, schema_editor):
    Station = apps.get_model("stations", "ChargingStation")
    Period = apps.get_model("reliability", "ConnectivityPeriod")
    now = timezone.now()
    Period.objects.bulk_create(
        Period(station_id=pk, started_at=seen or now)
        for pk, seen in Station.objects.filter(connected=True).values_list("pk", "last_seen")
    )


class Migration(migrations.Migration):
    dependencies = [("reliability", "0001_initial")]

    operations = [migrations.RunPython(open_periods, migrations.RunPython.noop)]
