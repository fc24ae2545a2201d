"""The local authorisation list each station holds, as ChargeNet last sent it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from stations.models.commands import Command
from stations.models.network import ChargingStation


class LocalAuthList(models.Model):
    """The local authorisation list a station holds, as ChargeNet last sent it."""

    station = models.OneToOneField(
        ChargingStation, on_delete=models.CASCADE, related_name="local_list"
    )
    # The list version the station accepted last; 0: no list sent yet.
    version = models.IntegerField(_("list version"), default=0)
    # value -> {"status", "expires_at", "parent", "type"}: what the station holds, so
    # a differential update sends only what changed since.
    entries = models.JSONField(default=dict, blank=True)
    needs_sync = models.BooleanField(_("needs sync"), default=False, db_index=True)
    last_status = models.CharField(_("last answer"), max_length=20, blank=True)
    last_command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    synced_at = models.DateTimeField(_("synchronised"), null=True, blank=True)

    class Meta:
        verbose_name = _("local authorisation list")
        verbose_name_plural = _("local authorisation lists")

    def __str__(self) -> str:
        return f"{self.station_id} v{self.version}"
