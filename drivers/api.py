"""/api/v1/me/…: the driver API, for integrators acting for one driver with their token.

Every view answers only about the token's own user: sessions, cards and balance of
other drivers are 404. The project's default permission is operator-only, so these
views set their own (any signed-in user, acting for themself).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.balances import balances_of
from billing.models import BalanceEntry
from drivers import cards as card_services
from drivers.charging import (
    StartRefused,
    command_message,
    driver_connector,
    driver_session,
    driver_sessions,
    driver_start,
    driver_stop,
    live_figures,
)
from stations.api.serializers import SessionSerializer
from stations.models import ChargingSession


class DriverView:
    permission_classes = [IsAuthenticated]


class CommandOutcomeSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="accepted, rejected, failed, timeout or offline.")
    detail = serializers.CharField(help_text="The outcome in words for the driver.")
    command = serializers.IntegerField(
        allow_null=True, help_text="The stored command's id (GET /api/v1/commands/<id>/)."
    )


def _outcome(command, http_ok=status.HTTP_200_OK) -> Response:
    ok, text = command_message(command)
    data = {
        "status": command.status if command else "failed",
        "detail": text,
        "command": command.pk if command else None,
    }
    return Response(data, status=http_ok if ok else status.HTTP_409_CONFLICT)


LIVE_FIELDS = {
    "id": serializers.IntegerField(help_text="The session's id."),
    "station_id": serializers.CharField(help_text="The station's id."),
    "connector_id": serializers.IntegerField(allow_null=True, help_text="The connector."),
    "started_at": serializers.DateTimeField(help_text="When the session started."),
    "elapsed_s": serializers.IntegerField(help_text="Seconds since the start."),
    "energy_wh": serializers.IntegerField(help_text="Energy charged so far (Wh)."),
    "power_w": serializers.IntegerField(allow_null=True, help_text="Power now (W)."),
    "cost": serializers.DecimalField(
        12, 2, allow_null=True, help_text="Cost so far by the tariff, tax included."
    ),
    "currency": serializers.CharField(help_text="The cost's currency."),
    "prepaid_seconds_left": serializers.IntegerField(
        allow_null=True, help_text="Seconds left in a prepaid block; null without one."
    ),
}


class MySessionList(DriverView, ListAPIView):
    """The driver's sessions, newest first; `?state=active` for the running ones."""

    serializer_class = SessionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return ChargingSession.objects.none()
        sessions = driver_sessions(self.request.user)
        state = self.request.query_params.get("state")
        return sessions.filter(state=state) if state else sessions


class MySessionDetail(DriverView, RetrieveAPIView):
    serializer_class = SessionSerializer

    def get_object(self):
        return driver_session(self.request.user, self.kwargs["pk"])


class MySessionLive(DriverView, APIView):
    """A running session's figures now: elapsed, energy, power, cost so far, prepaid time left."""

    @extend_schema(responses=inline_serializer("LiveFigures", LIVE_FIELDS))
    def get(self, request, pk: int):
        return Response(live_figures(driver_session(request.user, pk)).as_json())


class MySessionStop(DriverView, APIView):
    @extend_schema(request=None, responses=CommandOutcomeSerializer)
    def post(self, request, pk: int):
        session = driver_session(request.user, pk)
        if session.state != ChargingSession.State.ACTIVE:
            return Response(
                {"detail": "The session has ended already.", "errors": {}},
                status=status.HTTP_409_CONFLICT,
            )
        return _outcome(driver_stop(driver=request.user, session=session))


class MyStart(DriverView, APIView):
    """Start charging on a connector with the driver's card (remote start)."""

    class InputSerializer(serializers.Serializer):
        station_id = serializers.CharField(help_text="The station's id.")
        connector_id = serializers.IntegerField(min_value=1, help_text="The connector (1, 2…).")

    @extend_schema(request=InputSerializer, responses=CommandOutcomeSerializer)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connector = driver_connector(
            data.validated_data["station_id"], data.validated_data["connector_id"]
        )
        try:
            command = driver_start(driver=request.user, connector=connector)
        except StartRefused as refusal:
            return Response({"detail": str(refusal), "errors": {}}, status=status.HTTP_409_CONFLICT)
        return _outcome(command, http_ok=status.HTTP_201_CREATED)


class CardSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True, help_text="The card's id.")
    value = serializers.CharField(max_length=20, help_text="The number printed on the card.")
    label = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="The driver's name for it."
    )
    state = serializers.SerializerMethodField(
        help_text="accepted, pending (an operator approves it), blocked, expired or invalid."
    )

    def get_state(self, card) -> str:
        return card_services.card_state(card)


class MyCards(DriverView, APIView):
    @extend_schema(responses=CardSerializer(many=True))
    def get(self, request):
        cards = request.user.id_tokens.select_related("card_request")
        return Response(CardSerializer(cards, many=True).data)

    @extend_schema(request=CardSerializer, responses={201: CardSerializer})
    def post(self, request):
        data = CardSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            card = card_services.card_add(driver=request.user, **data.validated_data)
        except card_services.CardError as error:
            raise serializers.ValidationError({"value": [str(error)]}) from error
        return Response(CardSerializer(card).data, status=status.HTTP_201_CREATED)


class MyCardBlock(DriverView, APIView):
    @extend_schema(request=None, responses=CardSerializer)
    def post(self, request, pk: int):
        card = get_object_or_404(request.user.id_tokens, pk=pk)
        card_services.card_block(driver=request.user, card=card)
        return Response(CardSerializer(card).data)


class BalanceEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = BalanceEntry
        fields = ["id", "kind", "amount", "currency", "session", "note", "created_at"]
        extra_kwargs = {
            "id": {"help_text": "The entry's id."},
            "kind": {"help_text": "top_up, debit (a priced session) or adjustment."},
            "amount": {"help_text": "Positive credits, negative debits."},
            "currency": {"help_text": "ISO 4217 code."},
            "session": {"help_text": "The session debited, if any."},
            "note": {"help_text": "What the entry is for."},
            "created_at": {"help_text": "When it was recorded."},
        }


class MyBalance(DriverView, APIView):
    """The driver's balance per currency (the sum of the ledger) and the latest movements."""

    @extend_schema(
        responses=inline_serializer(
            "Balance",
            {
                "balances": serializers.DictField(
                    child=serializers.DecimalField(12, 2),
                    help_text="Currency code → balance (the sum of the ledger).",
                ),
                "entries": BalanceEntrySerializer(many=True, help_text="Newest first."),
            },
        )
    )
    def get(self, request):
        entries = BalanceEntry.objects.filter(driver=request.user)[:100]
        balances = {c: str(v) for c, v in balances_of(driver=request.user).items()}
        return Response(
            {"balances": balances, "entries": BalanceEntrySerializer(entries, many=True).data}
        )
