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
