"""The OpenAPI description of POST /api/v1/stations/<id>/commands/, from params.py.

The request body is one of `<Action>Command` ({action, params: <Action>Params,
timeout}), selected by `action` (a discriminator). Each `<Action>Params` is the
serializer the command service checks that action's parameters with, and carries its
`example`; the operation lists the same examples by action name. The hook
`command_components` (SPECTACULAR_SETTINGS' POSTPROCESSING_HOOKS) gives the components
their plain names (no `Request` suffix: they only describe requests), pins each
command's `action` to its one value and adds the examples to the components.
"""

from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer
from rest_framework import serializers

from stations.commands.params import PARAMS, Params
from stations.ocpp import action_versions

TIMEOUT_HELP = (
    "Seconds to wait for the station's answer (default OCPP_COMMAND_TIMEOUT, 30); the "
    "request waits that long at most."
)


def _name(params_class: type[Params]) -> str:
    return params_class.__name__.removesuffix("Params")


def _command_serializer(action: str, params_class: type[Params]) -> type:
    required = any(field.required for field in params_class().fields.values())
    attrs = {
        "__module__": __name__,
        "__doc__": f"The `{action}` command: its parameters and how long to wait.",
        "action": serializers.CharField(help_text=f"`{action}`."),
        "params": params_class(
            required=required,
            help_text=f"The parameters of {action}, the same for every OCPP version.",
        ),
        "timeout": serializers.FloatField(
            required=False, min_value=1, max_value=300, help_text=TIMEOUT_HELP
        ),
    }
    return type(f"{_name(params_class)}Command", (serializers.Serializer,), attrs)


COMMAND_REQUEST = PolymorphicProxySerializer(
    component_name="CommandCreate",
    serializers={action: _command_serializer(action, cls) for action, cls in PARAMS.items()},
    resource_type_field_name="action",
)

COMMAND_EXAMPLES = [
    OpenApiExample(
        action,
        value={"action": action, "params": params_class.example},
        request_only=True,
    )
    for action, params_class in PARAMS.items()
]


REF = "#/components/schemas/"


def _rename_refs(node, renames: dict) -> None:
    """Point every `$ref` (and discriminator mapping) at the renamed components."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        if isinstance(value, str) and value in renames:
            node[key] = renames[value]
        elif isinstance(value, dict | list):
            _rename_refs(value, renames)


def command_components(result: dict, generator=None, request=None, public=None) -> dict:
    """Plain component names, `action` pinned, an example on each params component."""
    renames = {"CommandCreateRequest": "CommandCreate"}
    for params_class in PARAMS.values():
        for kind in ("Params", "Command"):
            renames[f"{_name(params_class)}{kind}Request"] = f"{_name(params_class)}{kind}"
    _rename_refs(result, {f"{REF}{old}": f"{REF}{new}" for old, new in renames.items()})
    schemas = result.get("components", {}).get("schemas", {})
    for old, new in renames.items():
        if old in schemas:
            schemas[new] = schemas.pop(old)
    for action, params_class in PARAMS.items():
        name = _name(params_class)
        command = schemas[f"{name}Command"]
        command["properties"]["action"]["enum"] = [action]
        # A serializer without fields has no component of its own: an empty object.
        component = schemas.setdefault(f"{name}Params", {"type": "object", "properties": {}})
        command["properties"]["params"] = {
            "allOf": [{"$ref": f"{REF}{name}Params"}],
            "description": f"The parameters of {action}, the same for every OCPP version.",
        }
        properties = component.setdefault("properties", {})
        for alias, target in params_class.aliases.items():
            properties[alias] = {**properties[target], "description": f"Same as `{target}`."}
        component["additionalProperties"] = False
        versions = ", ".join(action_versions(action))
        component["description"] = (
            f"The parameters of `{action}`, the same for every OCPP version; stations "
            f"of OCPP {versions} take it. Any other parameter is refused (400)."
        )
        component["example"] = params_class.example
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
