"""Production settings refuse the embedded SECRET_KEY (it is in the repository)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def check(**environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "DEBUG", "HTTPS", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DJANGO_SETTINGS_MODULE="chargenet.settings", **environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
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
