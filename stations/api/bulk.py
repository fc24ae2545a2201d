"""POST /api/v1/stations/bulk/: register many stations in one call, all or nothing.

Each row is what POST /api/v1/stations/ takes. Rows are checked one by one, then as a
batch (ids twice in the batch or already registered); any bad row answers 400 with
`errors` mapping the row's index to its field errors, and registers nothing.
"""

from django.db import IntegrityError
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from stations.api.serializers import StationSerializer, validate_station_id
from stations.models import ChargingStation, Site
from stations.provisioning import bulk

BULK_INVALID = "Invalid rows; no station was registered."


class _BatchSiteField(serializers.PrimaryKeyRelatedField):
    """A site by id, looked up in the sites the batch names (one query, not one a row)."""

    def to_internal_value(self, data):
        sites = self.context.get("sites")
        if sites is None:
            return super().to_internal_value(data)
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            site = sites.get(int(data))
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if site is None:
            self.fail("does_not_exist", pk_value=data)
        return site


@extend_schema_serializer(component_name="StationBulkRow")
class StationBulkRowSerializer(StationSerializer):
    """One station of a bulk registration: the fields of a single registration."""

    station_id = serializers.CharField(
        max_length=48,
        trim_whitespace=False,
        validators=[validate_station_id],  # unique across the batch: checked as a whole
        help_text=StationSerializer._declared_fields["station_id"].help_text,
    )
    site = _BatchSiteField(
        queryset=Site.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the site the station stands on, or null.",
    )


def _site_ids(data: list) -> set[int]:
    ids = set()
    for row in data:
        value = row.get("site") if isinstance(row, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
        elif isinstance(value, str) and value.isdigit():
            ids.add(int(value))
    return ids


def validated_rows(data: object) -> list[dict]:
    """The rows' validated fields, or ValidationError {row index: field errors}."""
    if not isinstance(data, list):
        raise ValidationError({"non_field_errors": ["Expected a list of stations."]})
    if not data:
        raise ValidationError({"non_field_errors": ["The list is empty."]})
    if len(data) > bulk.MAX_ROWS:
        raise ValidationError(
            {"non_field_errors": [f"At most {bulk.MAX_ROWS} stations in one call."]}
        )
    # One serializer for all rows: building a ModelSerializer's fields costs more than
    # checking a row with them.
    batch = StationBulkRowSerializer(
        data=data, many=True, context={"sites": Site.objects.in_bulk(_site_ids(data))}
    )
    errors: dict[str, dict] = {}
    if batch.is_valid():
        rows = list(batch.validated_data)
    else:
        # Errors by row index (a list with {} for good rows in older DRF releases).
        by_row = batch.errors
        if isinstance(by_row, list):
            by_row = dict(enumerate(by_row))
        rows = []
        for index, item in enumerate(data):
            row_errors = by_row.get(index) or {}
            if row_errors:
                errors[str(index)] = dict(row_errors)
            # Ids of rows that failed on other fields still take part in the batch checks.
            valid_id = isinstance(item, dict) and "station_id" not in row_errors
            rows.append({"station_id": item["station_id"]} if valid_id else {})
    station_ids = [row.get("station_id") for row in rows]
    for index, message in bulk.station_id_conflicts(station_ids).items():
        errors.setdefault(str(index), {}).setdefault("station_id", []).append(message)
    if errors:
        raise ValidationError(
            {"detail": BULK_INVALID, **dict(sorted(errors.items(), key=lambda e: int(e[0])))}
        )
    return rows


def register_stations(data: object) -> list[ChargingStation]:
    """Register every row or none; the stations as the API shows them, in row order."""
    rows = validated_rows(data)
    try:
        created = bulk.stations_register_bulk(rows)
    except IntegrityError as exc:
        # Registered concurrently (or connected as "pending") since validation.
        raise ValidationError(
            {"detail": BULK_INVALID, "non_field_errors": [bulk.ALREADY_REGISTERED]}
        ) from exc
    order = {station.pk: index for index, station in enumerate(created)}
    stations = list(
        ChargingStation.objects.filter(pk__in=order)
        .select_related("site")
        .prefetch_related("connectors")
    )
    stations.sort(key=lambda station: order[station.pk])
    return stations


MESSAGES = {"type": "array", "items": {"type": "string"}}


@extend_schema_field({"oneOf": [{"type": "object", "additionalProperties": MESSAGES}, MESSAGES]})
class RowErrorsField(serializers.JSONField):
    """A row's messages by field; under `non_field_errors`, messages about the body."""


class StationBulkErrorSerializer(serializers.Serializer):
    """A refused bulk registration: which rows are wrong, and why."""

    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    errors = serializers.DictField(
        child=RowErrorsField(),
        help_text='Field errors per row, by the row\'s index in the list ("0", "1", ...); '
        "`non_field_errors` (a list of messages) when the body as a whole is wrong.",
    )
