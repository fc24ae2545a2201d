"""`GET /ocpi/2.2.1/sessions` and `/cdrs` as SENDER: the calling party's sessions and
the CDRs of those priced (ocpi/sessions.py), filtered on last_updated and paginated.
A CDR's last_updated is when billing priced its session (`SessionCharge.priced_at`)."""

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi import sessions
from ocpi.views.base import OcpiView, date_range, paginate


class SessionListView(OcpiView):
    def get(self, request: Request) -> Response:
        start, end = date_range(request)
        rows = list(sessions.sessions_of(self.party, start, end))
        token = {s.pk: sessions.owner_token(s) for s in rows}
        return paginate(request, rows, lambda s: sessions.session_object(s, token[s.pk]))


class CdrListView(OcpiView):
    def get(self, request: Request) -> Response:
        start, end = date_range(request)
        priced = sessions.sessions_of(self.party).select_related(
            "charge__tariff", "charge__tariff_version__tariff"
        )
        rows = [
            s
            for s in priced
            if hasattr(s, "charge")
            and (start is None or s.charge.priced_at >= start)
            and (end is None or s.charge.priced_at < end)
        ]
        rows.sort(key=lambda s: (s.charge.priced_at, s.pk))  # by last_updated, as filtered
        return paginate(
            request, rows, lambda s: sessions.cdr_object(s, sessions.owner_token(s), s.charge)
        )
