"""Query-parameter filters of the REST API lists (`?station=CP-1&state=active`)."""

import re
from datetime import datetime

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from stations.models import (
    ChargingProfile,
    ChargingSession,
    ChargingStation,
    Command,
    IdToken,
    Reservation,
)
from stations.ocpp.requests import ACTIONS

# In a query string '+' means a space, so "...T10:00:00+01:00" typed unencoded arrives
# as "...T10:00:00 01:00". Put the plus back rather than answer 400.
_SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class TolerantIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: object) -> datetime | None:
        if isinstance(value, str):
            value = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
        return super().to_python(value)


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date-time; without an offset it is read as UTC."""

    field_class = TolerantIsoDateTimeField


class StationFilter(django_filters.FilterSet):
    site = django_filters.CharFilter(method="filter_site", help_text="Site id or exact site name.")
    status = django_filters.CharFilter(
        field_name="status",
        lookup_expr="iexact",
        help_text="Station-level status (what connector 0 reports), e.g. Available.",
    )
    kind = django_filters.ChoiceFilter(
        choices=ChargingStation.Kind.choices, help_text="car or ebike."
    )
    ocpp_version = django_filters.ChoiceFilter(
        choices=ChargingStation.Version.choices, help_text="OCPP version: 1.6, 2.0.1 or 2.1."
    )
    connected = django_filters.BooleanFilter(
        help_text="true: stations holding an open OCPP socket now; false: the others."
    )
    registration_status = django_filters.ChoiceFilter(
        choices=ChargingStation.Registration.choices,
        help_text="accepted, pending or rejected.",
    )

    class Meta:
        model = ChargingStation
        fields = ["site", "status", "kind", "ocpp_version", "connected", "registration_status"]

    def filter_site(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        match = Q(site__name=value)
        if value.isdigit():
            match |= Q(site_id=int(value))
        return queryset.filter(match)


class SessionFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(
        field_name="station__station_id", help_text="Station id (exact)."
    )
    token = django_filters.CharFilter(
        field_name="id_tag", help_text="ID token value the session was started with."
    )
    state = django_filters.ChoiceFilter(
        choices=ChargingSession.State.choices, help_text="active or ended."
    )
    connector = django_filters.NumberFilter(
        field_name="connector__connector_id", help_text="Connector number on the station."
    )
    started_after = IsoDateTimeFilter(
        field_name="started_at",
        lookup_expr="gte",
        help_text="Sessions started at or after this ISO 8601 time (UTC without an offset).",
    )
    started_before = IsoDateTimeFilter(
        field_name="started_at",
        lookup_expr="lt",
        help_text="Sessions started before this ISO 8601 time (UTC without an offset).",
    )

    class Meta:
        model = ChargingSession
        fields = ["station", "token", "state", "connector", "started_after", "started_before"]


class IdTokenFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=IdToken.Status.choices,
        method="filter_status",
        help_text="Status as stations are told it: a past expires_at counts as expired.",
    )
    owner = django_filters.NumberFilter(field_name="owner", help_text="Owner's user id.")

    class Meta:
        model = IdToken
        fields = ["status", "owner"]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Filter on IdToken.effective_status(), in SQL."""
        now = timezone.now()
        lapsed = Q(status=IdToken.Status.ACCEPTED, expires_at__lte=now)
        if value == IdToken.Status.ACCEPTED:
            return queryset.filter(status=value).exclude(expires_at__lte=now)
        if value == IdToken.Status.EXPIRED:
            return queryset.filter(Q(status=value) | lapsed)
        return queryset.filter(status=value)


class CommandFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(
        field_name="station__station_id", help_text="Station id (exact)."
    )
    action = django_filters.ChoiceFilter(
        choices=[(action, action) for action in ACTIONS], help_text="Version-neutral action."
    )
    status = django_filters.ChoiceFilter(
        choices=Command.Status.choices,
        help_text="pending, accepted, rejected, failed, timeout or offline.",
    )
    created_after = IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Commands created at or after this ISO 8601 time (UTC without an offset).",
    )
    created_before = IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        help_text="Commands created before this ISO 8601 time (UTC without an offset).",
    )

    class Meta:
        model = Command
        fields = ["station", "action", "status", "created_after", "created_before"]


class ReservationFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(
        field_name="station__station_id", help_text="Station id (exact)."
    )
    status = django_filters.ChoiceFilter(
        choices=Reservation.Status.choices,
        help_text="requested, accepted, rejected, cancelled, expired or used.",
    )
    token = django_filters.CharFilter(field_name="id_tag", help_text="ID token value (exact).")

    class Meta:
        model = Reservation
        fields = ["station", "status", "token"]


class ChargingProfileFilter(django_filters.FilterSet):
    station = django_filters.CharFilter(
        field_name="station__station_id", help_text="Station id (exact)."
    )
    status = django_filters.ChoiceFilter(
        choices=ChargingProfile.Status.choices,
        help_text="requested, accepted, rejected, failed, timeout, offline or cleared.",
    )
    purpose = django_filters.ChoiceFilter(
        choices=ChargingProfile.Purpose.choices, help_text="tx_default, tx or max."
    )
    source = django_filters.ChoiceFilter(
        choices=ChargingProfile.Source.choices, help_text="operator or load_management."
    )

    class Meta:
        model = ChargingProfile
        fields = ["station", "status", "purpose", "source"]
