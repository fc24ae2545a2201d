"""Rate limits per API token (DRF throttling on Django's cache).

TokenRateThrottle counts per token (per user for a browser session); AnonRateThrottle
counts unauthenticated requests per client address. Rates come from
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] ("token", "anon"), else the defaults below;
an exceeded limit answers 429 {"detail": ..., "errors": {}} with Retry-After.
Counters live in the cache named by API_THROTTLE_CACHE (default "default"): with
several server processes that must be a shared cache (Redis), not local memory. When
that cache cannot be reached, throttling fails open: requests pass and a warning is
logged (at most every few seconds).
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings

from runtime.outages import is_outage, note_outage

DEFAULT_RATES = {"token": "1200/min", "anon": "60/min"}


class _CachedRates:
    @property
    def cache(self):
        return caches[getattr(settings, "API_THROTTLE_CACHE", "default")]

    def allow_request(self, request, view) -> bool:
        """Fail open: with the cache (Redis) away a request is let through, and logged.

        Throttling guards against floods; refusing every request because the counters
        are unreachable would turn a Redis restart into an API outage.
        """
        try:
            return super().allow_request(request, view)
        except Exception as error:
            if not is_outage(error):
                raise
            note_outage("API throttling skipped (cache unreachable)", error)
            return True

    def get_rate(self) -> str | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}  # read live, not at import
        return rates.get(self.scope) or DEFAULT_RATES.get(self.scope)


class TokenRateThrottle(_CachedRates, throttling.SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        user = request.user
        if not (user and user.is_authenticated):
            return None  # AnonRateThrottle's business
        key = getattr(request.auth, "key", None)
        ident = hashlib.sha256(key.encode()).hexdigest()[:32] if key else f"user-{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonRateThrottle(_CachedRates, throttling.AnonRateThrottle):
    scope = "anon"
