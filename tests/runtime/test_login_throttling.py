"""Brute force against any login page is throttled per user name and address, and across
user names per address (django-axes)."""

import json
from datetime import timedelta

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import RequestFactory
from django.utils import translation

from runtime.login_throttling import lockout_response
from tests.support.live import live_daphne

pytestmark = pytest.mark.django_db

LIMIT = 3
ADDRESS_LIMIT = 25  # the default
COOLOFF = timedelta(minutes=15)
OPERATOR_PASSWORD = "operator-pass-123"
DRIVER_PASSWORD = "driver-pass-123"
HOME = "10.0.0.1"
ELSEWHERE = "10.0.0.2"
# Each login page, the user it is for, and where a success leads.
LOGIN_PAGES = {
    "operator": ("/login/", "operator", OPERATOR_PASSWORD),
    "admin": ("/admin/login/", "operator", OPERATOR_PASSWORD),
    "driver": ("/me/login/", "dora", DRIVER_PASSWORD),
}


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = COOLOFF
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = ADDRESS_LIMIT


@pytest.fixture(autouse=True)
def users(db):
    users = get_user_model().objects
    users.create_user("operator", "op@example.com", OPERATOR_PASSWORD, is_staff=True)
    users.create_user("other-operator", "op2@example.com", OPERATOR_PASSWORD, is_staff=True)
    users.create_user("dora", "dora@example.com", DRIVER_PASSWORD)


def post_login(client, page, username, password, address=HOME, **extra):
    url = LOGIN_PAGES[page][0]
    data = {"username": username, "password": password}
    return client.post(url, data, REMOTE_ADDR=address, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, page, username, times, address=HOME):
    for _ in range(times):
        answer = post_login(client, page, username, "wrong-password", address)
        assert answer.status_code in (200, 429)


def let_cooloff_pass():
    """Move every recorded attempt back past the cool-off, as the clock would."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - COOLOFF - timedelta(seconds=1))


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_right_password_is_refused_after_too_many_wrong_ones(client, page):
    _, username, password = LOGIN_PAGES[page]
    fail(client, page, username, LIMIT - 1)
    assert post_login(client, page, username, "wrong-password").status_code == 429

    answer = post_login(client, page, username, password)

    assert answer.status_code == 429
    assert not logged_in(client)
    assert answer["Retry-After"] == str(int(COOLOFF.total_seconds()))
    assert "Too many failed logins. Try again in 15 minutes." in answer.content.decode()


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_lock_ends_with_the_cooloff(client, page):
    _, username, password = LOGIN_PAGES[page]
    fail(client, page, username, LIMIT)
    let_cooloff_pass()

    answer = post_login(client, page, username, password)

    assert answer.status_code == 302
    assert logged_in(client)


def test_failures_below_the_limit_still_let_the_right_password_in(client):
    fail(client, "operator", "operator", LIMIT - 1)

    answer = post_login(client, "operator", "operator", OPERATOR_PASSWORD)

    assert answer.status_code == 302 and logged_in(client)


def test_a_success_resets_the_count(client):
    fail(client, "operator", "operator", LIMIT - 1)
    assert post_login(client, "operator", "operator", OPERATOR_PASSWORD).status_code == 302
    client.logout()
    fail(client, "operator", "operator", LIMIT - 1)

    answer = post_login(client, "operator", "operator", OPERATOR_PASSWORD)

    assert answer.status_code == 302 and logged_in(client)


def test_other_user_names_and_addresses_are_not_locked(client):
    fail(client, "operator", "operator", LIMIT)

    other_user = post_login(client, "operator", "other-operator", OPERATOR_PASSWORD)
    assert other_user.status_code == 302
    client.logout()
    other_address = post_login(client, "operator", "operator", OPERATOR_PASSWORD, ELSEWHERE)
    assert other_address.status_code == 302
    client.logout()
    assert post_login(client, "operator", "operator", OPERATOR_PASSWORD).status_code == 429


def test_many_user_names_from_one_address_lock_the_address(client):
    """Thirty user names tried from one address: those past the address's cap are refused."""
    answers = [
        post_login(client, "operator", f"guess-{number}", "wrong-password").status_code
        for number in range(30)
    ]

    # The failure that reaches the cap is answered 429 already, as one reaching LIMIT is.
    assert answers == [200] * (ADDRESS_LIMIT - 1) + [429] * (30 - ADDRESS_LIMIT + 1)
    # Every user name from that address, the right password included, until the cool-off.
    assert post_login(client, "operator", "operator", OPERATOR_PASSWORD).status_code == 429
    assert not logged_in(client)
    elsewhere = post_login(client, "operator", "operator", OPERATOR_PASSWORD, ELSEWHERE)
    assert elsewhere.status_code == 302
    client.logout()
    let_cooloff_pass()
    assert post_login(client, "operator", "operator", OPERATOR_PASSWORD).status_code == 302


