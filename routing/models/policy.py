"""Per-organization routing settings (route-if filters, tasks, SLA, KPI weights) and the rotation
state every routing transaction locks."""

from __future__ import annotations

from django.db import models

from crm_integrations.models import Organization

from ..engine.types import OwnerPolicy


class RoutingPolicy(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="routing_policy")
    enabled = models.BooleanField(default=True, help_text="Route leads as they are taken in")
    owner_policy = models.CharField(
        max_length=30,
        choices=[
            (OwnerPolicy.UNOWNED_ONLY.value, "Only leads without an owner"),
            (OwnerPolicy.UNOWNED_OR_UNAVAILABLE.value, "Leads without an owner or whose owner is inactive"),
            (OwnerPolicy.ALWAYS.value, "Every lead, whatever its owner"),
        ],
        default=OwnerPolicy.UNOWNED_ONLY.value,
    )
    placeholder_owner_ids = models.CharField(
        max_length=1000,
        blank=True,
        help_text="CRM owner ids of queues/placeholders (count as no owner), comma-separated",
    )
    excluded_sources = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Canonical sources never routed, comma-separated (e.g. PARTNER)",
    )
    create_tasks = models.BooleanField(
        default=False, help_text="Create a follow-up task for the rep in the CRM (where the CRM has tasks)"
    )
    task_due_minutes = models.PositiveIntegerField(
        default=60, help_text="The lead's SLA: the task is due then"
    )
    sla_reroute_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Re-route a lead still untouched after this long; empty: never"
    )
    kpi_win_rate_weight = models.FloatField(default=0.5)
    kpi_load_weight = models.FloatField(default=0.3)
    kpi_speed_weight = models.FloatField(default=0.2)

    class Meta:
        verbose_name = "routing policy"
        verbose_name_plural = "routing policies"

    def __str__(self) -> str:
        return f"Routing policy of {self.organization}"


class RoutingState(models.Model):
    """Round-robin positions of one organization; its row lock serializes routing decisions there,
    so two workers never break the rotation or overfill a rep."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="routing_state")
    rotation_last = models.JSONField(default=dict, blank=True)
    rotation_credits = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Routing state of {self.organization}"
