"""Certificates: ChargeNet's certificate authority and the certificate-status provider.

- authority: the configured CA; a station's CSR checked (OCPP 2.0.1 A02/A03) and signed
- signing: SignCertificate as a service: the CSR signed, the certificate stored, and its
  CertificateSigned queued to be sent after the answer
- delivery: CertificateSigned sent to the station as a tracked command
- provider: the certificate-status provider interface (OCSP, ISO 15118 contract
  certificates) and the configured one (OCPP_CERTIFICATE_PROVIDER)
- local: the default provider, real OCSP over HTTP and a contract-certificate service
- checks: what the OCPP adapters ask of the provider, kept as station events

Version-neutral like stations/services/: nothing here knows the OCPP version.
"""
