"""field_mapping reads the providers' lead objects, associations and default mappings through the
registry (field_mapping/providers.py) and holds no table per provider."""

from __future__ import annotations

import pytest

from crm_integrations.core.default_mapping import DefaultMapping, DefaultRule
from field_mapping.models import CanonicalField, Outcome, Transform
from field_mapping.providers import as_spec, default_mapping, lead_object_types, provider_associations


def test_what_each_provider_describes_is_what_the_mapping_gets():
    assert lead_object_types("hubspot") == ("leads", "contacts")
    assert lead_object_types("monday") == ("items",)
    assert provider_associations("hubspot")["leads"] == {"contacts", "companies", "deals"}
    assert provider_associations("monday") == {}  # no hops: the item is the whole lead
    assert default_mapping("monday", "items").status_map["Excluded"] is Outcome.EXCLUDED
    assert default_mapping("hubspot", "contacts") is None  # a lead object without a default


def test_an_unregistered_provider_has_nothing():
    assert lead_object_types("pipedrive") == ()
    assert provider_associations("pipedrive") is None  # validation then trusts the fields given
    assert default_mapping("pipedrive", "leads") is None


def test_a_default_becomes_a_spec_of_the_mappings_own_choices():
    spec = as_spec(
        DefaultMapping("deals", (DefaultRule("amount", "amount", "number"),), "stage", {"won": "won"})
    )
    rule = spec.rules[0]
    assert (rule.canonical_field, rule.transform) == (CanonicalField.AMOUNT, Transform.NUMBER)
    assert isinstance(rule.canonical_field, CanonicalField) and spec.status_map == {"won": Outcome.WON}


@pytest.mark.parametrize(
    "default",
    [
        DefaultMapping("deals", (DefaultRule("budget", "amount"),)),
        DefaultMapping("deals", (DefaultRule("amount", "amount", "currency"),)),
        DefaultMapping("deals", status_map={"won": "victory"}),
    ],
)
def test_a_provider_spelling_a_value_the_mapping_does_not_know_is_refused(default):
    with pytest.raises(ValueError):
        as_spec(default)
