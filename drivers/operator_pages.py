"""Operators' page for drivers' card requests: approve or refuse the cards drivers added."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.models import CardRequest
from drivers.cards import card_request_decide
from stations.views.access import operator_required

RECENT_DECIDED = 50


@operator_required
def card_requests(request):
    requests = CardRequest.objects.select_related("id_token", "driver")
    context = {
        "pending": requests.filter(status=CardRequest.Status.PENDING),
        "decided": requests.exclude(status=CardRequest.Status.PENDING)[:RECENT_DECIDED],
    }
    return render(request, "drivers/card_requests.html", context)


@operator_required
@require_POST
def card_request_answer(request, pk: int):
    card_request = get_object_or_404(CardRequest, pk=pk)
    approve = request.POST.get("decision") == "approve"
    if card_request.status != CardRequest.Status.PENDING:
        messages.error(request, _("This card was decided already."))
        return redirect("drivers:card-requests")
    card_request_decide(request=card_request, approve=approve)
    text = _("Card %(card)s approved.") if approve else _("Card %(card)s refused.")
    messages.success(request, text % {"card": card_request.id_token.value})
    return redirect("drivers:card-requests")
