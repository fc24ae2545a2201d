"""Test settings: ChargeNet's own, with a fast password hasher for people.

Live servers started by the tests use this module too (tests/live.py), so a login
made in a test verifies there.
"""

from chargenet.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]
