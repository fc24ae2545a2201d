"""Production settings refuse the embedded SECRET_KEY (it is in the repository), and so
does `manage.py check --deploy` without HTTPS (chargenet/checks.py)."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from chargenet.checks import EMBEDDED_KEY_ERROR_ID, embedded_secret_key_check

ROOT = Path(__file__).resolve().parents[2]


def check(*options: str, **environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "DEBUG", "HTTPS", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DJANGO_SETTINGS_MODULE="chargenet.settings", **environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = check(DEBUG="0", HTTPS="1")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_with_a_secret_key_starts():
    assert check(DEBUG="0", HTTPS="1", SECRET_KEY="k" * 20 + "Qz8x" * 10).returncode == 0


def test_the_embedded_mode_needs_no_key():
    assert check(DEBUG="0").returncode == 0


def test_check_deploy_without_https_refuses_the_embedded_key():
    result = check("--deploy", DEBUG="0")
    assert result.returncode != 0
    assert EMBEDDED_KEY_ERROR_ID in result.stderr


def test_the_deploy_check_finds_the_embedded_key(settings):
    settings.SECRET_KEY = settings.EMBEDDED_SECRET_KEY
    assert [error.id for error in embedded_secret_key_check()] == [EMBEDDED_KEY_ERROR_ID]
    assert embedded_secret_key_check()[0].is_serious()


def test_the_deploy_check_passes_a_key_of_its_own(settings):
    settings.SECRET_KEY = get_random_secret_key()
    assert embedded_secret_key_check() == []
