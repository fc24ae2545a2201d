"""Audit of API writes: who changed what, when, and how it ended.

AuditMiddleware records every POST, PUT, PATCH and DELETE under /api/ once answered
(refused ones too: a 401 or 403 is worth knowing). Operators read the log in the admin
and at GET /api/v1/audit-log/. Recording never fails the request.
"""

import logging

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from api.errors import error_responses
from api.permissions import IsOperator
from webhooks.models import AuditEntry
from webhooks.serializers import AuditEntrySerializer

logger = logging.getLogger(__name__)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
API_PREFIX = "/api/"
ID_KWARGS = ("pk", "id", "station_id", "value", "number")


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in WRITE_METHODS and request.path.startswith(API_PREFIX):
            record(request, response)
        return response


def record(request, response) -> AuditEntry | None:
    try:
        user = getattr(request, "user", None)
        authenticated = bool(user and user.is_authenticated)
        match = getattr(request, "resolver_match", None)
        return AuditEntry.objects.create(
            user=user if authenticated else None,
            username=user.get_username() if authenticated else "",
            method=request.method,
            path=request.path[:500],
            resource=(match.url_name or "")[:100] if match else "",
            object_id=_object_id(match, response)[:255],
            status_code=response.status_code,
            remote_addr=request.META.get("REMOTE_ADDR") or None,
        )
    except Exception:  # noqa: BLE001 - see module docstring
        logger.warning("Could not record the audit entry", exc_info=True)
        return None


def _object_id(match, response) -> str:
    kwargs = match.kwargs if match else {}
    for name in ID_KWARGS:
        if kwargs.get(name) not in (None, ""):
            return str(kwargs[name])
    data = getattr(response, "data", None)
    if isinstance(data, dict) and 200 <= response.status_code < 300:
        for name in ("id", "station_id", "value", "number"):
            if data.get(name) not in (None, ""):
                return str(data[name])
    return ""


@extend_schema_view(
    list=extend_schema(
        summary="The audit log of API writes",
        description="Newest first. Filter by `username`, `method`, `status_code`, "
        "`object_id`, `resource`.",
        responses={200: AuditEntrySerializer(many=True), **error_responses(401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read an audit entry",
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="The entry's id.")
        ],
        responses={200: AuditEntrySerializer, **error_responses(401, 403, 404)},
    ),
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = AuditEntry.objects.order_by("-id")
    serializer_class = AuditEntrySerializer
    permission_classes = [IsOperator]
    filterset_fields = ["username", "method", "status_code", "object_id", "resource"]
    ordering_fields = ["id", "created_at"]
