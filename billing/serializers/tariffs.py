"""REST API v1: tariffs with their time-of-use prices, power tiers and assignments."""

from django.db import transaction
from rest_framework import serializers

from billing.models import PowerTierPrice, Tariff, TariffAssignment, TimeOfUsePrice
from billing.pricing import is_currency
from stations.models import ChargingStation, Connector, Site

# --- tariffs -----------------------------------------------------------------------


class TimeOfUseSerializer(serializers.ModelSerializer):
    """Prices in force on some weekdays between two local times (the site's time zone)."""

    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text="Weekdays it applies to: 0 is Monday, 6 is Sunday.",
    )

    class Meta:
        model = TimeOfUsePrice
        fields = [
            "label",
            "weekdays",
            "start_time",
            "end_time",
            "energy_price_per_kwh",
            "time_price_per_hour",
            "position",
        ]
        extra_kwargs = {
            "label": {"help_text": "Name shown on price lines, e.g. Peak."},
            "start_time": {"help_text": "Local time it starts, HH:MM."},
            "end_time": {
                "help_text": "Local time it ends (exclusive); at or before start_time it runs "
                "past midnight into the next day."
            },
            "energy_price_per_kwh": {
                "help_text": "Net price per kWh meanwhile; null keeps the tariff's price."
            },
            "time_price_per_hour": {
                "help_text": "Net price per hour of charging time meanwhile; null keeps the "
                "tariff's price."
            },
            "position": {"help_text": "Where rules overlap, the lowest position wins."},
        }

    def to_representation(self, instance: TimeOfUsePrice) -> dict:
        data = super().to_representation(instance)
        data["weekdays"] = sorted(int(day) for day in instance.weekdays)
        return data

    def to_internal_value(self, data) -> dict:
        values = super().to_internal_value(data)
        values["weekdays"] = "".join(str(day) for day in sorted(set(values["weekdays"])))
        return values


class PowerTierSerializer(serializers.ModelSerializer):
    """E-bike piles: an hourly price by the session's sustained peak power."""

    class Meta:
        model = PowerTierPrice
        fields = ["up_to_w", "price_per_hour"]
        extra_kwargs = {
            "up_to_w": {"help_text": "Upper bound of the tier in W; null for the top tier."},
            "price_per_hour": {"help_text": "Net price per hour for sessions in this tier."},
        }


class AssignmentSerializer(serializers.Serializer):
    """Where the tariff applies: a site, a station, or one connector of a station."""

    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(), required=False, allow_null=True, help_text="A site's id."
    )
    station = serializers.SlugRelatedField(
        slug_field="station_id",
        queryset=ChargingStation.objects.all(),
        required=False,
        allow_null=True,
        help_text="A station's id (with connector: the station of that connector).",
    )
    connector = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="A connector number on `station`: the tariff applies to that plug only.",
    )

    def to_representation(self, assignment: TariffAssignment) -> dict:
        connector = assignment.connector
        station = connector.station if connector else assignment.station
        return {
            "site": assignment.site_id,
            "station": station.station_id if station else None,
            "connector": connector.connector_id if connector else None,
        }

    def validate(self, data: dict) -> dict:
        site, station, number = data.get("site"), data.get("station"), data.get("connector")
        if number is not None and station is None:
            raise serializers.ValidationError("A connector needs its station.")
        if (site is None) == (station is None):
            raise serializers.ValidationError("Give either a site or a station.")
        target = {"site": site} if site else {"station": station}
        if number is not None:
            connector = Connector.objects.filter(station=station, connector_id=number).first()
            if connector is None:
                raise serializers.ValidationError("The station has no such connector.")
            target = {"connector": connector}
        return target


