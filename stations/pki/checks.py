"""What a station asks of the certificate-status provider, as services the OCPP
adapters call (StationAdapter.run: a database thread, `station_pk` first).

Each question and its answer is kept as a station event, so an operator sees why an
EV was refused or a certificate not given.
"""

from stations.pki.provider import (
    ACCEPTED,
    CERTIFICATE_STATUSES,
    NO_CERTIFICATE_AVAILABLE,
    ContractAnswer,
    OcspAnswer,
    certificate_provider,
)
from stations.services.status import station_event_record


def certificate_status_get(*, station_pk: int, ocsp_request_data: dict) -> OcspAnswer:
    """GetCertificateStatus: the OCSP answer about one certificate, or Failed."""
    answer = certificate_provider().check_ocsp(ocsp_request_data)
    station_event_record(
        station_pk=station_pk,
        kind="CertificateStatus",
        status=answer.status,
        data={"serial_number": str(ocsp_request_data.get("serial_number", ""))[:40]},
    )
    return answer


def contract_certificate_get(
    *, station_pk: int, exi_request: str, iso15118_schema_version: str, action: str
) -> ContractAnswer:
    """Get15118EVCertificate: the EV's contract certificate (EXI), or Failed."""
    answer = certificate_provider().contract_certificate(
        exi_request, iso15118_schema_version, action
    )
    station_event_record(
        station_pk=station_pk,
        kind="15118EVCertificate",
        status=answer.status,
        data={"action": action, "schema": iso15118_schema_version},
    )
    return answer


def contract_certificate_status(
    *, station_pk: int, id_token: str, hash_data: list[dict] | None = None, certificate: str = ""
) -> str:
    """Authorize with a contract certificate (C07): its certificateStatus."""
    status = certificate_provider().contract_status(list(hash_data or []), certificate or "")
    if status not in CERTIFICATE_STATUSES:
        status = NO_CERTIFICATE_AVAILABLE  # a provider's mistake never reaches the station
    if status != ACCEPTED:
        station_event_record(
            station_pk=station_pk,
            kind="ContractCertificate",
            status=status,
            data={"id_token": id_token[:255]},
        )
    return status
