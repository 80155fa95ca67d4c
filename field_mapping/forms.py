"""The mapping wizard's form: one row per canonical field, the status source and its table.

``MappingWizardForm`` turns a ``MappingSpec`` into form data (``from_spec``) and posted data back
into a ``MappingSpec`` (``spec``). It checks only what a form can (the transform's settings, choices); whether
the paths exist and convert is ``validate_mapping``'s job, against the CRM's live properties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms import formset_factory

from crm_integrations.core.types import CrmField

from .catalogue import PropertyCatalogue
from .mapping import MappingSpec, RuleSpec
from .models import CanonicalField, Outcome, Transform
from .validation import Problem

#: The rows of the form: every canonical field fed by a rule (status has its own section).
RULE_FIELDS = tuple(name for name in CanonicalField if name != CanonicalField.STATUS)


class MappingHeaderForm(forms.Form):
    object_type = forms.CharField(max_length=60, label="Lead object")
    status_source = forms.CharField(
        max_length=255,
        required=False,
        label="Status property",
        help_text="The CRM property whose values say whether a lead is open, won, lost or excluded",
        widget=forms.TextInput(attrs={"list": "crm-properties", "size": 40}),
    )
    status_default = forms.ChoiceField(
        choices=[("", "None: an unmapped value is a mapping error"), *Outcome.choices],
        required=False,
        label="Outcome of any other value",
    )


class RuleForm(forms.Form):
    """One canonical field: an empty path leaves the field unmapped. The transform's settings are
    plain fields (a value map as "CRM value = value" lines, a fallback, a default, a date format),
    turned into ``RuleSpec.options`` by ``clean`` and back by ``initial_for``."""

    source_path = forms.CharField(
        max_length=255,
        required=False,
        label="CRM property",
        widget=forms.TextInput(attrs={"list": "crm-properties", "size": 32, "class": "source-path"}),
    )
    transform = forms.ChoiceField(choices=Transform.choices, initial=Transform.AS_IS, label="Transform")
    value_map = forms.CharField(
        required=False,
        label="Value map",
        help_text="One per line: CRM value = value",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30, "class": "rule-option"}),
    )
    fallback = forms.CharField(
        max_length=255,
        required=False,
        label="Any other value becomes",
        help_text="Blank: a value not in the map is a mapping error",
        widget=forms.TextInput(attrs={"size": 20, "class": "rule-option"}),
    )
    default = forms.CharField(
        max_length=255,
        required=False,
        label="Value when empty",
        widget=forms.TextInput(attrs={"size": 20, "class": "rule-option"}),
    )
    date_format = forms.CharField(
        max_length=60,
        required=False,
        label="Date format",
        help_text="e.g. %d/%m/%Y; ISO dates and epoch milliseconds are always read",
        widget=forms.TextInput(attrs={"size": 12, "class": "rule-option"}),
    )

    #: Each setting and the transform it belongs to (the page shows only the chosen transform's).
    SETTINGS = {
        "value_map": Transform.VALUE_MAP,
        "fallback": Transform.VALUE_MAP,
        "default": Transform.DEFAULT,
        "date_format": Transform.DATE,
    }

    @staticmethod
    def initial_for(rule: RuleSpec | None) -> dict[str, Any]:
        if rule is None:
            return {"transform": Transform.AS_IS}
        options = rule.options or {}
        table = options.get("map") or {}
        return {
            "source_path": rule.source_path,
            "transform": rule.transform,
            "value_map": "\n".join(f"{key} = {value}" for key, value in sorted(table.items())),
            "fallback": options.get("fallback") or "",
            "default": options.get("default") or "",
            "date_format": options.get("format") or "",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        transform = data.get("transform")
        options: dict[str, Any] = {}
        if not (data.get("source_path") or "").strip():
            data["options"] = options  # an unmapped field: its settings do not matter
            return data
        if transform == Transform.VALUE_MAP:
            options["map"] = self._value_map(data.get("value_map") or "")
            if (data.get("fallback") or "").strip():
                options["fallback"] = data["fallback"].strip()
        elif transform == Transform.DEFAULT:
            if not (data.get("default") or "").strip():
                self.add_error("default", "Say which value an empty property becomes.")
            options["default"] = (data.get("default") or "").strip()
        elif transform == Transform.DATE and (data.get("date_format") or "").strip():
            fmt = data["date_format"].strip()
            if "%" not in fmt:
                self.add_error("date_format", "A date format uses codes such as %d/%m/%Y.")
            options["format"] = fmt
        data["options"] = options
        return data

    def _value_map(self, text: str) -> dict[str, str]:
        table: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            crm_value, equals, value = line.partition("=")
            if not equals or not crm_value.strip():
                self.add_error("value_map", f"Line {number} is not “CRM value = value”: {line.strip()}")
                continue
            table[crm_value.strip()] = value.strip()
        if not table and not self.errors.get("value_map"):
            self.add_error("value_map", "A value map needs at least one line “CRM value = value”.")
        return table


class StatusRowForm(forms.Form):
    crm_value = forms.CharField(max_length=255, required=False, label="CRM value")
    outcome = forms.ChoiceField(choices=[("", "— not mapped —"), *Outcome.choices], required=False)


#: Blank status rows offered for values the CRM does not list as options.
EXTRA_STATUS_ROWS = 2
StatusRowFormSet = formset_factory(StatusRowForm, extra=EXTRA_STATUS_ROWS)


@dataclass
class RuleRow:
    """What the template shows for one canonical field: its form, the CRM property its path names
    (None when the CRM lists none such) and the validation problems about it."""

    name: str
    label: str
    form: RuleForm
    crm_field: CrmField | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def option_fields(self) -> list[tuple[str, forms.BoundField]]:
        """``(transform, bound field)`` of each transform setting, in the form's order."""
        return [(transform, self.form[name]) for name, transform in RuleForm.SETTINGS.items()]


