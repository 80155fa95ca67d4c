"""Conditions and the engine's reasons in the CRM's words (routing/condition_text.py)."""

import pytest

from field_mapping.labels import LabelBook
from routing.condition_text import condition_text, reason_text, value_suggestions
from routing.models import Condition

BOOK = LabelBook(
    {
        "source": {"PAID_ADS": "Paid ads", "WEBSITE": "Website"},
        "industry": {"HOSPITAL_HEALTH_CARE": "Hospital & health care"},
    }
)


@pytest.mark.parametrize(
    ("field", "op", "value", "shown"),
    [
        ("source", "equals", "PAID_ADS", "Source equals Paid ads"),
        ("source", "in", "WEBSITE, PAID_ADS, EVENT", "Source is one of Website, Paid ads, EVENT"),
        ("industry", "not_in", "HOSPITAL_HEALTH_CARE", "Industry is none of Hospital & health care"),
        ("amount", "between", "1000..5000", "Amount between 1000 and 5000"),
        ("company", "contains", "WEBSITE", "Company contains WEBSITE"),  # a fragment is never relabelled
        ("source", "is_empty", "", "Source is empty"),
    ],
)
def test_a_condition_reads_with_the_crms_labels(field, op, value, shown):
    assert condition_text(Condition(field=field, op=op, value=value), BOOK) == shown


def test_the_engines_reasons_show_the_leads_value_and_the_list_by_label():
    assert reason_text("source 'WEBSITE' is not excluded", BOOK) == "source 'Website' is not excluded"
    assert reason_text("industry 'HOSPITAL_HEALTH_CARE' not in [HOSPITAL_HEALTH_CARE, RETAIL]", BOOK) == (
        "industry 'Hospital & health care' not in [Hospital & health care, RETAIL]"
    )
    assert reason_text("no conditions: matches every lead", BOOK) == "no conditions: matches every lead"
    assert reason_text("country 'FR' not in [DE, AT]", BOOK) == "country 'FR' not in [DE, AT]"


def test_suggestions_list_each_labelled_value_with_its_field():
    assert ("PAID_ADS", "Paid ads · Source") in value_suggestions(BOOK)
    assert ("HOSPITAL_HEALTH_CARE", "Hospital & health care · Industry") in value_suggestions(BOOK)
