"""System checks of ChargeNet's own settings, run by `manage.py check`.

Django's own key check (security.W009) passes the embedded SECRET_KEY: it is long and
not `django-insecure-` prefixed. Settings refuse it only with HTTPS=1, so a deployment
without HTTPS would serve with a key anyone can read in chargenet/settings.py.
"""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

EMBEDDED_KEY_ERROR_ID = "chargenet.E001"


@register(Tags.security, deploy=True)
def embedded_secret_key_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """An Error when SECRET_KEY is the embedded development key (`check --deploy`)."""
    if settings.SECRET_KEY != settings.EMBEDDED_SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is the embedded development key, which is in the repository: "
            "sessions, password resets and signed cookies could be forged.",
            hint="Set the SECRET_KEY environment variable to a long random secret.",
            id=EMBEDDED_KEY_ERROR_ID,
        )
    ]
