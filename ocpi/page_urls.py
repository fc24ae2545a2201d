"""The Roaming page, under /roaming/ (chargenet/urls.py)."""

from django.urls import path

from ocpi import pages

app_name = "roaming"

urlpatterns = [
    path("", pages.parties, name="parties"),
    path("<int:pk>/token-a/", pages.issue_token_a, name="issue-token-a"),
]
