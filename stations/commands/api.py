"""REST API v1: commands to stations, reservations and charging profiles.

Each write calls one service and waits for the station's answer (up to the command's
timeout; under daphne a sync view runs in a thread of its own, so other requests go
on meanwhile). What the station answered is in the 201/200 body; a request the
services refuse is a 400 naming the field, and nothing was sent.
"""

import json

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api.errors import error_responses
from api.permissions import IsOperator
from stations.api.filters import ChargingProfileFilter, CommandFilter, ReservationFilter
from stations.api.views import STATION_ID_PARAMETER
from stations.commands.api_schema import COMMAND_EXAMPLES, COMMAND_REQUEST
from stations.commands.serializers import (
    CancelSerializer,
    ChargingProfileCreateSerializer,
    ChargingProfileSerializer,
    CommandCreateSerializer,
    CommandSerializer,
    ReservationCreateSerializer,
    ReservationSerializer,
    command_error,
    valid_data,
)
from stations.commands.tracked import command_send_tracked
from stations.models import ChargingProfile, ChargingStation, Command, Reservation
from stations.ocpp.requests import CommandError
from stations.services import charging_profiles, reservations


def _id_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


def _base_url(request: Request) -> str:
    """Where the station can reach ChargeNet, as far as this request tells."""
    return request.build_absolute_uri("/")


WAIT_PARAMETER = OpenApiParameter(
    "wait",
    bool,
    OpenApiParameter.QUERY,
    description="`false` (or the header `Prefer: respond-async`): answer 202 with the "
    "pending command as soon as the station's process has it; read the outcome later "
    "at /commands/<id>/ or receive the `command.finished` webhook.",
)


def respond_async(request: Request) -> bool:
    """The client asked not to wait: `?wait=false` or `Prefer: respond-async` (RFC 7240)."""
    if request.query_params.get("wait", "").lower() in ("false", "0", "no"):
        return True
    prefer = request.headers.get("Prefer", "")
    return "respond-async" in (p.strip().lower() for p in prefer.split(","))


class StationCommandView(APIView):
    """Send a command to a station and wait for its outcome (or not, if asked)."""

    permission_classes = [IsOperator]

    @extend_schema(
        summary="Send a command to a station",
        description="Waits for the station's answer (up to `timeout`) and answers with the "
        "stored command: `status` accepted, rejected, failed, timeout or offline. A command "
        "the station's OCPP version lacks, or bad params, answer 400 naming the field; "
        "nothing is sent then. `rotate_password` takes no params: ChargeNet makes a new "
        "random password, sends it and keeps its hash once the station accepts (the old "
        "one works until the station connects with the new one); it is never shown.",
        parameters=[STATION_ID_PARAMETER, WAIT_PARAMETER],
        request=COMMAND_REQUEST,
        examples=COMMAND_EXAMPLES,
        responses={
            201: CommandSerializer,
            202: OpenApiResponse(
                CommandSerializer, description="Taken, not yet answered (`wait=false`)."
            ),
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request, station_id: str) -> Response:
        station = get_object_or_404(ChargingStation, station_id=station_id)
        data = valid_data(CommandCreateSerializer(data=request.data))
        wait = not respond_async(request)
        try:
            command = command_send_tracked(
                station,
                data["action"],
                data["params"],
                timeout=data.get("timeout"),
                user=request.user,
                base_url=_base_url(request),
                wait=wait,
            )
        except CommandError as error:
            raise command_error(error) from error
        body = CommandSerializer(command, context={"request": request}).data
        if command.status == Command.Status.PENDING:
            where = request.build_absolute_uri(reverse("command-detail", args=[command.pk]))
            headers = {"Preference-Applied": "respond-async", "Location": where}
            return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)
        return Response(body, status=status.HTTP_201_CREATED)


