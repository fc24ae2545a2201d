"""Diagnostics and log files stations upload to ChargeNet, kept for operators.

A get_diagnostics command without a `location` gets an upload URL of its own,
`<base>/uploads/diagnostics/<token>/`, with a random token only that command knows
(stations/commands/service.py). The station sends its file there by HTTP PUT or a multipart
POST (stations/views/uploads.py); FTP is not offered.
"""

import os
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_valid_filename

from stations.models import DiagnosticsUpload

# A station retries an upload (GetDiagnostics retries/retryInterval), so one URL
# accepts files for a while, each replacing the last, then no more.
UPLOAD_WINDOW = timedelta(days=2)
DEFAULT_NAME = "diagnostics.bin"


def max_upload_bytes() -> int:
    return settings.DIAGNOSTICS_MAX_BYTES


def new_token() -> str:
    return secrets.token_urlsafe(32)


def configured_base_url() -> str:
    """CHARGENET_PUBLIC_URL: where stations reach ChargeNet over HTTP, if set."""
    return settings.CHARGENET_PUBLIC_URL


def upload_url(token: str, base_url: str | None = None) -> str:
    """The upload URL: on CHARGENET_PUBLIC_URL, else on `base_url` (the host an operator's
    request came to), else on localhost."""
    fallback = f"http://localhost:{settings.PORT}"
    base = configured_base_url() or base_url or fallback
    return base.rstrip("/") + reverse("diagnostics-upload", kwargs={"token": token})


class UploadRefused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def upload_for(token: str) -> DiagnosticsUpload:
    """The upload a token opens; UploadRefused(404) if unknown or too old."""
    upload = DiagnosticsUpload.objects.filter(token=token).select_related("command").first()
    if upload is None or upload.created_at < timezone.now() - UPLOAD_WINDOW:
        raise UploadRefused(404, "Unknown or expired upload URL.")
    return upload


def _safe_name(name: str) -> str:
    try:
        return get_valid_filename(os.path.basename(name or "")) or DEFAULT_NAME
    except SuspiciousFileOperation:  # nothing usable left, e.g. ".."
        return DEFAULT_NAME


@transaction.atomic
def diagnostics_upload_store(*, token: str, content, name: str) -> DiagnosticsUpload:
    """Keep a station's file under MEDIA_ROOT; a retried upload replaces the first."""
    upload = DiagnosticsUpload.objects.select_for_update(no_key=True).get(pk=upload_for(token).pk)
    filename = _safe_name(name)
    old = upload.file.name if upload.file else ""
    upload.file.save(filename, File(content), save=False)
    if old and old != upload.file.name:
        upload.file.storage.delete(old)
    upload.filename = filename
    upload.size = upload.file.size
    upload.uploaded_at = timezone.now()
    upload.save()
    return upload
