"""The operators' Roaming page (/roaming/): the parties, adding one, issuing its token
A, its status and its latest deliveries. The admin does the same and more."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ocpi import identity, registration
from ocpi.models import Delivery, Party
from stations.views.access import operator_required

RECENT = 20


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = ["name"]
        labels = {"name": gettext_lazy("Name")}


@operator_required
@require_http_methods(["GET", "POST"])
def parties(request):
    form = PartyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        party = form.save()
        messages.success(request, _("%(party)s added: issue its token A.") % {"party": party})
        return redirect("roaming:parties")
    context = {
        "form": form,
        "parties": Party.objects.all(),
        "deliveries": Delivery.objects.select_related("party")[:RECENT],
        "versions_url": identity.url("ocpi:versions", request),
    }
    return render(request, "ocpi/parties.html", context)


@operator_required
@require_POST
def issue_token_a(request, pk: int):
    party = get_object_or_404(Party, pk=pk)
    try:
        token = registration.issue_token_a(party)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Token A for %(party)s: %(token)s (shown once; versions URL %(url)s)")
            % {"party": party, "token": token, "url": identity.url("ocpi:versions", request)},
        )
    return redirect("roaming:parties")
