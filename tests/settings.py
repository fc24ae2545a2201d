"""Test settings: ChargeNet's own, with a fast password hasher for people.

Live servers started by the tests use this module too (tests/support/live.py), so a login
made in a test verifies there.
"""

import os

from chargenet.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]

# Parallel test workers share one Redis: each gets its own channel-layer namespace, so
# a station group of one worker's database never reaches another's consumer.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if REDIS_URL and _worker:  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"asgi-{_worker}"  # noqa: F405

# Many tests call the API from one address within a minute; throttling has its own tests.
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"token": "100000/min", "anon": "100000/min"},
}

# django-axes guards every login page; Client.login() (no request) passes, see the module.
AUTHENTICATION_BACKENDS = [
    "tests.support.login_backend.TestClientAwareAxesBackend",
    *AUTHENTICATION_BACKENDS[1:],  # noqa: F405
]

# Servers the tests start (`manage.py serve`) run no periodic tasks of their own: a
# reconciliation or local-list sync would act in the middle of a test. A server that
# replays a periodic message (CostUpdated, tests/octt) is started with
# TEST_EMBEDDED_BEAT=1.
EMBEDDED_BEAT = os.environ.get("TEST_EMBEDDED_BEAT") == "1"
