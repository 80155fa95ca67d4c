"""Forms of the routing admin: conditions checked as the engine will read them, choices kept to the
organization being edited, and the small forms of the Publish and Simulate pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..engine.types import Op, as_decimal
from ..models import Condition, Rep, Rule
from ..models.rules import OP_LABELS
from ..rulesets import condition_value
from ..simulation import DEFAULT_LIMIT, MAX_LIMIT

VALUE_HELP = (
    "'Is one of' / 'is none of': a comma-separated list, e.g. <code>DE, AT, CH</code>. "
    "'Between': <code>low..high</code>, both included, e.g. <code>1000..50000</code>. "
    "'Greater than', 'less than' (or equal to): a number. Empty for 'is empty' / 'is not empty'. "
    "Text compares ignoring case."
)
NUMERIC_OPS = frozenset({Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN})


class ValueInput(forms.TextInput):
    """A text input that suggests the organization's known values with their CRM labels (an HTML
    ``datalist``: the browser lists "PARTNER — Partner · Source" as staff type; no script needed)."""

    def __init__(self, suggestions: list[tuple[str, str]], attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.suggestions = suggestions

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if not self.suggestions:
            return super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id') or name}-values"
        field = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join("", '<option value="{}">{}</option>', self.suggestions)
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


class ConditionForm(forms.ModelForm):
    class Meta:
        model = Condition
        fields = ["field", "op", "value"]
        help_texts = {"value": VALUE_HELP}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        op, text = cleaned.get("op"), cleaned.get("value", "")
        if not op:
            return cleaned
        try:
            value = condition_value(op, text)
        except ValidationError as error:
            self.add_error("value", error)
            return cleaned
        problem = value_problem(Op(op), value)
        if problem:
            self.add_error("value", problem)
        return cleaned


def value_problem(op: Op, value: Any) -> str:
    """Why a typed condition value cannot work with ``op`` ("" when it can)."""
    if op in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        return ""
    if op in (Op.IN, Op.NOT_IN) and not value:
        return "List at least one value, comma-separated."
    if op in NUMERIC_OPS:
        items = value if isinstance(value, list) else [value]
        bad = [item for item in items if as_decimal(item) is None]
        if bad:
            return f"'{bad[0]}' is not a number ('{OP_LABELS[op]}' compares numbers)."
        if op == Op.BETWEEN and as_decimal(items[0]) > as_decimal(items[1]):
            return f"The low end {items[0]} is above the high end {items[1]}."
    elif value in ("", None):
        return "Give a value to compare with."
    return ""


class OrganizationScopedForm(forms.ModelForm):
    """Limits rep/team choices to one organization (``organization_id()``, None: not known yet)
    and refuses, on save, reps or teams of another organization.

    It narrows the choices the admin gave the field (those of the user's organizations,
    crm_integrations/admin_scoping.py), never widens them: a rule set of another organization named
    in the add page's query string cannot bring its reps into the choices."""

    scoped_fields: tuple[str, ...] = ()  # rep/team fields, each with an organization

    def organization_id(self) -> int | None:
        raise NotImplementedError

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization_id = self.organization_id()
        if organization_id is None:
            return
        for name in self.scoped_fields:
            if name in self.fields:
                self.fields[name].queryset = self.fields[name].queryset.filter(
                    organization_id=organization_id
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        organization_id = self.organization_id()
        for name in self.scoped_fields:
            strangers = [item for item in cleaned.get(name) or () if item.organization_id != organization_id]
            if organization_id is not None and strangers:
                self.add_error(name, f"{strangers[0]} belongs to another organization.")
        return cleaned


class RuleForm(OrganizationScopedForm):
    scoped_fields = ("pool_reps", "pool_teams", "fallback_reps", "fallback_teams")

    class Meta:
        model = Rule
        fields = [
            "ruleset",
            "name",
            "enabled",
            "match",
            "strategy",
            "pool_strategy",
            "pool_reps",
            "pool_teams",
            "fallback_reps",
            "fallback_teams",
        ]

    def organization_id(self) -> int | None:
        ruleset = self.cleaned_data.get("ruleset") if hasattr(self, "cleaned_data") else None
        ruleset = ruleset or (self.instance.ruleset if self.instance.ruleset_id else None)
        if ruleset is None and self.initial.get("ruleset") and "ruleset" in self.fields:
            ruleset = self.fields["ruleset"].queryset.filter(pk=self.initial["ruleset"]).first()
        return ruleset.organization_id if ruleset is not None else None


class RepForm(OrganizationScopedForm):
    scoped_fields = ("teams",)

    class Meta:
        model = Rep
        fields = [
            "organization",
            "name",
            "email",
            "active",
            "capacity",
            "weight",
            "teams",
            "working_hours",
            "time_zone",
        ]

    def organization_id(self) -> int | None:
        if hasattr(self, "cleaned_data") and self.cleaned_data.get("organization"):
            return self.cleaned_data["organization"].pk
        return self.instance.organization_id


class PublishForm(forms.Form):
    note = forms.CharField(
        max_length=255, required=False, help_text="What this version is for (shown with the version)"
    )


class SimulateForm(forms.Form):
    limit = forms.IntegerField(
        label="Leads",
        min_value=1,
        max_value=MAX_LIMIT,
        initial=DEFAULT_LIMIT,
        help_text="Run the draft on this many of the organization's newest leads",
    )
