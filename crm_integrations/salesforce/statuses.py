"""Lead Status values of an org (``LeadStatus``), and which one to write back for an outcome.

Status values are per-org picklist entries: a converted status means Won; "Closed - Not Converted"
(or any closed status the mapping says is Lost) means Lost. ``status_for`` picks the value to write with
``batch_update`` (``{"Status": ...}``), which Salesforce checks against the picklist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .api import SalesforceApi

QUERY = "SELECT ApiName, MasterLabel, IsConverted, IsDefault, SortOrder FROM LeadStatus ORDER BY SortOrder"
NOT_CONVERTED = "Closed - Not Converted"


@dataclass(frozen=True)
class LeadStatus:
    value: str
    label: str
    converted: bool
    default: bool


def lead_statuses(api: SalesforceApi) -> list[LeadStatus]:
    return [
        LeadStatus(
            value=str(body.get("ApiName") or body.get("MasterLabel") or ""),
            label=str(body.get("MasterLabel") or body.get("ApiName") or ""),
            converted=bool(body.get("IsConverted")),
            default=bool(body.get("IsDefault")),
        )
        for body in api.query(QUERY)
    ]


def status_outcomes(statuses: list[LeadStatus], mapped: Mapping[str, str]) -> dict[str, str]:
    """Each status value's outcome: as ``mapped`` says, else converted -> won, the default -> open."""
    outcomes = {}
    for status in statuses:
        if status.value in mapped:
            outcomes[status.value] = mapped[status.value]
        elif status.converted:
            outcomes[status.value] = "won"
        elif status.value == NOT_CONVERTED:
            outcomes[status.value] = "lost"
        else:
            outcomes[status.value] = "open"
    return outcomes


def status_for(statuses: list[LeadStatus], outcome: str, mapped: Mapping[str, str]) -> str | None:
    """The first status (in the org's order) that means ``outcome``; None when none does."""
    outcomes = status_outcomes(statuses, mapped)
    return next((status.value for status in statuses if outcomes[status.value] == outcome), None)
