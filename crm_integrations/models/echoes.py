"""Writes we made to a CRM, kept a short while so the webhooks they cause are known as echoes."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from .connections import OrganizationIntegration


class OwnWrite(models.Model):
    """One property value we wrote on one CRM record (see ``crm_integrations.echoes``)."""

    connection = models.ForeignKey(OrganizationIntegration, on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=100)
    property_name = models.CharField(max_length=200)
    value = models.TextField(blank=True)
    written_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["connection", "object_type", "object_id"], name="own_write_record")]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}.{self.property_name} = {self.value}"
