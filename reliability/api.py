"""GET /api/v1/stations/<station_id>/uptime/ and /api/v1/uptime/?site=…: uptime for
integrators and auditors, for any window from minutes to years."""

from datetime import UTC, timedelta

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import error_responses
from api.permissions import IsOperator
from reliability.figures import station_uptime
from reliability.uptime import METHODS, NEVI
from stations.api.views import STATION_ID_PARAMETER
from stations.models import ChargingStation, Site

MAX_WINDOW = timedelta(days=366 * 5)


class WindowSerializer(serializers.Serializer):
    """The query: a window and a method."""

    start = serializers.DateTimeField(help_text="Start of the window (ISO 8601; UTC if no offset).")
    end = serializers.DateTimeField(help_text="End of the window, excluded (ISO 8601).")
    method = serializers.ChoiceField(
        choices=METHODS,
        default=NEVI,
        help_text="`nevi`: 23 CFR 680.116(b), the whole window; `uk`: the UK Public "
        "Charge Point Regulations 2023, up / (up + down) over the site's opening hours.",
    )

    def validate(self, attrs: dict) -> dict:
        for key in ("start", "end"):
            attrs[key] = attrs[key].astimezone(UTC)
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["Must be after start."]})
        if attrs["end"] - attrs["start"] > MAX_WINDOW:
            raise serializers.ValidationError({"end": ["The window is at most five years."]})
        return attrs


class OutageSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="When the outage began (inside the window).")
    end = serializers.DateTimeField(help_text="When it ended (at most the window's end).")
    cause = serializers.ChoiceField(
        choices=["offline", "faulted", "unavailable", "planned", "central_system_down"],
        help_text="`planned`: an operator made the port inoperative; "
        "`central_system_down`: ChargeNet itself was down (never blamed on the station).",
    )
    error_code = serializers.CharField(help_text="The station's error code, for `faulted`.")
    excluded_seconds = serializers.IntegerField(
        help_text="The part of this outage that is excluded."
    )


def _percent(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="A decimal string with two places; null when the window holds no countable time.",
        **kwargs,
    )


class ConnectorUptimeSerializer(serializers.Serializer):
    connector_id = serializers.IntegerField(help_text="The connector (port).")
    uptime_percent = _percent()
    outage_seconds = serializers.IntegerField(
        help_text="Seconds the port was down in the window (UK: in opening hours)."
    )
    excluded_seconds = serializers.IntegerField(
        help_text="The part of the outage the method excludes (exclusions, planned, "
        "ChargeNet down)."
    )
    outages = OutageSerializer(many=True, help_text="The port's outages, oldest first.")


class StationUptimeSerializer(serializers.Serializer):
    station_id = serializers.CharField(help_text="The station id.")
    start = serializers.DateTimeField(help_text="The window's start, as asked (UTC).")
    end = serializers.DateTimeField(help_text="The window's end, as asked (UTC).")
    method = serializers.ChoiceField(choices=METHODS, help_text="`nevi` or `uk`.")
    uptime_percent = _percent()
    connectors = ConnectorUptimeSerializer(many=True, help_text="Each port's figures.")


class SiteUptimeSerializer(serializers.Serializer):
    site = serializers.CharField(help_text="The site's name.")
    start = serializers.DateTimeField(help_text="The window's start, as asked (UTC).")
    end = serializers.DateTimeField(help_text="The window's end, as asked (UTC).")
    method = serializers.ChoiceField(choices=METHODS, help_text="`nevi` or `uk`.")
    stations = StationUptimeSerializer(many=True, help_text="Each station of the site.")


def _window(request) -> dict:
    query = WindowSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


WINDOW_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
    OpenApiParameter("end", OpenApiTypes.DATETIME, required=True),
    OpenApiParameter("method", OpenApiTypes.STR, enum=list(METHODS), default=NEVI),
]


class StationUptimeView(APIView):
    """A station's uptime, port by port, with its outage log."""

    permission_classes = [IsOperator]

    @extend_schema(
        summary="A station's uptime",
        parameters=[STATION_ID_PARAMETER, *WINDOW_PARAMETERS],
        responses={200: StationUptimeSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, station_id: str):
        station = get_object_or_404(
            ChargingStation.objects.select_related("site"), station_id=station_id
        )
        w = _window(request)
        data = station_uptime(station, w["start"], w["end"], w["method"])
        return Response(StationUptimeSerializer(data).data)


class SiteUptimeView(APIView):
    """Every station of a site: `site` is the site's id or its name."""

    permission_classes = [IsOperator]

    @extend_schema(
        summary="A site's uptime, station by station",
        parameters=[
            OpenApiParameter("site", OpenApiTypes.STR, required=True, description="Id or name."),
            *WINDOW_PARAMETERS,
        ],
        responses={200: SiteUptimeSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request):
        key = request.query_params.get("site", "")
        if not key:
            raise serializers.ValidationError({"site": ["This parameter is required."]})
        lookup = {"pk": int(key)} if key.isdigit() else {"name": key}
        site = get_object_or_404(Site, **lookup)
        w = _window(request)
        stations = ChargingStation.objects.filter(site=site).select_related("site")
        data = {
            "site": site.name,
            **{k: w[k] for k in ("start", "end", "method")},
            "stations": [
                station_uptime(s, w["start"], w["end"], w["method"])
                for s in stations.order_by("station_id")
            ],
        }
        return Response(SiteUptimeSerializer(data).data)
