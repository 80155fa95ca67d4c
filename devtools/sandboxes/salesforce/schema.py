"""The sObjects the sandbox knows and their fields, as ``describe`` reports them and as SOQL and writes
check them (soql_run.py, records.py). Only what a lead router and the contract workflow use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
SYSTEM_FIELDS = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # id, string, picklist, boolean, currency, double, int, date, datetime, reference, email, ...
    label: str = ""
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    reference_to: tuple[str, ...] = ()
    relationship: str | None = None
    length: int = 0
    custom: bool = False

    def describe(self, picklist: tuple[str, ...] | None = None) -> dict[str, Any]:
        values = self.picklist if picklist is None else picklist
        return {
            "name": self.name,
            "label": self.label or _label(self.name),
            "type": self.type,
            "length": self.length,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "custom": self.custom,
            "defaultedOnCreate": self.type == "boolean" or self.name in ("Id", "OwnerId"),
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship,
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": index == 0 and self.restricted,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for index, value in enumerate(values)
            ],
        }


@dataclass(frozen=True)
class SObject:
    name: str
    label: str
    plural: str
    fields: dict[str, Field] = field(default_factory=dict)
    createable: bool = True
    updateable: bool = True

    def relationship(self, name: str) -> Field | None:
        return next(
            (f for f in self.fields.values() if f.relationship and f.relationship.lower() == name.lower()),
            None,
        )

    def field(self, name: str) -> Field | None:
        return self._lower().get(name.lower())

    def _lower(self) -> dict[str, Field]:
        return {key.lower(): value for key, value in self.fields.items()}


def _label(name: str) -> str:
    name = name.removesuffix("__c").removesuffix("Id") or name
    out = ""
    for index, char in enumerate(name):
        if char.isupper() and index and not name[index - 1].isupper():
            out += " "
        out += char
    return out.replace("_", " ")


def _system(*, owner_to: tuple[str, ...] | None = ("User",)) -> list[Field]:
    fixed = {"nillable": False, "createable": False, "updateable": False}
    out = [Field("Id", "id", "Record ID", length=18, **fixed)]
    if owner_to:
        out.append(
            Field(
                "OwnerId",
                "reference",
                "Owner ID",
                nillable=False,
                reference_to=owner_to,
                relationship="Owner",
                length=18,
            )
        )
    out += [
        Field("IsDeleted", "boolean", "Deleted", **fixed),
        Field("CreatedDate", "datetime", **fixed),
        Field("CreatedById", "reference", reference_to=("User",), relationship="CreatedBy", **fixed),
        Field("LastModifiedDate", "datetime", **fixed),
        Field(
            "LastModifiedById", "reference", reference_to=("User",), relationship="LastModifiedBy", **fixed
        ),
        Field("SystemModstamp", "datetime", "System Modstamp", **fixed),
    ]
    return out


def _object(name: str, label: str, plural: str, fields: list[Field], **flags: Any) -> SObject:
    return SObject(name, label, plural, {f.name: f for f in fields}, **flags)


READ_ONLY = {"createable": False, "updateable": False}
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
INDUSTRIES = (
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
)
STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
CONTRACT_STATUSES = ("Draft", "In Review", "Negotiating", "Approved", "Signed", "Rejected", "Cancelled")
USER_TYPES = ("Standard", "PowerPartner", "CsnOnly", "AutomatedProcess", "Guest")
GROUP_TYPES = ("Queue", "Regular", "Role", "Organization")

OBJECTS: dict[str, SObject] = {
    obj.name: obj
    for obj in (
        _object(
            "User",
            "User",
            "Users",
            [
                *_system(owner_to=None),
                Field("Username", "string", nillable=False, length=80),
                Field("FirstName", "string", length=40),
                Field("LastName", "string", nillable=False, length=80),
                Field("Name", "string", "Full Name", length=121, **READ_ONLY),
                Field("Email", "email", nillable=False, length=128),
                Field("Title", "string", length=80),
                Field("IsActive", "boolean", "Active"),
                Field("UserType", "picklist", picklist=USER_TYPES, restricted=True, **READ_ONLY),
                Field(
                    "TimeZoneSidKey", "picklist", "Time Zone", picklist=("Europe/London", "America/New_York")
                ),
            ],
        ),
        _object(
            "Group",
            "Group",
            "Groups",
            [
                *_system(owner_to=None),
                Field("Name", "string", nillable=False, length=40),
                Field("DeveloperName", "string", "Developer Name", length=80),
                Field("Type", "picklist", picklist=GROUP_TYPES, restricted=True, nillable=False),
                Field("Email", "email", length=255),
            ],
        ),
        _object(
            "Lead",
            "Lead",
            "Leads",
            [
                *_system(owner_to=("Group", "User")),
                Field("FirstName", "string", length=40),
                Field("LastName", "string", nillable=False, length=80),
                Field("Name", "string", "Full Name", length=121, **READ_ONLY),
                Field("Title", "string", length=128),
                Field("Company", "string", nillable=False, length=255),
                Field("Email", "email", length=80),
                Field("Phone", "phone", length=40),
                Field("Website", "url", length=255),
                Field("Country", "string", length=80),
                Field("Status", "picklist", "Lead Status", restricted=True, nillable=False),
                Field("LeadSource", "picklist", "Lead Source", picklist=LEAD_SOURCES),
                Field("Industry", "picklist", picklist=INDUSTRIES),
                Field("Rating", "picklist", picklist=("Hot", "Warm", "Cold")),
                Field("AnnualRevenue", "currency", "Annual Revenue"),
                Field("NumberOfEmployees", "int", "Employees"),
                Field("IsConverted", "boolean", "Converted", **READ_ONLY),
                Field("ConvertedDate", "date", **READ_ONLY),
                Field(
                    "ConvertedAccountId",
                    "reference",
                    reference_to=("Account",),
                    relationship="ConvertedAccount",
                    **READ_ONLY,
                ),
                Field(
                    "ConvertedOpportunityId",
                    "reference",
                    reference_to=("Opportunity",),
                    relationship="ConvertedOpportunity",
                    **READ_ONLY,
                ),
            ],
        ),
        _object(
            "LeadStatus",
            "Lead Status Value",
            "Lead Status Values",
            [
                Field("Id", "id", "Lead Status Value ID", nillable=False, **READ_ONLY),
                Field("ApiName", "string", "Api Name", **READ_ONLY),
                Field("MasterLabel", "string", "Master Label", **READ_ONLY),
                Field("IsConverted", "boolean", "Converted", **READ_ONLY),
                Field("IsDefault", "boolean", "Is Default", **READ_ONLY),
                Field("SortOrder", "int", "Sort Order", **READ_ONLY),
            ],
            createable=False,
            updateable=False,
        ),
        _object(
            "Account",
            "Account",
            "Accounts",
            [
                *_system(),
                Field("Name", "string", "Account Name", nillable=False, length=255),
                Field("Website", "url", length=255),
                Field("Industry", "picklist", picklist=INDUSTRIES),
                Field("AnnualRevenue", "currency", "Annual Revenue"),
                Field("BillingCountry", "string", "Billing Country", length=80),
            ],
        ),
        _object(
            "Opportunity",
            "Opportunity",
            "Opportunities",
            [
                *_system(),
                Field("Name", "string", nillable=False, length=120),
                Field(
                    "AccountId", "reference", "Account ID", reference_to=("Account",), relationship="Account"
                ),
                Field("StageName", "picklist", "Stage", picklist=STAGES, restricted=True, nillable=False),
                Field("Amount", "currency"),
                Field("Probability", "percent", "Probability (%)"),
                Field("CloseDate", "date", "Close Date", nillable=False),
                Field("IsClosed", "boolean", "Closed", **READ_ONLY),
                Field("IsWon", "boolean", "Won", **READ_ONLY),
                Field(
                    "LexiContract_Status__c",
                    "picklist",
                    "LexiContract Status",
                    picklist=CONTRACT_STATUSES,
                    restricted=True,
                    custom=True,
                ),
            ],
        ),
        _object(
            "OpportunityHistory",
            "Opportunity History",
            "Opportunity History",
            [
                Field("Id", "id", "Opportunity History ID", nillable=False, **READ_ONLY),
                Field("IsDeleted", "boolean", "Deleted", **READ_ONLY),
                Field(
                    "OpportunityId",
                    "reference",
                    "Opportunity ID",
                    reference_to=("Opportunity",),
                    relationship="Opportunity",
                    **READ_ONLY,
                ),
                Field("StageName", "picklist", "Stage Name", picklist=STAGES, **READ_ONLY),
                Field("Amount", "currency", **READ_ONLY),
                Field("CloseDate", "date", "Close Date", **READ_ONLY),
                Field("Probability", "percent", "Probability (%)", **READ_ONLY),
                Field("CreatedDate", "datetime", "Created Date", **READ_ONLY),
                Field(
                    "CreatedById",
                    "reference",
                    "Created By ID",
                    reference_to=("User",),
                    relationship="CreatedBy",
                    **READ_ONLY,
                ),
                Field("SystemModstamp", "datetime", "System Modstamp", **READ_ONLY),
            ],
            createable=False,
            updateable=False,
        ),
        _object(
            "Task",
            "Task",
            "Tasks",
            [
                *_system(),
                Field("Subject", "combobox", length=255),
                Field("WhoId", "reference", "Name ID", reference_to=("Lead",), relationship="Who"),
                Field(
                    "WhatId",
                    "reference",
                    "Related To ID",
                    reference_to=("Account", "Opportunity"),
                    relationship="What",
                ),
                Field("ActivityDate", "date", "Due Date Only"),
                Field(
                    "Status",
                    "picklist",
                    picklist=("Not Started", "In Progress", "Completed"),
                    restricted=True,
                    nillable=False,
                ),
                Field(
                    "Priority",
                    "picklist",
                    picklist=("High", "Normal", "Low"),
                    restricted=True,
                    nillable=False,
                ),
                Field("Description", "textarea", "Comments", length=32000),
            ],
        ),
        _object(
            "ContentDocument",
            "Content Document",
            "Content Documents",
            [
                *_system(),
                Field("Title", "string", nillable=False, length=255),
                Field("FileExtension", "string", "File Extension", **READ_ONLY),
                Field("FileType", "string", "File Type", **READ_ONLY),
                Field("ContentSize", "int", "Size", **READ_ONLY),
                Field(
                    "LatestPublishedVersionId",
                    "reference",
                    reference_to=("ContentVersion",),
                    relationship="LatestPublishedVersion",
                    **READ_ONLY,
                ),
            ],
        ),
        _object(
            "ContentVersion",
            "Content Version",
            "Content Versions",
            [
                *_system(),
                Field(
                    "ContentDocumentId",
                    "reference",
                    reference_to=("ContentDocument",),
                    relationship="ContentDocument",
                ),
                Field("Title", "string", nillable=False, length=255),
                Field("PathOnClient", "string", length=500),
                Field("FileExtension", "string", "File Extension", **READ_ONLY),
                Field("FileType", "string", "File Type", **READ_ONLY),
                Field("ContentSize", "int", "Size", **READ_ONLY),
                Field("IsLatest", "boolean", "Is Latest", **READ_ONLY),
                Field("VersionData", "base64", "Version Data"),
            ],
        ),
        _object(
            "ContentDocumentLink",
            "Content Document Link",
            "Content Document Links",
            [
                Field("Id", "id", "Content Document Link ID", nillable=False, **READ_ONLY),
                Field("IsDeleted", "boolean", "Deleted", **READ_ONLY),
                Field("SystemModstamp", "datetime", "System Modstamp", **READ_ONLY),
                Field(
                    "ContentDocumentId",
                    "reference",
                    reference_to=("ContentDocument",),
                    relationship="ContentDocument",
                    nillable=False,
                ),
                Field(
                    "LinkedEntityId",
                    "reference",
                    reference_to=("Account", "Lead", "Opportunity", "User"),
                    relationship="LinkedEntity",
                    nillable=False,
                ),
                Field("ShareType", "picklist", picklist=("V", "C", "I"), restricted=True),
                Field(
                    "Visibility",
                    "picklist",
                    picklist=("AllUsers", "InternalUsers", "SharedUsers"),
                    restricted=True,
                ),
            ],
            updateable=False,
        ),
    )
}


def sobject(name: str) -> SObject | None:
    """The object named ``name`` (any case), or None."""
    return next((obj for key, obj in OBJECTS.items() if key.lower() == name.lower()), None)
