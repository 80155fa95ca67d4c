"""The contract's status on the opportunity: the custom picklist ``LexiContract_Status__c``.

The contract workflow (contracts/status_out.py, contracts/status_in.py) names the status property
``lexicontract_status`` and its values by their codes (``in_review``); a Salesforce admin creates the
picklist with values as people read them (``In Review``: crm_integrations/salesforce/SETUP.md), and
Salesforce gives a new picklist value an API name equal to its label. So a code is written as its
words in title case, and a value read back is turned into a code again (``In Review`` and ``in_review``
both read as ``in_review``): no list of statuses is kept here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The contract workflow's name for the property, and the opportunity field behind it.
PROPERTY = "lexicontract_status"
FIELD = "LexiContract_Status__c"
FIELD_LABEL = "LexiContract Status"


def to_picklist(code: object) -> str:
    """``in_review`` -> ``In Review`` (an empty value clears the field)."""
    return " ".join(word.capitalize() for word in str(code or "").split("_") if word)


def from_picklist(value: object) -> str:
    """``In Review`` (or ``in_review``) -> ``in_review``; "" for an empty field."""
    return "_".join(str(value or "").lower().split())


def field_names(properties: list[str] | tuple[str, ...]) -> list[str]:
    """The contract workflow's property names as the opportunity's fields."""
    return [FIELD if name == PROPERTY else name for name in properties]


def to_salesforce(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Values to write: the status property becomes the picklist field with its value."""
    return {
        (FIELD if name == PROPERTY else name): (to_picklist(value) if name == PROPERTY else value)
        for name, value in properties.items()
    }


def from_salesforce(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Values read: the picklist field is also given as the status property, as a code."""
    found = dict(properties)
    if FIELD in found:
        found[PROPERTY] = from_picklist(found[FIELD])
    return found
