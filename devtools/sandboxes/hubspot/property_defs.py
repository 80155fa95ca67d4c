"""Property definitions (HubSpot's Properties API model) and the checks a written value must pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .timeutil import iso, parse_ms


def _options(*values: str) -> tuple[tuple[str, str], ...]:
    """Internal values -> (value, label) pairs, labels derived from the values."""
    return tuple((value, value.replace("_", " ").capitalize()) for value in values)


LIFECYCLE_STAGES = _options(
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
LEAD_STATUSES = _options(
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)
ANALYTICS_SOURCES = _options(
    "ORGANIC_SEARCH",
    "PAID_SEARCH",
    "EMAIL_MARKETING",
    "SOCIAL_MEDIA",
    "REFERRALS",
    "OTHER_CAMPAIGNS",
    "DIRECT_TRAFFIC",
    "OFFLINE",
    "PAID_SOCIAL",
)
INDUSTRIES = _options(
    "ACCOUNTING",
    "AUTOMOTIVE",
    "BANKING",
    "COMPUTER_SOFTWARE",
    "CONSTRUCTION",
    "EDUCATION_MANAGEMENT",
    "FINANCIAL_SERVICES",
    "FOOD_BEVERAGES",
    "HOSPITAL_HEALTH_CARE",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "INSURANCE",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "MACHINERY",
    "MARKETING_AND_ADVERTISING",
    "REAL_ESTATE",
    "RENEWABLES_ENVIRONMENT",
    "RETAIL",
    "TELECOMMUNICATIONS",
)
COMPANY_TYPES = _options("PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER")
DEAL_TYPES = (("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))
PRIORITIES = _options("low", "medium", "high")
LEAD_TYPES = (("NEW_BUSINESS", "New business"), ("UPSELL", "Upsell"), ("RE_ATTEMPTING", "Re-attempting"))
LEAD_LABELS = (("HOT", "Hot"), ("WARM", "Warm"), ("COLD", "Cold"))
LEAD_SOURCES = _options("WEBSITE", "REFERRAL", "EVENT", "OUTBOUND", "PARTNER", "PAID_ADS")
TASK_STATUSES = _options("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")
TASK_PRIORITIES = _options("NONE", "LOW", "MEDIUM", "HIGH")
TASK_TYPES = _options("CALL", "EMAIL", "TODO")

# Enumerations whose options live elsewhere in the portal (pipelines, owners), resolved at use.
DYNAMIC_PIPELINE = "pipeline"
DYNAMIC_STAGE = "stage"
DYNAMIC_OWNER = "owner"

FIELD_TYPES = {
    "string": {"text", "textarea", "html", "file", "phonenumber"},
    "number": {"number", "calculation_equation"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
    "bool": {"booleancheckbox"},
    "date": {"date"},
    "datetime": {"date"},
    "phone_number": {"phonenumber", "text"},
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class PropertyDef:
    name: str
    label: str
    type: str  # string, number, enumeration, bool, date, datetime, phone_number
    field_type: str
    group_name: str
    options: tuple[tuple[str, str], ...] = ()
    read_only: bool = False
    hubspot_defined: bool = True
    has_unique_value: bool = False
    dynamic_options: str | None = None
    description: str = ""
    display_order: int = -1
    created_ms: int = 0
    archived: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_api(self, options: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        """The Properties API ``Property`` shape."""
        shown = list(self.options) if options is None else options
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": [
                {"label": label, "value": value, "displayOrder": index, "hidden": False}
                for index, (value, label) in enumerate(shown)
            ],
            "displayOrder": self.display_order,
            "calculated": False,
            "externalOptions": self.dynamic_options is not None,
            "hasUniqueValue": self.has_unique_value,
            "hidden": False,
            "hubspotDefined": self.hubspot_defined,
            "formField": not self.read_only,
            "dataSensitivity": "non_sensitive",
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
            "archived": self.archived,
            "createdAt": iso(self.created_ms),
            "updatedAt": iso(self.created_ms),
        }
        if self.dynamic_options == DYNAMIC_OWNER:
            body["referencedObjectType"] = "OWNER"
        return body


def _p(name: str, label: str, kind: str, group: str, **kwargs: Any) -> PropertyDef:
    """Shorthand: ``kind`` is "text", "textarea", "number", "datetime", "date", "phone", "email", "select",
    "checkbox" (multi-select), "bool"."""
    types = {
        "text": ("string", "text"),
        "email": ("string", "text"),
        "textarea": ("string", "textarea"),
        "number": ("number", "number"),
        "datetime": ("datetime", "date"),
        "date": ("date", "date"),
        "phone": ("phone_number", "phonenumber"),
        "select": ("enumeration", "select"),
        "checkbox": ("enumeration", "checkbox"),
        "bool": ("bool", "booleancheckbox"),
    }
    prop_type, field_type = types[kind]
    extra = {"email": True} if kind == "email" else {}
    return PropertyDef(name, label, prop_type, field_type, group, extra=extra, **kwargs)


def _common(group: str, modified: str = "hs_lastmodifieddate") -> list[PropertyDef]:
    return [
        _p("hs_object_id", "Record ID", "number", group, read_only=True),
        _p("createdate", "Create Date", "datetime", group, read_only=True),
        _p(modified, "Last Modified Date", "datetime", group, read_only=True),
        _p("hubspot_owner_id", "Owner", "select", group, dynamic_options=DYNAMIC_OWNER),
    ]


def _contacts() -> list[PropertyDef]:
    g = "contactinformation"
    return [
        *_common(g, "lastmodifieddate"),
        _p("firstname", "First Name", "text", g),
        _p("lastname", "Last Name", "text", g),
        _p("email", "Email", "email", g, has_unique_value=True),
        _p("phone", "Phone Number", "phone", g),
        _p("mobilephone", "Mobile Phone Number", "phone", g),
        _p("company", "Company Name", "text", g),
        _p("jobtitle", "Job Title", "text", g),
        _p("website", "Website URL", "text", g),
        _p("city", "City", "text", g),
        _p("country", "Country/Region", "text", g),
        _p("lifecyclestage", "Lifecycle Stage", "select", g, options=LIFECYCLE_STAGES),
        _p("hs_lead_status", "Lead Status", "select", g, options=LEAD_STATUSES),
        _p(
            "hs_analytics_source",
            "Original Source",
            "select",
            "analyticsinformation",
            options=ANALYTICS_SOURCES,
            read_only=True,
        ),
    ]


def _companies() -> list[PropertyDef]:
    g = "companyinformation"
    return [
        *_common(g),
        _p("name", "Company name", "text", g),
        _p("domain", "Company Domain Name", "text", g),
        _p("website", "Website URL", "text", g),
        _p("industry", "Industry", "select", g, options=INDUSTRIES),
        _p("type", "Type", "select", g, options=COMPANY_TYPES),
        _p("city", "City", "text", g),
        _p("country", "Country/Region", "text", g),
        _p("phone", "Phone Number", "phone", g),
        _p("numberofemployees", "Number of Employees", "number", g),
        _p("annualrevenue", "Annual Revenue", "number", g),
    ]


def _deals() -> list[PropertyDef]:
    g = "dealinformation"
    return [
        *_common(g),
        _p("dealname", "Deal Name", "text", g),
        _p("amount", "Amount", "number", g),
        _p("closedate", "Close Date", "datetime", g),
        _p("pipeline", "Pipeline", "select", g, dynamic_options=DYNAMIC_PIPELINE),
        _p("dealstage", "Deal Stage", "select", g, dynamic_options=DYNAMIC_STAGE),
        _p("dealtype", "Deal Type", "select", g, options=DEAL_TYPES),
        _p("hs_priority", "Priority", "select", g, options=PRIORITIES),
        _p("description", "Deal Description", "textarea", g),
    ]


def _leads() -> list[PropertyDef]:
    g = "leadinformation"
    return [
        *_common(g),
        _p("hs_lead_name", "Lead name", "text", g),
        _p("hs_pipeline", "Pipeline", "select", g, dynamic_options=DYNAMIC_PIPELINE),
        _p("hs_pipeline_stage", "Lead stage", "select", g, dynamic_options=DYNAMIC_STAGE),
        _p("hs_lead_type", "Lead type", "select", g, options=LEAD_TYPES),
        _p("hs_lead_label", "Lead label", "select", g, options=LEAD_LABELS),
        _p("hs_primary_company_id", "Primary company ID", "number", g, read_only=True),
        _p("hs_associated_company_name", "Associated company name", "text", g, read_only=True),
        _p("hs_associated_company_domain", "Associated company domain", "text", g, read_only=True),
        # Portal-defined (not HubSpot-defined) properties a routing product typically adds.
        _p(
            "lead_source",
            "Lead source",
            "select",
            "lead_routing",
            options=LEAD_SOURCES,
            hubspot_defined=False,
        ),
        _p("lead_amount", "Estimated amount", "number", "lead_routing", hubspot_defined=False),
    ]


def _notes() -> list[PropertyDef]:
    g = "noteinformation"
    return [
        *_common(g),
        _p("hs_timestamp", "Activity date", "datetime", g),
        _p("hs_note_body", "Note body", "textarea", g),
        _p("hs_attachment_ids", "Attached file IDs", "text", g),
    ]


def _tasks() -> list[PropertyDef]:
    g = "taskinformation"
    return [
        *_common(g),
        _p("hs_timestamp", "Due date", "datetime", g),
        _p("hs_task_subject", "Task title", "text", g),
        _p("hs_task_body", "Task notes", "textarea", g),
        _p("hs_task_status", "Task status", "select", g, options=TASK_STATUSES),
        _p("hs_task_priority", "Priority", "select", g, options=TASK_PRIORITIES),
        _p("hs_task_type", "Task type", "select", g, options=TASK_TYPES),
    ]


_DEFAULTS = {
    "contacts": _contacts,
    "companies": _companies,
    "deals": _deals,
    "leads": _leads,
    "notes": _notes,
    "tasks": _tasks,
}
_GROUP_LABELS = {
    "contactinformation": "Contact information",
    "analyticsinformation": "Web analytics history",
    "companyinformation": "Company information",
    "dealinformation": "Deal information",
    "leadinformation": "Lead information",
    "lead_routing": "Lead routing",
    "noteinformation": "Note information",
    "taskinformation": "Task information",
}


def default_properties(object_type: str, created_ms: int) -> dict[str, PropertyDef]:
    props = _DEFAULTS[object_type]()
    for index, prop in enumerate(props):
        prop.display_order = index
        prop.created_ms = created_ms
    return {prop.name: prop for prop in props}


def default_groups(props: dict[str, PropertyDef]) -> dict[str, dict[str, Any]]:
    names = list(dict.fromkeys(prop.group_name for prop in props.values()))
    return {
        name: {"name": name, "label": _GROUP_LABELS.get(name, name), "displayOrder": index, "archived": False}
        for index, name in enumerate(names)
    }


def problem(name: str, error: str, message: str, portal_id: int) -> dict[str, Any]:
    """One entry of HubSpot's "Property values were not valid" list."""
    return {
        "isValid": False,
        "message": message,
        "error": error,
        "name": name,
        "localizedErrorMessage": message,
        "portalId": portal_id,
    }


