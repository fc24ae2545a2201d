"""The driver's own details: name and address for invoices, language and time zone."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from drivers.models import DriverProfile


class DriverProfileForm(forms.ModelForm):
    class Meta:
        model = DriverProfile
        fields = [
            "full_name",
            "company",
            "street",
            "postal_code",
            "city",
            "country",
            "language",
            "timezone",
        ]


def profile_of(user) -> DriverProfile:
    """The driver's profile, made on first use in the language they browse in."""
    profile, _created = DriverProfile.objects.get_or_create(
        user=user, defaults={"language": _browsing_language()}
    )
    return profile


def _browsing_language() -> str:
    current = translation.get_language() or "en"
    return "zh-hans" if current.lower().startswith("zh") else "en"


@require_http_methods(["GET", "POST"])
def profile_page(request):
    profile = profile_of(request.user)
    form = DriverProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your details are saved."))
        response = redirect("drivers:profile")
        # Pages follow the language chosen here, as the language menu would.
        response.set_cookie("django_language", form.cleaned_data["language"], samesite="Lax")
        return response
    return render(request, "drivers/profile.html", {"form": form})