class MappingWizardForm:
    """The header form, one ``RuleForm`` per canonical field (prefix = field) and the status rows."""

    def __init__(self, data: Mapping[str, Any] | None = None, initial: MappingSpec | None = None) -> None:
        spec = initial or MappingSpec(object_type="")
        self.data = data
        self.header = MappingHeaderForm(
            data,
            initial={
                "object_type": spec.object_type,
                "status_source": spec.status_source,
                "status_default": spec.status_default,
            },
        )
        self.rules: dict[str, RuleForm] = {}
        for name in RULE_FIELDS:
            rule = spec.rule_for(name)
            self.rules[name] = RuleForm(data, prefix=f"rule-{name}", initial=RuleForm.initial_for(rule))
        rows = [{"crm_value": value, "outcome": outcome} for value, outcome in spec.status_map.items()]
        self.status = StatusRowFormSet(data, prefix="status", initial=rows)

    @classmethod
    def from_spec(cls, spec: MappingSpec, catalogue: PropertyCatalogue | None = None) -> MappingWizardForm:
        """An unbound form showing ``spec``; the status table lists the status property's options."""
        return cls(initial=with_status_options(spec, catalogue))

    # -- reading the post --------------------------------------------------------------------------

    def is_valid(self) -> bool:
        return all(
            [self.header.is_valid(), *(f.is_valid() for f in self.rules.values()), self.status.is_valid()]
        )

    @property
    def error_messages(self) -> list[str]:
        """Every form error as "<where>: <message>" (after ``is_valid``)."""
        found = [f"{name}: {m}" for name, ms in self.header.errors.items() for m in ms]
        for name, form in self.rules.items():
            found += [f"{name} {part}: {m}" for part, ms in form.errors.items() for m in ms]
        for form in self.status.forms:
            found += [f"status {part}: {m}" for part, ms in form.errors.items() for m in ms]
        found += [f"status: {m}" for m in self.status.non_form_errors()]
        return found

    def spec(self) -> MappingSpec:
        """The posted mapping (call ``is_valid`` first). Unmapped fields and outcomes are left out."""
        header = self.header.cleaned_data
        rules = tuple(
            RuleSpec(
                name,
                form.cleaned_data["source_path"].strip(),
                form.cleaned_data["transform"],
                form.cleaned_data["options"],
            )
            for name, form in self.rules.items()
            if form.cleaned_data.get("source_path", "").strip()
        )
        status_map: dict[str, str] = {}
        for form in self.status.forms:
            value = (form.cleaned_data.get("crm_value") or "").strip()
            outcome = form.cleaned_data.get("outcome") or ""
            if value and outcome:
                status_map[value] = outcome
        return MappingSpec(
            object_type=header["object_type"].strip(),
            rules=rules,
            status_source=header["status_source"].strip(),
            status_map=status_map,
            status_default=header["status_default"],
        )

    # -- for the template ---------------------------------------------------------------------------

    def rule_rows(
        self, catalogue: PropertyCatalogue | None = None, problems: Iterable[Problem] = ()
    ) -> list[RuleRow]:
        by_field: dict[str, list[Problem]] = {}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem)
        rows = []
        for name, form in self.rules.items():
            path = (form["source_path"].value() or "").strip()
            crm_field = catalogue.field_at(path) if catalogue and path else None
            rows.append(RuleRow(name, CanonicalField(name).label, form, crm_field, by_field.get(name, [])))
        return rows

    def status_rows(self, catalogue: PropertyCatalogue | None) -> list[tuple[StatusRowForm, str]]:
        """Each status row with the CRM's label for its value ("" when the CRM lists none)."""
        status_source = self.header["status_source"].value() or ""
        labels = status_labels(catalogue, status_source.strip())
        return [(form, labels.get(form["crm_value"].value() or "", "")) for form in self.status.forms]


def with_status_options(spec: MappingSpec, catalogue: PropertyCatalogue | None) -> MappingSpec:
    """``spec`` whose status table lists every option of its status property (the CRM's order, with
    the outcome chosen so far, blank when none), then the values the CRM does not list."""
    options = ()
    if catalogue is not None and spec.status_source:
        crm_field = catalogue.field_at(spec.status_source)
        options = crm_field.options if crm_field else ()
    ordered = {option.value: spec.status_map.get(option.value, "") for option in options}
    for value, outcome in spec.status_map.items():
        ordered.setdefault(value, outcome)
    return MappingSpec(
        object_type=spec.object_type,
        rules=spec.rules,
        status_source=spec.status_source,
        status_map=ordered,
        status_default=spec.status_default,
    )


def status_labels(catalogue: PropertyCatalogue | None, status_source: str) -> dict[str, str]:
    """CRM value -> label of the status property's options (to show next to each value)."""
    if catalogue is None or not status_source:
        return {}
    crm_field = catalogue.field_at(status_source)
    return {option.value: option.label for option in crm_field.options} if crm_field else {}
