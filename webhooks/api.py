"""REST API v1: /api/v1/webhooks/ — subscriptions, their delivery log, ping, secret rotation.

Operators manage their own subscriptions; superusers see everyone's.
"""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import error_responses
from api.permissions import IsOperator
from webhooks import dispatch
from webhooks.models import WebhookSubscription, new_secret
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookSubscriptionSerializer,
)

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Subscription id.")
CREATE_EXAMPLE = OpenApiExample(
    "Session events",
    value={
        "url": "https://example.com/chargenet-hook",
        "events": ["session.started", "session.ended", "session.priced"],
        "description": "Fleet app",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List webhook subscriptions",
        responses={200: WebhookSubscriptionSerializer(many=True), **error_responses(401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read a webhook subscription",
        parameters=[ID],
        responses={200: WebhookSubscriptionSerializer, **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Subscribe a URL to events",
        description="Answers with the subscription and its generated `secret`.",
        examples=[CREATE_EXAMPLE],
        responses={201: WebhookSubscriptionSerializer, **error_responses(400, 401, 403)},
    ),
    update=extend_schema(
        summary="Replace a webhook subscription",
        parameters=[ID],
        responses={200: WebhookSubscriptionSerializer, **error_responses(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Change a webhook subscription",
        description='`{"active": true}` re-enables a subscription disabled after failures.',
        parameters=[ID],
        responses={200: WebhookSubscriptionSerializer, **error_responses(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a webhook subscription",
        parameters=[ID],
        responses={204: None, **error_responses(401, 403, 404)},
    ),
)
class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [IsOperator]
    filterset_fields = ["active"]
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        queryset = WebhookSubscription.objects.select_related("owner").order_by("id")
        user = self.request.user
        if getattr(user, "is_superuser", False):
            return queryset
        return queryset.filter(owner_id=getattr(user, "pk", None))

    def perform_create(self, serializer) -> None:
        serializer.save(owner=self.request.user)

    @extend_schema(
        summary="The delivery log of a subscription",
        description="Newest first; each delivery with every attempt (status code, error, "
        "duration).",
        parameters=[ID],
        responses={200: WebhookDeliverySerializer(many=True), **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["get"], filterset_fields=[], ordering_fields=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        queryset = subscription.deliveries.prefetch_related("log").order_by("-id")
        page = self.paginate_queryset(queryset)
        serializer = WebhookDeliverySerializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary="Send a test event",
        description="Queues a signed `ping` event to the URL; read the outcome in the "
        "delivery log.",
        parameters=[ID],
        request=None,
        responses={202: WebhookDeliverySerializer, **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        (delivery,) = dispatch.enqueue("ping", {"subscription": subscription.pk}, [subscription.pk])
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Generate a new secret",
        description="The old secret stops signing at once.",
        parameters=[ID],
        request=None,
        responses={200: WebhookSubscriptionSerializer, **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        subscription.secret = new_secret()
        subscription.save(update_fields=["secret", "updated_at"])
        return Response(WebhookSubscriptionSerializer(subscription).data)
