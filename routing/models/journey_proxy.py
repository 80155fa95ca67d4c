"""The lead journey admin's model: a lead seen through routing (its timeline and decisions)."""

from __future__ import annotations

from field_mapping.models import Lead


class LeadJourney(Lead):
    class Meta:
        proxy = True
        verbose_name = "lead journey"
        verbose_name_plural = "lead journeys"
        permissions = [("reprocess_leadjourney", "Can reprocess leads (route them again)")]
