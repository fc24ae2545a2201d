"""Rate limits per token: each token has its own budget; 429 in the API's error shape."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import include, path
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from api.throttling import AnonRateThrottle, TokenRateThrottle

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.test_throttling")]


class Limited(APIView):
    permission_classes = []
    throttle_classes = [TokenRateThrottle, AnonRateThrottle]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/limited/", Limited.as_view()),
    path("api/v1/", include("api.urls")),
]


@pytest.fixture(autouse=True)
def rates(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "anon": "2/min"},
    }
    yield
    cache.clear()


def client_with_token(username: str) -> APIClient:
    user = get_user_model().objects.create_user(username, is_staff=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_each_token_has_its_own_budget():
    first, second = client_with_token("first"), client_with_token("second")
    assert [first.get("/api/v1/limited/").status_code for _ in range(3)] == [200] * 3
    refused = first.get("/api/v1/limited/")
    assert refused.status_code == 429
    body = refused.json()
    assert body["errors"] == {} and "throttled" in body["detail"].lower()
    assert int(refused["Retry-After"]) > 0
    assert second.get("/api/v1/limited/").status_code == 200


def test_two_tokens_of_one_user_count_apart():
    user = get_user_model().objects.create_user("twice", is_staff=True)
    keys = [Token.objects.create(user=user).key]
    # authtoken keeps one token per user: a second "token" is the same user's session.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {keys[0]}")
    for _ in range(3):
        client.get("/api/v1/limited/")
    assert client.get("/api/v1/limited/").status_code == 429
    session = APIClient()
    session.force_login(user)
    assert session.get("/api/v1/limited/").status_code == 200  # per user, not per token


def test_anonymous_requests_are_limited_per_address():
    client = APIClient()
    assert [client.get("/api/v1/limited/").status_code for _ in range(2)] == [200, 200]
    assert client.get("/api/v1/limited/").status_code == 429


def test_default_rates_apply_without_settings(settings):
    settings.REST_FRAMEWORK = {
        key: value
        for key, value in settings.REST_FRAMEWORK.items()
        if key != "DEFAULT_THROTTLE_RATES"
    }
    assert TokenRateThrottle().get_rate() == "1200/min"
    assert AnonRateThrottle().get_rate() == "60/min"
