"""GET /api/v1/: what the API offers, as links: its resources, the schema and the docs."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

DOCUMENTS = {"schema": "api-schema", "docs": "api-docs", "redoc": "api-redoc"}


class ApiRoot(APIView):
    """The API's resources and documents by name; links only, so open to anyone."""

    permission_classes = [AllowAny]
    resources: dict[str, str] = {}  # resource name -> URL name of its list

    @extend_schema(exclude=True)
    def get(self, request):
        def links(names: dict[str, str]) -> dict[str, str]:
            return {name: reverse(url_name, request=request) for name, url_name in names.items()}

        return Response({"version": "v1", "resources": links(self.resources), **links(DOCUMENTS)})
