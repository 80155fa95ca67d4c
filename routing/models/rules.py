"""Rule sets: the draft staff edit (``Rule`` + ``Condition`` rows) and the versions they publish.

Routing always runs the latest ``RuleSetVersion``: an immutable snapshot of the draft taken at
publish time, with who published it, when, and what changed against the version before.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from crm_integrations.models import Organization

from ..engine.types import Match, Op, Strategy
from .reps import Rep, Team

#: Canonical lead fields a condition can test (``email_domain`` is derived from ``email``).
CONDITION_FIELDS = (
    ("source", "Source"),
    ("industry", "Industry"),
    ("country", "Country"),
    ("amount", "Amount"),
    ("lead_type", "Lead type"),
    ("company", "Company"),
    ("email", "Email"),
    ("email_domain", "Email domain"),
    ("name", "Name"),
    ("status", "Status"),
)


#: Operators as staff read them (the engine's codes are the stored values).
OP_LABELS = {
    Op.EQUALS: "equals",
    Op.NOT_EQUALS: "does not equal",
    Op.IN: "is one of",
    Op.NOT_IN: "is none of",
    Op.CONTAINS: "contains",
    Op.NOT_CONTAINS: "does not contain",
    Op.STARTS_WITH: "starts with",
    Op.GT: "greater than",
    Op.GTE: "greater than or equal to",
    Op.LT: "less than",
    Op.LTE: "less than or equal to",
    Op.BETWEEN: "between",
    Op.IS_EMPTY: "is empty",
    Op.IS_NOT_EMPTY: "is not empty",
}
STRATEGY_LABELS = {
    Strategy.ROUND_ROBIN: "Round robin",
    Strategy.WEIGHTED_ROUND_ROBIN: "Weighted round robin",
    Strategy.BEST_SCORE: "Best KPI score",
    Strategy.LEAST_LOADED: "Fewest open leads",
    Strategy.ACCOUNT_OWNER: "Account owner first",
}
MATCH_LABELS = {Match.ALL: "All conditions", Match.ANY: "Any condition"}


def strategy_label(code: str) -> str:
    """A strategy as staff read it (``round_robin`` → ``Round robin``); "" for none."""
    return STRATEGY_LABELS.get(code, code.replace("_", " ").capitalize()) if code else ""


class RuleSet(models.Model):
    """One organization's ordered rules (the draft), published as numbered versions."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="rule_set")
    name = models.CharField(max_length=120, default="Lead routing")
    draft_updated_at = models.DateTimeField(auto_now=True)
    draft_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"


class Rule(models.Model):
    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    key = models.UUIDField(default=uuid.uuid4, editable=False, help_text="Stable across versions")
    position = models.PositiveIntegerField(
        default=0, help_text="Rules are tried in this order; set it with Move up/down on the rule set page"
    )
    name = models.CharField(max_length=120)
    enabled = models.BooleanField(
        default=True, help_text="A disabled rule stays in the draft but is not tried"
    )
    match = models.CharField(
        "which leads",
        max_length=3,
        choices=list(MATCH_LABELS.items()),
        default="all",
        help_text="A lead must meet all of the conditions, or any one of them",
    )
    strategy = models.CharField(
        "how the pool shares leads",
        max_length=30,
        choices=list(STRATEGY_LABELS.items()),
        default="round_robin",
    )
    pool_strategy = models.CharField(
        "when the account owner cannot take the lead",
        max_length=30,
        choices=[(s, label) for s, label in STRATEGY_LABELS.items() if s != Strategy.ACCOUNT_OWNER],
        default="round_robin",
        help_text=(
            "With 'Account owner first': how the pool shares the leads whose account owner cannot take "
            "them (inactive, away, out of hours or at capacity) or that match no account"
        ),
    )
    pool_reps = models.ManyToManyField(Rep, blank=True, related_name="+")
    pool_teams = models.ManyToManyField(Team, blank=True, related_name="+")
    fallback_reps = models.ManyToManyField(Rep, blank=True, related_name="+")
    fallback_teams = models.ManyToManyField(Team, blank=True, related_name="+")

    class Meta:
        ordering = ["ruleset", "position", "id"]

    def __str__(self) -> str:
        return self.name


class Condition(models.Model):
    """``field op value``; lists (``in``, ``not in``) are comma-separated, ``between`` is ``low..high``."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=30, choices=CONDITION_FIELDS)
    op = models.CharField("operator", max_length=20, choices=list(OP_LABELS.items()))
    value = models.CharField(max_length=2000, blank=True)

    class Meta:
        ordering = ["rule", "id"]

    def __str__(self) -> str:
        """``Country is one of DE, AT``: the field and operator in words."""
        return f"{self.get_field_display()} {self.get_op_display()} {self.value}".strip()


class RuleSetVersion(models.Model):
    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField(help_text="The rules as published (what routing runs)")
    changes = models.JSONField(default=list, blank=True, help_text="What changed against the version before")
    note = models.CharField(max_length=255, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ruleset", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "number"], name="unique_version_number"),
        ]

    def __str__(self) -> str:
        return f"v{self.number} of {self.ruleset.name}"
