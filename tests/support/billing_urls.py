"""The billing tests' URLconf: the project's, plus billing's pages and API if missing.

Until chargenet/urls.py includes billing, these patterns add billing's pages and API to
the project's URLs; once it does, they are the project's URLs unchanged.
"""

from django.urls import NoReverseMatch, include, path, reverse

from chargenet import urls as project_urls


def _wired(name: str) -> bool:
    try:
        reverse(name, urlconf=project_urls)
    except NoReverseMatch:
        return False
    return True


urlpatterns = list(project_urls.urlpatterns)
if not _wired("tariff-list"):
    urlpatterns.append(path("api/v1/", include("billing.api_urls")))
if not _wired("billing:report-list"):
    urlpatterns.append(path("billing/", include("billing.urls")))
