"""Operator pages are for active staff users: others log in first, or are refused (403)."""

from functools import wraps

from asgiref.sync import iscoroutinefunction
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse


def is_operator(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def _refusal(request, user):
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("login"))
    if not is_operator(user):
        return render(request, "dashboard/forbidden.html", status=403)
    return None


def operator_required(view):
    """Let operators through; send anonymous users to log in; refuse drivers with 403."""
    if iscoroutinefunction(view):

        @wraps(view)
        async def async_wrapper(request, *args, **kwargs):
            # The lazy request.user would query the database in the event loop.
            request.user = user = await request.auser()
            return _refusal(request, user) or await view(request, *args, **kwargs)

        return async_wrapper

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return _refusal(request, request.user) or view(request, *args, **kwargs)

    return wrapper
