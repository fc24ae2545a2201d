"""CertificateSigned: a certificate ChargeNet issued, sent to its station as a command.

Apart from signing.py because sending imports the command service, which imports the
OCPP adapters, which call signing: the task (stations/tasks.py) is what joins them.
"""

from stations.commands import service as commands
from stations.models import Command, IssuedCertificate
from stations.ocpp.requests import CommandError


def signed_certificate_send(*, issued_pk: int) -> Command | None:
    """Send the certificate chain and store the command on the certificate's row.

    None when the certificate was delivered already (a retried task sends it once).
    """
    issued = IssuedCertificate.objects.select_related("station").get(pk=issued_pk)
    if issued.command_id is not None:
        return None
    params = {
        "certificate_chain": issued.certificate_chain,
        "certificate_type": issued.certificate_type,
    }
    try:
        command = commands.send_command(issued.station, "certificate_signed", params)
    except CommandError:
        # The station's version cannot take this type (1.6 has no V2G certificate);
        # signing.py never accepts one for it, so this is a station that changed version.
        return None
    issued.command = command
    issued.save(update_fields=["command"])
    return command