def check_value(
    prop: PropertyDef, value: str, options: list[tuple[str, str]], portal_id: int
) -> tuple[str, dict[str, Any] | None]:
    """Check and normalise one written value. Returns ``(stored value, problem or None)``.

    ``""`` always clears. Error codes other than PROPERTY_DOESNT_EXIST / INVALID_OPTION / READ_ONLY_VALUE
    are ours.
    """
    if value == "":
        return value, None
    if prop.type == "enumeration":
        allowed = [option for option, _ in options]
        chosen = value.split(";") if prop.field_type == "checkbox" else [value]
        bad = [item for item in chosen if item not in allowed]
        if bad:
            message = f"{bad[0]} was not one of the allowed options: [{', '.join(allowed)}]"
            return value, problem(prop.name, "INVALID_OPTION", message, portal_id)
        return value, None
    if prop.type == "number":
        try:
            number = float(value)
        except ValueError:
            return value, problem(prop.name, "INVALID_FLOAT", f"{value} was not a valid number.", portal_id)
        return (str(int(number)) if number.is_integer() and "e" not in value.lower() else value), None
    if prop.type == "bool":
        if value.lower() not in {"true", "false"}:
            return value, problem(
                prop.name, "INVALID_BOOLEAN", f"{value} was not a valid boolean.", portal_id
            )
        return value.lower(), None
    if prop.type in {"datetime", "date"}:
        ms = parse_ms(value)
        if ms is None:
            return value, problem(prop.name, "INVALID_DATE", f"{value} was not a valid date.", portal_id)
        return (iso(ms) if prop.type == "datetime" else iso(ms)[:10]), None
    if prop.extra.get("email") and not EMAIL_RE.match(value):
        return value, problem(prop.name, "INVALID_EMAIL", f"Email address {value} is invalid", portal_id)
    return value, None
