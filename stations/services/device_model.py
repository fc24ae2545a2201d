"""A station's device model: the configuration it reports, one row per attribute of a
component variable (OCPP 2.0.1 NotifyReport, NotifyEvent, GetVariables; a 1.6
configuration key is the variable of a component named after the version).

`DEVICE_MODEL_KEY` names one attribute: the fields a station's rows are unique by,
read from DeviceModelVariable's unique constraint so the rule is written once. Reports
are upserts by that key, and when a report names an attribute twice the last value
wins.
"""

from django.db.models import UniqueConstraint
from django.utils import timezone

from stations.models import DeviceModelVariable

(_UNIQUE,) = [c for c in DeviceModelVariable._meta.constraints if isinstance(c, UniqueConstraint)]
#: What names one attribute of a station's device model (besides the station).
DEVICE_MODEL_KEY = tuple(name for name in _UNIQUE.fields if name != "station")
# What a row that leaves a key field out means (the model's defaults).
_KEY_DEFAULTS = {
    name: DeviceModelVariable._meta.get_field(name).get_default() for name in DEVICE_MODEL_KEY
}


# What a report (NotifyReport) says beyond the value: the attribute's flags and the
# variable's characteristics.
REPORTED_FIELDS = (
    "mutability",
    "persistent",
    "constant",
    "data_type",
    "unit",
    "min_limit",
    "max_limit",
    "values_list",
    "supports_monitoring",
)


def device_model_key(fields: dict) -> tuple:
    """The key of a row given as DeviceModelVariable fields."""
    return tuple(fields.get(name, _KEY_DEFAULTS[name]) for name in DEVICE_MODEL_KEY)


def device_model_last_per_key(rows: list[dict]) -> list[dict]:
    """One row per attribute, the last one given (in the order the last ones came)."""
    keyed: dict[tuple, dict] = {}
    for row in rows:
        key = device_model_key(row)
        keyed.pop(key, None)
        keyed[key] = row
    return list(keyed.values())


def device_model_report(*, station_pk: int, variables: list[dict]) -> int:
    """Upsert reported variable attributes; each dict holds DeviceModelVariable fields."""
    now = timezone.now()
    rows = [
        DeviceModelVariable(station_id=station_pk, updated_at=now, **fields)
        for fields in device_model_last_per_key(variables)
    ]
    DeviceModelVariable.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["station", *DEVICE_MODEL_KEY],
        # A row that carries only a value (an event) keeps what a report said.
        update_fields=[
            "value",
            "updated_at",
            *(f for f in REPORTED_FIELDS if all(f in v for v in variables)),
        ],
    )
    return len(rows)