def test_neighbours_behind_one_address_log_in_below_the_address_cap(client):
    """Users locked one by one lock only themselves until the address's cap."""
    for number in range(ADDRESS_LIMIT // LIMIT - 1):
        fail(client, "operator", f"colleague-{number}", LIMIT - 1)
        assert post_login(client, "operator", f"colleague-{number}", "x").status_code == 429

    answer = post_login(client, "operator", "operator", OPERATOR_PASSWORD)

    assert answer.status_code == 302 and logged_in(client)


def test_a_success_does_not_reset_the_other_user_names_failures(client):
    for number in range(ADDRESS_LIMIT - 1):
        post_login(client, "operator", f"guess-{number}", "wrong-password")
    fail(client, "operator", "other-operator", 1)
    assert post_login(client, "operator", "operator", OPERATOR_PASSWORD).status_code == 429


def test_a_forwarded_for_header_the_client_sends_does_not_change_its_address(client):
    for number in range(LIMIT):
        forged = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{number}"}
        post_login(client, "operator", "operator", "wrong-password", **forged)

    answer = post_login(
        client, "operator", "operator", OPERATOR_PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )

    assert answer.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}


def test_the_lock_is_shared_by_the_login_pages(client):
    """The admin page is no way around a lock earned on the operator page."""
    fail(client, "operator", "operator", LIMIT)

    assert post_login(client, "admin", "operator", OPERATOR_PASSWORD).status_code == 429


def test_the_drivers_lock_page_is_in_the_drivers_look(client):
    fail(client, "driver", "dora", LIMIT)

    answer = post_login(client, "driver", "dora", DRIVER_PASSWORD)

    assert answer.status_code == 429
    assert "drivers/locked_out.html" in [t.name for t in answer.templates]
    assert "/me/password-reset/" in answer.content.decode()


def test_the_lock_page_speaks_chinese(client):
    fail(client, "operator", "operator", LIMIT)

    answer = post_login(
        client, "operator", "operator", OPERATOR_PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    page = answer.content.decode()
    assert answer.status_code == 429
    assert "登录已锁定" in page and "15 分钟" in page


def test_an_api_request_gets_the_api_error_shape():
    request = RequestFactory().post("/api/v1/token/")

    with translation.override("en"):
        answer = lockout_response(request)

    assert answer.status_code == 429
    assert json.loads(answer.content) == {
        "detail": "Too many failed logins. Try again in 15 minutes.",
        "errors": {},
    }


@pytest.mark.live
def test_a_live_daphne_answers_429_too(transactional_db):
    """Under daphne the middleware runs its async path; the lock holds there as well."""
    url_of = "http://{}/login/".format
    with live_daphne(LOGIN_FAILURE_LIMIT=str(LIMIT)) as address:
        browser = requests.Session()
        browser.get(url_of(address), timeout=10)
        form = {"username": "operator", "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
        for _ in range(LIMIT):
            wrong = browser.post(url_of(address), {**form, "password": "nope"}, timeout=10)
            assert wrong.status_code in (200, 429)
        right = browser.post(
            url_of(address),
            {**form, "password": OPERATOR_PASSWORD},
            allow_redirects=False,
            timeout=10,
        )
    assert right.status_code == 429
    assert "Too many failed logins" in right.text and "sessionid" not in right.cookies