class TariffSerializer(serializers.ModelSerializer):
    """A tariff with its time-of-use prices, power tiers and where it applies."""

    time_of_use = TimeOfUseSerializer(
        many=True, required=False, help_text="Time-of-use prices; replaced as a whole on write."
    )
    power_tiers = PowerTierSerializer(
        many=True, required=False, help_text="Power tiers; replaced as a whole on write."
    )
    currency = serializers.CharField(
        max_length=3, help_text="ISO 4217 currency code of every price, e.g. EUR."
    )
    assignments = AssignmentSerializer(
        many=True,
        required=False,
        help_text="Sites, stations and connectors it prices (the most specific tariff wins); "
        "replaced as a whole on write.",
    )

    class Meta:
        model = Tariff
        fields = [
            "id",
            "name",
            "description",
            "currency",
            "tax_rate_percent",
            "is_default",
            "energy_price_per_kwh",
            "time_price_per_hour",
            "time_block_minutes",
            "session_fee",
            "idle_price_per_minute",
            "idle_grace_minutes",
            "idle_fee_cap",
            "tier_sustain_seconds",
            "prepaid_block_price",
            "minimum_price",
            "maximum_price",
            "time_of_use",
            "power_tiers",
            "assignments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "id": {"help_text": "ChargeNet's id of the tariff."},
            "name": {"help_text": "Unique name, shown on invoices."},
            "description": {"help_text": "Free text for operators and drivers."},
            "tax_rate_percent": {"help_text": "Tax (VAT) added to the net prices, in %."},
            "is_default": {
                "help_text": "Prices sessions no assignment covers; at most one tariff."
            },
            "energy_price_per_kwh": {"help_text": "Net price per kWh; 0 for none."},
            "time_price_per_hour": {
                "help_text": "Net price per hour of charging time (the session's duration)."
            },
            "time_block_minutes": {
                "help_text": "Charging time is counted in started blocks of this many minutes: "
                "1 (prorated by the minute), 15, 30 or 60."
            },
            "session_fee": {"help_text": "Net fee per session (at the start)."},
            "idle_price_per_minute": {
                "help_text": "Net fee per started minute the car draws no power (SuspendedEV, "
                "Finishing) beyond the grace period."
            },
            "idle_grace_minutes": {"help_text": "Idle minutes that are free."},
            "idle_fee_cap": {"help_text": "Largest idle fee per session; null for no cap."},
            "tier_sustain_seconds": {
                "help_text": "Power tiers: a peak counts only when held this many seconds."
            },
            "prepaid_block_price": {
                "help_text": "Power tiers: sell time as prepaid blocks of this price (a block "
                "lasts price / tier price per hour); the session is stopped when it runs out."
            },
            "minimum_price": {"help_text": "Lowest net price of a session; null for none."},
            "maximum_price": {"help_text": "Highest net price of a session; null for none."},
            "created_at": {"help_text": "When the tariff was created."},
            "updated_at": {"help_text": "When the tariff was last changed."},
        }

    def validate_currency(self, value: str) -> str:
        value = value.upper()
        if not is_currency(value):
            raise serializers.ValidationError(f"{value} is not an ISO 4217 currency code.")
        return value

    def validate(self, data: dict) -> dict:
        def current(name):
            return data.get(name, getattr(self.instance, name, None))

        minimum, maximum = current("minimum_price"), current("maximum_price")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise serializers.ValidationError({"maximum_price": ["Below the minimum price."]})
        if data.get("is_default"):
            others = Tariff.objects.filter(is_default=True)
            if self.instance:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise serializers.ValidationError({"is_default": ["Another tariff is default."]})
        self._check_tiers(data.get("power_tiers"))
        self._check_assignments(data.get("assignments"))
        return data

    def _check_tiers(self, tiers: list[dict] | None) -> None:
        bounds = [tier.get("up_to_w") for tier in tiers or []]
        if len(bounds) != len(set(bounds)):
            raise serializers.ValidationError({"power_tiers": ["Each tier needs its own bound."]})

    def _check_assignments(self, assignments: list[dict] | None) -> None:
        for target in assignments or []:
            taken = TariffAssignment.objects.filter(**target)
            if self.instance:
                taken = taken.exclude(tariff=self.instance)
            if taken.exists():
                name = next(iter(target.values()))
                raise serializers.ValidationError(
                    {"assignments": [f"{name} already has another tariff."]}
                )

    @transaction.atomic
    def create(self, validated_data: dict) -> Tariff:
        nested = self._pop_nested(validated_data)
        tariff = Tariff.objects.create(**validated_data)
        self._write_nested(tariff, nested)
        return tariff

    @transaction.atomic
    def update(self, instance: Tariff, validated_data: dict) -> Tariff:
        nested = self._pop_nested(validated_data)
        tariff = super().update(instance, validated_data)
        self._write_nested(tariff, nested)
        return tariff

    @staticmethod
    def _pop_nested(data: dict) -> dict:
        return {
            name: data.pop(name)
            for name in ("time_of_use", "power_tiers", "assignments")
            if name in data
        }

    @staticmethod
    def _write_nested(tariff: Tariff, nested: dict) -> None:
        models = {
            "time_of_use": TimeOfUsePrice,
            "power_tiers": PowerTierPrice,
            "assignments": TariffAssignment,
        }
        for name, rows in nested.items():
            models[name].objects.filter(tariff=tariff).delete()
            models[name].objects.bulk_create(models[name](tariff=tariff, **row) for row in rows)
        tariff.refresh_from_db()