class DownloadRenderer(renderers.BaseRenderer):
    """Lets a client ask for the file itself (Accept: application/octet-stream)."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data).encode() if isinstance(data, dict) else data


@extend_schema_view(
    list=extend_schema(
        summary="List commands",
        responses={200: CommandSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read a command",
        parameters=[_id_parameter("The command's id.")],
        responses={200: CommandSerializer, **error_responses(401, 403, 404)},
    ),
)
class CommandViewSet(viewsets.ReadOnlyModelViewSet):
    """Commands sent to stations, newest first."""

    permission_classes = [IsOperator]
    serializer_class = CommandSerializer
    filterset_class = CommandFilter
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Command]:
        return Command.objects.select_related("station", "upload")

    @extend_schema(
        summary="Download a command's diagnostics file",
        description="The file the station uploaded for a get_diagnostics command.",
        parameters=[_id_parameter("The command's id.")],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as the station sent it."
            ),
            **error_responses(401, 403, 404),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def diagnostics(self, request: Request, pk=None) -> FileResponse:
        command = self.get_object()
        upload = getattr(command, "upload", None)
        if upload is None or not upload.file:
            raise NotFound("The station has uploaded no file for this command.")
        return FileResponse(upload.file.open("rb"), as_attachment=True, filename=upload.filename)


@extend_schema_view(
    list=extend_schema(
        summary="List reservations",
        responses={200: ReservationSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read a reservation",
        parameters=[_id_parameter("The reservation's id.")],
        responses={200: ReservationSerializer, **error_responses(401, 403, 404)},
    ),
)
class ReservationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reservations of connectors for ID tokens, newest first."""

    permission_classes = [IsOperator]
    serializer_class = ReservationSerializer
    filterset_class = ReservationFilter
    ordering_fields = ["created_at", "expires_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Reservation]:
        return Reservation.objects.select_related(
            "station", "connector", "command__station", "cancel_command__station"
        )

    @extend_schema(
        summary="Reserve a connector",
        description="Sends ReserveNow and answers with the stored reservation: `status` "
        "accepted, rejected (by the station, or it is offline) or requested (no answer "
        "in time; it is honoured until it expires).",
        request=ReservationCreateSerializer,
        responses={201: ReservationSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        data = valid_data(ReservationCreateSerializer(data=request.data))
        try:
            reservation = reservations.reservation_create(
                station=data["station"],
                id_token=data["id_token"],
                expires_at=data["expires_at"],
                connector_id=data.get("connector_id"),
                connector_type=data.get("connector_type", ""),
                user=request.user,
                timeout=data.get("timeout"),
            )
        except CommandError as error:
            raise command_error(error) from error
        reservation = self.get_queryset().get(pk=reservation.pk)
        return Response(self.get_serializer(reservation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a reservation",
        description="Sends CancelReservation; the reservation is cancelled once the "
        "station confirms (or holds no such reservation). See `cancel_command`.",
        parameters=[_id_parameter("The reservation's id.")],
        request=CancelSerializer,
        responses={200: ReservationSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        reservation = self.get_object()
        data = valid_data(CancelSerializer(data=request.data))
        try:
            reservations.reservation_cancel(
                reservation=reservation, user=request.user, timeout=data.get("timeout")
            )
        except CommandError as error:
            raise command_error(error) from error
        reservation = self.get_queryset().get(pk=reservation.pk)
        return Response(self.get_serializer(reservation).data)


@extend_schema_view(
    list=extend_schema(
        summary="List charging profiles",
        responses={200: ChargingProfileSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read a charging profile",
        parameters=[_id_parameter("The profile row's id.")],
        responses={200: ChargingProfileSerializer, **error_responses(401, 403, 404)},
    ),
)
class ChargingProfileViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Charging profiles set on stations, with what each station answered."""

    permission_classes = [IsOperator]
    serializer_class = ChargingProfileSerializer
    filterset_class = ChargingProfileFilter
    ordering_fields = ["created_at", "updated_at", "profile_id"]
    ordering = ["-updated_at", "-id"]

    def get_queryset(self) -> QuerySet[ChargingProfile]:
        return ChargingProfile.objects.select_related(
            "station", "connector", "command__station", "clear_command__station"
        )

    @extend_schema(
        summary="Set a charging profile",
        description="Checks the profile (periods sorted from 0, positive limits, W or A, "
        "what each purpose applies to), stores it and sends SetChargingProfile; answers "
        "with the stored profile and the station's answer in `status`.",
        request=ChargingProfileCreateSerializer,
        responses={201: ChargingProfileSerializer, **error_responses(400, 401, 403)},
    )
    def create(self, request: Request) -> Response:
        serializer = ChargingProfileCreateSerializer(data=request.data)
        data = valid_data(serializer)
        connector_id = data.get("connector_id") or None
        try:
            profile = charging_profiles.charging_profile_set(
                station=data["station"],
                profile=serializer.profile(),
                connector_id=connector_id,
                user=request.user,
                timeout=data.get("timeout"),
            )
        except CommandError as error:
            raise command_error(error) from error
        profile = self.get_queryset().get(pk=profile.pk)
        return Response(self.get_serializer(profile).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Clear a charging profile",
        description="Sends ClearChargingProfile for the profile's id; `status` becomes "
        "cleared once the station confirms (or knows no such profile).",
        parameters=[_id_parameter("The profile row's id.")],
        request=CancelSerializer,
        responses={200: ChargingProfileSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def clear(self, request: Request, pk=None) -> Response:
        profile = self.get_object()
        data = valid_data(CancelSerializer(data=request.data))
        try:
            charging_profiles.charging_profile_clear(
                profile=profile, user=request.user, timeout=data.get("timeout")
            )
        except CommandError as error:
            raise command_error(error) from error
        profile = self.get_queryset().get(pk=profile.pk)
        return Response(self.get_serializer(profile).data)
