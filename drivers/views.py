"""Driver pages: /me/ (charging now, history, cards, balance) and the QR landing /c/…/."""

from collections import OrderedDict
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.balances import balances_of
from billing.models import BalanceEntry
from drivers import cards as card_services
from drivers.charging import (
    StartRefused,
    command_message,
    connector_problem,
    connector_tariff,
    driver_connector,
    driver_session,
    driver_sessions,
    driver_start,
    driver_stop,
    live_figures,
)
from drivers.qr import qr_svg
from drivers.words import tariff_words
from stations.models import ChargingSession

HISTORY_LIMIT = 500


def driver_required(view):
    """Log in first (the drivers' login page), and come back here."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("drivers:login"))
        return view(request, *args, **kwargs)

    return wrapper


def _active(driver):
    return driver_sessions(driver).filter(state=ChargingSession.State.ACTIVE)


@driver_required
@require_GET
def home(request):
    context = {
        "live": [live_figures(s) for s in _active(request.user)],
        "balances": balances_of(driver=request.user),
        "recent": driver_sessions(request.user).filter(state=ChargingSession.State.ENDED)[:3],
    }
    return render(request, "drivers/home.html", context)


@driver_required
@require_GET
def live_json(request):
    """The driver's running sessions as the /me/ page shows them (re-read on each event)."""
    return JsonResponse({"sessions": [live_figures(s).as_json() for s in _active(request.user)]})


@driver_required
@require_POST
def stop(request, pk: int):
    session = driver_session(request.user, pk)
    ok, text = command_message(driver_stop(driver=request.user, session=session))
    if session.state != ChargingSession.State.ACTIVE:
        ok, text = True, _ended_text()
    (messages.success if ok else messages.error)(request, text)
    return redirect("drivers:home")


def _ended_text() -> str:
    return _("This session has ended already.")


def _month_totals(sessions) -> list[dict]:
    months: OrderedDict = OrderedDict()
    for s in sessions:
        key = s.started_at.strftime("%Y-%m")
        month = months.setdefault(key, {"month": key, "count": 0, "energy_wh": 0, "costs": {}})
        month["count"] += 1
        month["energy_wh"] += s.energy_wh
        charge = getattr(s, "charge", None)  # none: not priced yet
        if charge is not None:
            costs = month["costs"]
            costs[charge.currency] = costs.get(charge.currency, Decimal(0)) + charge.total
    return list(months.values())


def filtered_history(driver, params) -> tuple:
    sessions = driver_sessions(driver).filter(state=ChargingSession.State.ENDED)
    month = params.get("month", "")
    if len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit():
        sessions = sessions.filter(started_at__year=month[:4], started_at__month=month[5:])
    if params.get("station"):
        sessions = sessions.filter(station__station_id__icontains=params["station"])
    if params.get("card"):
        sessions = (
            sessions.filter(id_token__pk=params["card"])
            if params["card"].isdigit()
            else sessions.none()
        )
    return sessions[:HISTORY_LIMIT], {k: params.get(k, "") for k in ("month", "station", "card")}


@driver_required
@require_GET
def history(request):
    sessions, filters = filtered_history(request.user, request.GET)
    sessions = list(sessions)
    context = {
        "sessions": sessions,
        "months": _month_totals(sessions),
        "filters": filters,
        "cards": request.user.id_tokens.all(),
    }
    return render(request, "drivers/history.html", context)


@driver_required
@require_GET
def session_detail(request, pk: int):
    session = driver_session(request.user, pk)
    return render(request, "drivers/session.html", {"session": session})


@driver_required
@require_http_methods(["GET", "POST"])
def cards(request):
    if request.method == "POST":
        try:
            card = card_services.card_add(
                driver=request.user,
                value=request.POST.get("value", ""),
                label=request.POST.get("label", ""),
            )
        except card_services.CardError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _card_added_text(card))
        return redirect("drivers:cards")
    rows = [
        (card, card_services.card_state(card))
        for card in request.user.id_tokens.select_related("card_request")
    ]
    return render(request, "drivers/cards.html", {"cards": rows})


def _card_added_text(card) -> str:
    if card.status == card.Status.ACCEPTED:
        return _("Card added.")
    return _("Card added: an operator will approve it soon.")


@driver_required
@require_POST
def card_block(request, pk: int):
    card = card_services.driver_card(request.user, pk)
    card_services.card_block(driver=request.user, card=card)
    messages.success(request, _("Card %(card)s is blocked.") % {"card": card.value})
    return redirect("drivers:cards")


@driver_required
@require_GET
def balance(request):
    entries = BalanceEntry.objects.filter(driver=request.user).select_related("session")[:200]
    context = {"balances": balances_of(driver=request.user), "entries": entries}
    return render(request, "drivers/balance.html", context)


@require_http_methods(["GET", "POST"])
def connector_page(request, station_id: str, connector_id: int):
    """The QR code's page: status, tariff and a Start button (log in first to press it)."""
    connector = driver_connector(station_id, connector_id)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("drivers:login"))
        return _start(request, connector)
    context = {
        "connector": connector,
        "station": connector.station,
        "problem": connector_problem(connector),
        "tariff": tariff_words(connector_tariff(connector)),
    }
    return render(request, "drivers/connector.html", context)


def _start(request, connector):
    try:
        command = driver_start(driver=request.user, connector=connector)
    except StartRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(request.get_full_path())
    ok, text = command_message(command)
    if not ok:
        messages.error(request, text)
        return redirect(request.get_full_path())
    messages.success(request, text)
    return redirect("drivers:home")


@require_GET
def connector_qr(request, station_id: str, connector_id: int):
    """An SVG QR code of the connector's page, to print and stick on the port."""
    connector = driver_connector(station_id, connector_id)
    url = request.build_absolute_uri(
        reverse("drivers:connector", args=[connector.station.station_id, connector_id])
    )
    response = HttpResponse(qr_svg(url), content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=86400"
    return response
