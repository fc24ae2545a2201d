"""OCPP 2.0.1 / 2.1 certificate messages a station sends: SignCertificate (A02/A03),
GetCertificateStatus (M06), Get15118EVCertificate (M01/M02) and the contract
certificate of an Authorize (C07). The answers come from stations/pki/."""

from stations.ocpp.dispatch import handles
from stations.pki.checks import (
    certificate_status_get,
    contract_certificate_get,
    contract_certificate_status,
)
from stations.pki.provider import ACCEPTED
from stations.pki.signing import certificate_sign_request

# SignCertificate refusals as statusInfo reason codes.
REASON_CODES = {"NoCA": "NoCA", "InvalidCSR": "InvalidCSR", "UnsupportedType": "InvalidType"}


class V201Certificates:
    """Mixed into the 2.x adapters (they give `run` and `results`)."""

    async def contract_status(self, id_token: dict, payload: dict) -> str | None:
        """An Authorize's certificateStatus, or None when it names no contract
        certificate (then the answer has none either)."""
        hash_data = payload.get("iso15118_certificate_hash_data")
        certificate = payload.get("certificate")
        if not hash_data and not certificate:
            return None
        return await self.run(
            contract_certificate_status,
            id_token=id_token["id_token"],
            hash_data=hash_data,
            certificate=certificate or "",
        )

    @staticmethod
    def with_certificate_status(info: dict, certificate_status: str | None) -> dict:
        """C07.FR.16: a contract certificate that is not valid refuses the token."""
        if certificate_status not in (None, ACCEPTED) and info["status"] == "Accepted":
            return {**info, "status": "Invalid"}
        return info

    @handles("SignCertificate")
    async def on_sign_certificate(self, csr, **kw):
        answer = await self.run(
            certificate_sign_request, csr=csr, certificate_type=kw.get("certificate_type", "")
        )
        if answer.status == "Accepted":
            return self.results.SignCertificate(status="Accepted")
        return self.results.SignCertificate(
            status="Rejected",
            status_info={"reason_code": REASON_CODES.get(answer.reason, "Rejected")},
        )

    @handles("GetCertificateStatus")
    async def on_get_certificate_status(self, ocsp_request_data, **kw):
        answer = await self.run(certificate_status_get, ocsp_request_data=ocsp_request_data)
        if answer.status == "Accepted":
            return self.results.GetCertificateStatus(
                status="Accepted", ocsp_result=answer.ocsp_result
            )
        return self.results.GetCertificateStatus(status="Failed")

    @handles("Get15118EVCertificate")
    async def on_get_15118_ev_certificate(self, iso15118_schema_version, action, exi_request, **kw):
        answer = await self.run(
            contract_certificate_get,
            exi_request=exi_request,
            iso15118_schema_version=iso15118_schema_version,
            action=action,
        )
        # exiResponse is required even when Failed; an empty one says there is none.
        return self.results.Get15118EVCertificate(
            status=answer.status, exi_response=answer.exi_response
        )
