"""Which server processes are alive: a renewable lease per process.

Each daphne process renews its row every third of OCPP_PING_INTERVAL; a station's
`connection_process` names the lease of the process holding its socket. A process
killed without a word (kill -9, a machine lost) stops renewing: once its lease has
expired, any other process marks its stations offline (stations/services/connections.py).
"""

from django.db import models


class ServerLease(models.Model):
    name = models.CharField(max_length=120, unique=True)  # host:pid:random
    started_at = models.DateTimeField()
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
