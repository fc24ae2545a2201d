"""The kinds of parameter a command takes, as serializer fields (see params.py).

Each field checks the type of one parameter the way the builders
(stations/ocpp/requests*.py) read it: integers may come as digit strings, a list
parameter may be one value, booleans may be "true"/"false". What a value must be for
the station's OCPP version (an enum's members, a key's syntax) the builders check.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from stations.ocpp.requests import snake_name

REQUIRED = "This parameter is required."


def values_text(values) -> str:
    """An enum's members as callers may write them (snake_case)."""
    return ", ".join(snake_name(v) for v in values)


def _messages(**extra) -> dict:
    return {"required": REQUIRED, "null": REQUIRED, **extra}


def integer(help_text: str, *, required: bool = False, min_value: int | None = None):
    return serializers.IntegerField(
        help_text=help_text,
        required=required,
        allow_null=not required,
        min_value=min_value,
        error_messages=_messages(invalid="Must be an integer.", max_string_length="Too long."),
    )


def text(help_text: str, *, required: bool = False, max_length: int | None = None):
    return serializers.CharField(
        help_text=help_text,
        required=required,
        allow_null=not required,
        allow_blank=not required,
        trim_whitespace=False,
        max_length=max_length,
        error_messages=_messages(invalid="Must be a string.", blank=REQUIRED),
    )


def moment(help_text: str, *, required: bool = False):
    return serializers.DateTimeField(
        help_text=f"{help_text} ISO 8601 with an offset, e.g. 2030-01-01T12:00:00Z.",
        required=required,
        allow_null=not required,
        error_messages=_messages(invalid="Must be an ISO 8601 date-time (e.g. ...T12:00:00Z)."),
    )


def boolean(help_text: str):
    return serializers.BooleanField(
        help_text=help_text,
        required=False,
        allow_null=True,
        default=None,
        error_messages=_messages(invalid="Must be true or false."),
    )


def choice(help_text: str, values, *, required: bool = False):
    """A spec enum: its members in the spec's spelling or snake_case (listed in the help)."""
    return text(f"{help_text} One of: {values_text(values)}.", required=required)


def obj(help_text: str, *, required: bool = False):
    return serializers.DictField(
        help_text=help_text,
        required=required,
        allow_null=not required,
        error_messages=_messages(not_a_dict="Must be an object."),
    )


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]})
class ScalarField(serializers.Field):
    """A string, number or boolean, kept as given (a value sent as text)."""

    default_error_messages = {"invalid": "Must be a string, number or boolean."}

    def to_internal_value(self, data):
        if isinstance(data, dict | list):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


def scalar(help_text: str, *, required: bool = False):
    return ScalarField(
        help_text=help_text, required=required, allow_null=not required, error_messages=_messages()
    )


@extend_schema_field({})
class AnyField(serializers.Field):
    """Any JSON value: an object, a list, a string, ... (the help says which)."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


def anything(help_text: str, *, required: bool = False):
    return AnyField(
        help_text=help_text, required=required, allow_null=not required, error_messages=_messages()
    )


class OneOrManyField(serializers.ListField):
    """A list; one value stands for a list of one (as the builders read it)."""

    def to_internal_value(self, data):
        if not isinstance(data, list | tuple):
            data = [data]
        return super().to_internal_value(data)


def many(help_text: str, child: serializers.Field, *, required: bool = False):
    return OneOrManyField(
        child=child,
        help_text=f"{help_text} One value counts as a list of one.",
        required=required,
        allow_null=not required,
        allow_empty=not required,
        error_messages=_messages(empty=REQUIRED),
    )


def objects(help_text: str, *, required: bool = False):
    return serializers.ListField(
        child=serializers.DictField(error_messages={"not_a_dict": "Must be an object."}),
        help_text=help_text,
        required=required,
        allow_null=not required,
        allow_empty=not required,
        error_messages=_messages(not_a_list="Must be a list of objects.", empty=REQUIRED),
    )


def key_or_object(*, required: bool = False):
    """A component/variable: a key (text) or an object with the device model's names."""
    return anything(
        "`Component[/instance].Variable[/instance]` (or a standard 1.6 key), or "
        '{"component", "component_instance", "evse_id", "connector_id", "variable", '
        '"variable_instance"}.',
        required=required,
    )


def flat_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as {"schedule.periods.1.limit": [...]}, like the services'."""
    if isinstance(errors, dict):
        flat = {}
        for key, value in errors.items():
            flat.update(flat_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        flat = {}
        for number, item in enumerate(errors):
            if item:
                flat.update(flat_errors(item, f"{prefix}.{number}"))
        return flat
    return {prefix: [str(message) for message in errors]}


class Params(serializers.Serializer):
    """One action's parameters: the names, their types and an example.

    `aliases` maps other accepted names to the documented one (`id_tag` for
    `id_token`); `example` is a parameter set the API accepts.
    """

    aliases: dict[str, str] = {}
    example: dict = {}
