"""REST API v1: tariffs, invoices and reports (operators only, the project's default).

Views stay thin: querysets, serializers, and one service call per write.
"""

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import error_responses
from billing import documents, services
from billing.models import Invoice, Report, Tariff
from billing.serializers import (
    CreditNoteCreateSerializer,
    InvoiceCreateSerializer,
    InvoiceSerializer,
    ReportSerializer,
    TariffSerializer,
)
from billing.services.invoices import InvoiceError, ProfileIncomplete
from stations.models import ChargingSession

ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id.")


class FileRenderer(BaseRenderer):
    """Lets a client ask for a file by its media type; errors still go out as JSON."""

    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class PDFRenderer(FileRenderer):
    media_type, format = "application/pdf", "pdf"


class CSVRenderer(FileRenderer):
    media_type, format = "text/csv", "csv"


class XLSXRenderer(FileRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


# --- tariffs -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List tariffs",
        responses={200: TariffSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read a tariff",
        parameters=[ID_PARAMETER],
        responses={200: TariffSerializer, **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Create a tariff",
        responses={201: TariffSerializer, **error_responses(400, 401, 403)},
    ),
    partial_update=extend_schema(
        summary="Edit a tariff",
        description="Nested lists given (time_of_use, power_tiers, assignments) replace the "
        "stored ones; lists left out stay.",
        parameters=[ID_PARAMETER],
        responses={200: TariffSerializer, **error_responses(400, 401, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a tariff",
        description="Priced sessions keep their prices and the tariff's name.",
        parameters=[ID_PARAMETER],
        responses={204: None, **error_responses(401, 403, 404)},
    ),
)
class TariffViewSet(viewsets.ModelViewSet):
    """Tariffs with their components and assignments."""

    serializer_class = TariffSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["currency", "is_default"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Tariff]:
        return Tariff.objects.prefetch_related(
            "time_of_use",
            "power_tiers",
            "assignments__station",
            "assignments__connector__station",
        )


# --- invoices ----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List invoices and credit notes",
        responses={200: InvoiceSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read an invoice",
        parameters=[ID_PARAMETER],
        responses={200: InvoiceSerializer, **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Invoice one session now",
        description="Issues an invoice for one ended session (monthly invoices are issued by "
        "ChargeNet on the first of the month).",
        request=InvoiceCreateSerializer,
        responses={201: InvoiceSerializer, **error_responses(400, 401, 403, 409)},
    ),
)
class InvoiceViewSet(viewsets.ReadOnlyModelViewSet):
    """Issued invoices and credit notes; immutable, corrected by credit notes."""

    serializer_class = InvoiceSerializer
    filterset_fields = ["year", "kind", "customer", "currency"]
    ordering_fields = ["issued_at", "number"]
    ordering = ["-year", "-sequence"]

    def get_queryset(self) -> QuerySet[Invoice]:
        return Invoice.objects.select_related("credited_invoice", "credit_note").prefetch_related(
            "lines"
        )

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = _valid(InvoiceCreateSerializer, request)
        session = ChargingSession.objects.filter(pk=data["session"]).first()
        if session is None:
            raise ValidationError({"session": ["No such session."]})
        invoice = _issuing(lambda: services.invoice_issue_for_session(session=session))
        return self._created(invoice)

    @extend_schema(
        summary="Cancel an invoice with a credit note",
        parameters=[ID_PARAMETER],
        request=CreditNoteCreateSerializer,
        responses={201: InvoiceSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="credit-note", url_name="credit-note")
    def credit_note(self, request: Request, pk=None) -> Response:
        data = _valid(CreditNoteCreateSerializer, request)
        invoice = self.get_object()
        note = _issuing(
            lambda: services.credit_note_issue(invoice=invoice, reason=data.get("reason", ""))
        )
        return self._created(note)

    @extend_schema(
        summary="Download an invoice as PDF",
        parameters=[ID_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF."),
            **error_responses(401, 403, 404),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PDFRenderer])
    def pdf(self, request: Request, pk=None) -> HttpResponse:
        invoice = self.get_object()
        response = HttpResponse(documents.invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
        return response

    def _created(self, invoice: Invoice) -> Response:
        invoice = self.get_queryset().get(pk=invoice.pk)
        serializer = InvoiceSerializer(invoice, context=self.get_serializer_context())
        return Response(serializer.data, status=status.HTTP_201_CREATED)


def _valid(serializer_class, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ProfileIncompleteError(APIException):
    """409: the operator's profile must be completed before invoices are issued."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "operator_profile_incomplete"


def _issuing(issue):
    try:
        return issue()
    except ProfileIncomplete as error:
        raise ProfileIncompleteError(str(error)) from error
    except InvoiceError as error:
        raise ValidationError({"detail": str(error)}) from error


# --- reports -----------------------------------------------------------------------


def _file_schema(summary: str, media_type: str) -> dict:
    return extend_schema(
        summary=summary,
        parameters=[ID_PARAMETER],
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            **error_responses(401, 403, 404),
        },
    )


@extend_schema_view(
    list=extend_schema(
        summary="List reports",
        responses={200: ReportSerializer(many=True), **error_responses(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="Read a report's status",
        parameters=[ID_PARAMETER],
        responses={200: ReportSerializer, **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Ask for a report",
        description="The report is made by a Celery worker: poll it until `status` is done, "
        "then download csv_url or xlsx_url.",
        responses={201: ReportSerializer, **error_responses(400, 401, 403)},
    ),
)
class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Reports per site and station, monthly and on demand, as CSV and XLSX."""

    serializer_class = ReportSerializer
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at", "period_start"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Report]:
        return Report.objects.select_related("site", "station")

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_request(**serializer.validated_data, requested_by=request.user)
        report = self.get_queryset().get(pk=report.pk)  # as far as it got (eager: done)
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @_file_schema("Download a report as CSV", "text/csv")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CSVRenderer])
    def csv(self, request: Request, pk=None) -> FileResponse:
        return self._download(self.get_object().csv_file)

    @_file_schema("Download a report as XLSX", XLSXRenderer.media_type)
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XLSXRenderer])
    def xlsx(self, request: Request, pk=None) -> FileResponse:
        return self._download(self.get_object().xlsx_file)

    @staticmethod
    def _download(file) -> FileResponse:
        if not file:
            raise NotFound("The report is not ready.")
        return FileResponse(file.open("rb"), as_attachment=True, filename=file.name.rsplit("/")[-1])
