"""A throw-away PKI for tests, and the services a CSMS asks about it, on 127.0.0.1.

`TestPki` makes a root CA, a sub-CA (ChargeNet's CA: it signs stations' CSRs and
contract certificates), a valid contract certificate, a revoked one and an expired
one. `PkiServer` serves, over real HTTP, an OCSP responder (RFC 6960, POST at `/ocsp`)
that knows every certificate the PKI issued and answers revoked for the revoked one,
and a contract-certificate service (POST JSON at `/contract`, answering an EXI
response made from the request) in the shape stations/pki/local.py speaks.
"""

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

ORGANIZATION = "ChargeNet Test CSO"


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def name(common_name: str, organization: str = ORGANIZATION) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(
    subject, key, issuer=None, issuer_key=None, *, ca=False, ocsp_url="", days=365, start=None
):
    """A certificate for `key`'s public half; self-signed without an issuer."""
    start = start or datetime.now(UTC) - timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer_key or key, hashes.SHA256())


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def csr(common_name: str, organization: str = ORGANIZATION, key=None) -> str:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name(common_name, organization))
        .sign(key or new_key(), hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


def hash_data(certificate, issuer, responder_url: str) -> dict:
    """OCSPRequestDataType (snake_case, as the `ocpp` library takes it) for a certificate."""
    request = (
        ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256()).build()
    )
    return {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": request.issuer_name_hash.hex(),
        "issuer_key_hash": request.issuer_key_hash.hex(),
        "serial_number": format(certificate.serial_number, "x"),
        "responder_url": responder_url,
    }


class TestPki:
    __test__ = False  # not a test class

    def __init__(self, ocsp_url: str):
        self.root_key, self.sub_key = new_key(), new_key()
        self.root = issue(name("Test Root CA"), self.root_key, ca=True, days=3650)
        self.sub = issue(
            name("Test Sub-CA"), self.sub_key, self.root, self.root_key, ca=True, ocsp_url=ocsp_url
        )
        self.contract = issue(
            name("DEABCC123456789"), new_key(), self.sub, self.sub_key, ocsp_url=ocsp_url
        )
        self.revoked = issue(
            name("DEABCC000000001"), new_key(), self.sub, self.sub_key, ocsp_url=ocsp_url
        )
        self.expired = issue(
            name("DEABCC000000002"),
            new_key(),
            self.sub,
            self.sub_key,
            ocsp_url=ocsp_url,
            start=datetime.now(UTC) - timedelta(days=30),
            days=10,
        )
        self.issuers = {
            c.serial_number: (c, issuer, key)
            for c, issuer, key in (
                (self.sub, self.root, self.root_key),
                (self.contract, self.sub, self.sub_key),
                (self.revoked, self.sub, self.sub_key),
                (self.expired, self.sub, self.sub_key),
            )
        }
        self.revoked_serials = {self.revoked.serial_number}
        #: Answer "good" to everything, signed by a key of no CA here (an impostor).
        self.forge = False

    def write_ca(self, folder: Path) -> dict:
        """ChargeNet's settings for this PKI: the sub-CA signs, the root is trusted."""
        key = self.sub_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (folder / "ca.pem").write_text(pem(self.sub) + pem(self.root))
        (folder / "ca.key").write_bytes(key)
        (folder / "roots.pem").write_text(pem(self.root) + pem(self.sub))
        return {
            "OCPP_CA_CERT": folder / "ca.pem",
            "OCPP_CA_KEY": folder / "ca.key",
            "OCPP_CA_ORGANIZATION": ORGANIZATION,
            "OCPP_CONTRACT_ROOTS": folder / "roots.pem",
        }

    def ocsp_answer(self, body: bytes) -> bytes:
        request = ocsp.load_der_ocsp_request(body)
        known = self.issuers.get(request.serial_number)
        if known is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.UNAUTHORIZED
            ).public_bytes(serialization.Encoding.DER)
        certificate, issuer, issuer_key = known
        now = datetime.now(UTC)
        revoked = certificate.serial_number in self.revoked_serials and not self.forge
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=certificate,
            issuer=issuer,
            algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + timedelta(hours=1),
            revocation_time=now - timedelta(days=1) if revoked else None,
            revocation_reason=None,
        )
        if self.forge:
            impostor_key = new_key()
            impostor = issue(issuer.subject, impostor_key)
            builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, impostor)
            builder = builder.certificates([impostor])
            response = builder.sign(impostor_key, hashes.SHA256())
            return response.public_bytes(serialization.Encoding.DER)
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer)
        response = builder.sign(issuer_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)


def exi_response_for(exi_request: str) -> str:
    """What the test contract-certificate service answers to an EXI request."""
    return base64.b64encode(b"CertificateInstallationRes:" + exi_request.encode()).decode()


class PkiServer:
    """The OCSP responder and contract-certificate service, on a thread."""

    def __init__(self):
        self.requests: list[str] = []  # paths asked, in order
        self.pki: TestPki | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append(self.path)
                if self.path == "/ocsp":
                    answer, kind = server.pki.ocsp_answer(body), "application/ocsp-response"
                elif self.path == "/contract":
                    asked = json.loads(body)
                    answer = json.dumps(
                        {"status": "Accepted", "exiResponse": exi_response_for(asked["exiRequest"])}
                    ).encode()
                    kind = "application/json"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.pki = TestPki(self.url + "/ocsp")
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "PkiServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
