"""One error shape for the whole API: {"detail": ..., "errors": {...}}."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        response.data = {"detail": data["detail"], "errors": {}}
    elif isinstance(data, dict):
        detail = data.pop("detail", None) or "Invalid input."
        response.data = {"detail": detail, "errors": data}
    else:
        response.data = {"detail": "Invalid input.", "errors": {"non_field_errors": data}}
    return response
