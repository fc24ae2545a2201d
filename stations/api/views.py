"""REST API v1 views: stations, sessions, ID tokens (operators only).

Views stay thin: querysets, serializers, filters and permissions. What a write means
lives in the serializers (registration) and in stations.services (everything a
station reports).
"""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.errors import error_responses
from api.permissions import IsOperator
from stations.api.bulk import (
    StationBulkErrorSerializer,
    StationBulkRowSerializer,
    register_stations,
)
from stations.api.filters import IdTokenFilter, SessionFilter, StationFilter
from stations.api.serializers import (
    IdTokenSerializer,
    IdTokenUpdateSerializer,
    SessionSerializer,
    StationSerializer,
    StationUpdateSerializer,
)
from stations.models import ChargingSession, ChargingStation, Connector, IdToken
from stations.provisioning.bulk import MAX_ROWS
from stations.services import authorization, local_lists

# Station ids and token values may hold spaces, '+', '*', '.' or any UTF-8 text, so
# the URL segment is anything but a slash (clients percent-encode it).
ANY_SEGMENT = r"[^/]+"

STATION_ID_PARAMETER = OpenApiParameter(
    "station_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The station id, percent-encoded (e.g. `RDAM%20123`, `A%2BB%2AC`).",
)
TOKEN_VALUE_PARAMETER = OpenApiParameter(
    "value",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The token value, percent-encoded.",
)
SESSION_ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The session's id."
)


class OperatorAPIMixin:
    """Operators only (staff); token authentication first, from settings."""

    permission_classes = [IsOperator]


@extend_schema_view(
    list=extend_schema(
        summary="List stations",
        responses={200: StationSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read a station",
        parameters=[STATION_ID_PARAMETER],
        responses={200: StationSerializer, **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Register a station",
        responses={201: StationSerializer, **error_responses(400, 401, 403)},
    ),
    partial_update=extend_schema(
        summary="Edit a station",
        parameters=[STATION_ID_PARAMETER],
        request=StationUpdateSerializer,
        responses={200: StationSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class StationViewSet(
    OperatorAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Charging stations, looked up by their station id."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_field = "station_id"
    lookup_value_regex = ANY_SEGMENT
    filterset_class = StationFilter
    filter_backends = [
        *viewsets.GenericViewSet.filter_backends,
        filters.SearchFilter,
    ]
    search_fields = ["station_id", "vendor", "model", "serial_number", "site__name"]
    ordering_fields = ["station_id", "last_seen", "created_at"]
    ordering = ["station_id"]

    def get_queryset(self) -> QuerySet[ChargingStation]:
        return ChargingStation.objects.select_related("site").prefetch_related(
            Prefetch("connectors", queryset=Connector.objects.order_by("connector_id"))
        )

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "partial_update":
            return StationUpdateSerializer
        return StationSerializer

    @extend_schema(
        summary="Register many stations",
        description="Register up to "
        f"{MAX_ROWS} stations in one call, all or nothing: the body is a list of "
        "what `POST /stations/` takes. Any bad row (an invalid field, an id twice in the "
        "list or already registered) answers 400 with `errors` mapping each bad row's "
        "index to its field errors, and registers nothing. Counts as one request "
        "against the rate limit.",
        request=StationBulkRowSerializer(many=True),
        responses={
            201: StationSerializer(many=True),
            400: OpenApiResponse(
                StationBulkErrorSerializer,
                description="Invalid rows; `errors` maps row indexes to field errors.",
            ),
            **error_responses(401, 403),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk",
        filter_backends=[],
        pagination_class=None,
        parser_classes=[JSONParser],
    )
    def bulk(self, request: Request) -> Response:
        stations = register_stations(request.data)
        data = StationSerializer(stations, many=True, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List charging sessions",
        responses={200: SessionSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read a charging session",
        parameters=[SESSION_ID_PARAMETER],
        responses={200: SessionSerializer, **error_responses(401, 403, 404)},
    ),
)
class SessionViewSet(OperatorAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Charging sessions, newest first; written only by stations through OCPP."""

    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["started_at", "ended_at", "energy_wh"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self) -> QuerySet[ChargingSession]:
        return ChargingSession.objects.select_related("station", "connector", "charge")


@extend_schema_view(
    list=extend_schema(
        summary="List ID tokens",
        responses={200: IdTokenSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read an ID token",
        parameters=[TOKEN_VALUE_PARAMETER],
        responses={200: IdTokenSerializer, **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Create an ID token",
        responses={201: IdTokenSerializer, **error_responses(400, 401, 403)},
    ),
    partial_update=extend_schema(
        summary="Edit an ID token",
        parameters=[TOKEN_VALUE_PARAMETER],
        request=IdTokenUpdateSerializer,
        responses={200: IdTokenSerializer, **error_responses(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete an ID token",
        description="Sessions keep the value they were started with; child tokens lose "
        "their parent.",
        parameters=[TOKEN_VALUE_PARAMETER],
        responses={204: None, **error_responses(401, 403, 404)},
    ),
)
class IdTokenViewSet(OperatorAPIMixin, viewsets.ModelViewSet):
    """ID tokens (RFID cards, app tokens, ...), looked up by their value."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_field = "value"
    lookup_value_regex = ANY_SEGMENT
    filterset_class = IdTokenFilter
    filter_backends = [
        *viewsets.ModelViewSet.filter_backends,
        filters.SearchFilter,
    ]
    search_fields = ["value", "label"]
    ordering_fields = ["value", "created_at", "expires_at"]
    ordering = ["value"]

    def get_queryset(self) -> QuerySet[IdToken]:
        return IdToken.objects.select_related("parent")

    # Stations' local lists follow token edits at their next differential sync.
    def perform_create(self, serializer) -> None:
        super().perform_create(serializer)
        local_lists.local_lists_tokens_changed()

    def perform_update(self, serializer) -> None:
        super().perform_update(serializer)
        local_lists.local_lists_tokens_changed()

    def perform_destroy(self, instance: IdToken) -> None:
        authorization.id_token_delete(instance)
        local_lists.local_lists_tokens_changed()

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "partial_update":
            return IdTokenUpdateSerializer
        return IdTokenSerializer
