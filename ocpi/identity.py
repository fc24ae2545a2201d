"""ChargeNet as an OCPI party: its country code, party id, business details and URLs
(settings OCPI_COUNTRY_CODE, OCPI_PARTY_ID, OCPI_BUSINESS_NAME, OCPI_BUSINESS_WEBSITE,
OCPI_BASE_URL), and the modules it offers in 2.2.1."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from ocpi.common import VERSION

#: (module identifier, our role in it, path under /ocpi/2.2.1/): what version details
#: list. A RECEIVER's objects are below its path (tokens/{country}/{party}/{uid}).
MODULES = (
    ("credentials", "SENDER", "credentials"),
    ("credentials", "RECEIVER", "credentials"),
    ("locations", "SENDER", "locations"),
    ("tariffs", "SENDER", "tariffs"),
    ("sessions", "SENDER", "sessions"),
    ("cdrs", "SENDER", "cdrs"),
    ("tokens", "RECEIVER", "tokens"),
    ("commands", "RECEIVER", "commands"),
)


def base_url(request: HttpRequest | None = None) -> str:
    configured = settings.OCPI_BASE_URL.rstrip("/")
    if configured or request is None:
        return configured
    return request.build_absolute_uri("/").rstrip("/")


def url(name: str, request: HttpRequest | None = None) -> str:
    return base_url(request) + reverse(name)


def roles() -> list[dict]:
    business = {"name": settings.OCPI_BUSINESS_NAME[:100]}
    if settings.OCPI_BUSINESS_WEBSITE:
        business["website"] = settings.OCPI_BUSINESS_WEBSITE
    return [
        {
            "role": "CPO",
            "business_details": business,
            "party_id": settings.OCPI_PARTY_ID,
            "country_code": settings.OCPI_COUNTRY_CODE,
        }
    ]


def credentials(token: str, request: HttpRequest | None = None) -> dict:
    """Our Credentials object, holding the token the caller uses to reach us."""
    return {"token": token, "url": url("ocpi:versions", request), "roles": roles()}


def version_details(request: HttpRequest | None = None) -> dict:
    root = url("ocpi:version-details", request)
    return {
        "version": VERSION,
        "endpoints": [
            {"identifier": module, "role": role, "url": root + suffix}
            for module, role, suffix in MODULES
        ],
    }
