"""A station's reported configuration (2.0.1 device model, 1.6 configuration keys)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.network import ChargingStation


class DeviceModelVariable(models.Model):
    """A station's reported configuration: one attribute of one component variable.

    OCPP 2.0.1 reports a device model (component, variable, attribute type); a 1.6
    configuration key is kept as the variable of a component named after the version.
    """

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="device_model"
    )
    component = models.CharField(max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    # 0: the component is not specific to one EVSE / connector.
    evse_id = models.PositiveIntegerField(default=0)
    connector_id = models.PositiveIntegerField(default=0)
    variable = models.CharField(max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    attribute_type = models.CharField(max_length=10, default="Actual")
    value = models.TextField(blank=True)
    mutability = models.CharField(max_length=10, blank=True)
    data_type = models.CharField(max_length=20, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    # The variable's characteristics and the attribute's flags (2.0.1 NotifyReport);
    # None where the station did not say.
    min_limit = models.FloatField(null=True, blank=True)
    max_limit = models.FloatField(null=True, blank=True)
    values_list = models.TextField(blank=True)
    supports_monitoring = models.BooleanField(null=True, blank=True)
    persistent = models.BooleanField(null=True, blank=True)
    constant = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["component", "component_instance", "variable", "variable_instance"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "station",
                    "component",
                    "component_instance",
                    "evse_id",
                    "connector_id",
                    "variable",
                    "variable_instance",
                    "attribute_type",
                ],
                name="device_model_variable_unique",
            )
        ]
        verbose_name = _("device model variable")
        verbose_name_plural = _("device model")

    def __str__(self) -> str:
        return f"{self.component}.{self.variable} = {self.value}"


class VariableMonitor(models.Model):
    """A monitor a station holds on one component variable (OCPP 2.0.1 monitoring).

    Written from the station's answer to SetVariableMonitoring and from its
    NotifyMonitoringReport; a monitor the station cleared is deleted.
    """

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="variable_monitors"
    )
    monitor_id = models.IntegerField(_("monitor id"))
    component = models.CharField(_("component"), max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    evse_id = models.PositiveIntegerField(default=0)
    connector_id = models.PositiveIntegerField(default=0)
    variable = models.CharField(_("variable"), max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    type = models.CharField(_("type"), max_length=30)
    value = models.FloatField(_("value"))
    severity = models.PositiveSmallIntegerField(_("severity"))
    transaction = models.BooleanField(_("during transactions only"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["component", "variable", "monitor_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "monitor_id"], name="variable_monitor_unique"
            )
        ]
        verbose_name = _("variable monitor")
        verbose_name_plural = _("variable monitors")

    def __str__(self) -> str:
        return f"{self.component}.{self.variable} {self.type} {self.value} (#{self.monitor_id})"
