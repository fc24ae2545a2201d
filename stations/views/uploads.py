"""Where stations upload diagnostics and log files (HTTP PUT or multipart POST).

The URL's token is the only credential: stations cannot log in, and each URL belongs
to one get_diagnostics command (stations/services/diagnostics.py). Some stations append their
file name to the location they were given, so `<token>/<filename>` works too.
"""

import tempfile

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from stations.services import diagnostics

CHUNK = 64 * 1024


@csrf_exempt
def diagnostics_upload(request: HttpRequest, token: str, filename: str = "") -> HttpResponse:
    if request.method not in ("PUT", "POST"):
        return HttpResponse("Use PUT or POST.", status=405, headers={"Allow": "PUT, POST"})
    try:
        diagnostics.upload_for(token)
        if request.content_type == "multipart/form-data":
            return _store_multipart(request, token)
        return _store_body(request, token, filename)
    except diagnostics.UploadRefused as refusal:
        return HttpResponse(refusal.reason, status=refusal.status, content_type="text/plain")


def _store_multipart(request: HttpRequest, token: str) -> HttpResponse:
    files = list(request.FILES.values())
    if not files:
        return HttpResponse("No file in the form.", status=400, content_type="text/plain")
    upload = files[0]
    if upload.size > diagnostics.max_upload_bytes():
        raise diagnostics.UploadRefused(413, "File too large.")
    diagnostics.diagnostics_upload_store(token=token, content=upload, name=upload.name)
    return HttpResponse("Stored.", status=201, content_type="text/plain")


def _store_body(request: HttpRequest, token: str, filename: str) -> HttpResponse:
    # Read the stream in chunks: request.body would hold it all in memory (and Django
    # refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE there).
    limit = diagnostics.max_upload_bytes()
    with tempfile.TemporaryFile() as spool:
        size = 0
        while chunk := request.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise diagnostics.UploadRefused(413, "File too large.")
            spool.write(chunk)
        if size == 0:
            return HttpResponse("Empty body.", status=400, content_type="text/plain")
        spool.seek(0)
        diagnostics.diagnostics_upload_store(token=token, content=spool, name=filename)
    return HttpResponse("Stored.", status=201, content_type="text/plain")
