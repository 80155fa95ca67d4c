"""Per-organization routing settings (route-if filters, tasks, SLA, KPI weights) and the rotation
state every routing transaction locks."""

from __future__ import annotations

from django.db import models

from crm_integrations.models import Organization

from ..engine.types import OwnerPolicy


class RoutingPolicy(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="routing_policy")
    enabled = models.BooleanField(
        "routing on", default=True, help_text="Route leads as they are taken in; off: leads wait unowned"
    )
    owner_policy = models.CharField(
        "which leads to route",
        max_length=30,
        choices=[
            (OwnerPolicy.UNOWNED_ONLY.value, "Only leads without an owner"),
            (OwnerPolicy.UNOWNED_OR_UNAVAILABLE.value, "Leads without an owner or whose owner is inactive"),
            (OwnerPolicy.ALWAYS.value, "Every lead, whatever its owner"),
        ],
        default=OwnerPolicy.UNOWNED_ONLY.value,
    )
    placeholder_owner_ids = models.CharField(
        "placeholder owners",
        max_length=1000,
        blank=True,
        help_text=(
            "CRM users that stand for a queue, not a person: a lead they own counts as unowned "
            "(stored as the CRM's owner ids, comma-separated)"
        ),
    )
    placeholder_owner_names = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Names of the placeholder owners by CRM owner id, as the rep sync read them",
    )
    excluded_sources = models.CharField(
        "sources never routed",
        max_length=1000,
        blank=True,
        help_text="Lead sources left alone, comma-separated (e.g. PARTNER)",
    )
    create_tasks = models.BooleanField(
        "create follow-up tasks",
        default=False,
        help_text="Create a follow-up task for the rep in the CRM (where the CRM has tasks)",
    )
    task_due_minutes = models.PositiveIntegerField(
        "task due after (minutes)",
        default=60,
        help_text="The lead's SLA: the task is due this long after routing",
    )
    sla_reroute_minutes = models.PositiveIntegerField(
        "reroute after (minutes)",
        null=True,
        blank=True,
        help_text="Route a lead again when its status has not changed this long after routing; empty: never",
    )
    kpi_win_rate_weight = models.FloatField(
        "win-rate weight", default=0.5, help_text="Share of the rep's closed leads that were won"
    )
    kpi_load_weight = models.FloatField(
        "load weight", default=0.3, help_text="Room left below capacity (fewer open leads scores higher)"
    )
    kpi_speed_weight = models.FloatField(
        "speed weight", default=0.2, help_text="How soon the rep's leads first change status"
    )

    class Meta:
        verbose_name = "routing policy"
        verbose_name_plural = "routing policies"

    def __str__(self) -> str:
        return f"Routing policy of {self.organization}"


class RoutingState(models.Model):
    """Round-robin positions of one organization; its row lock serializes storing routing decisions
    there and ``revision`` counts the batches stored, so a batch decided before the lock (on SQLite)
    is decided again if another was stored meanwhile (routing/assign.py): two workers never break
    the rotation or overfill a rep."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="routing_state")
    rotation_last = models.JSONField(default=dict, blank=True)
    rotation_credits = models.JSONField(default=dict, blank=True)
    revision = models.PositiveBigIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Routing state of {self.organization}"
