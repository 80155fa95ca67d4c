"""The seeded org: the same users, queues, lead statuses, accounts, opportunities with files and (from
``seed``) leads on every run, so tests and README.md can name their ids."""

from __future__ import annotations

import base64
import random
from typing import Any

from .ids import object_id
from .records import derive, track_history
from .schema import INDUSTRIES, LEAD_SOURCES, OBJECTS
from .state import SandboxState, sf_datetime

DAY_MS = 86_400_000
ADMIN_ID = object_id("User", 1)
REP_IDS = tuple(object_id("User", number) for number in range(2, 7))
INACTIVE_USER_ID = object_id("User", 7)
AUTOMATED_USER_ID = object_id("User", 8)
INBOUND_QUEUE_ID = object_id("Group", 1)
PARTNER_QUEUE_ID = object_id("Group", 2)
PUBLIC_GROUP_ID = object_id("Group", 3)

USERS = (
    ("Sandra", "Admin", "Standard", True),
    ("Avery", "Quinn", "Standard", True),
    ("Blake", "Rivera", "Standard", True),
    ("Casey", "Morgan", "Standard", True),
    ("Devon", "Patel", "Standard", True),
    ("Emerson", "Lee", "Standard", True),
    ("Former", "Rep", "Standard", False),
    ("Automated", "Process", "AutomatedProcess", True),
)
GROUPS = (("Inbound Leads", "Queue"), ("Partner Leads", "Queue"), ("All Sales", "Regular"))
LEAD_STATUSES = (
    ("Open - Not Contacted", False, True),
    ("Working - Contacted", False, False),
    ("Closed - Converted", True, False),
    ("Closed - Not Converted", False, False),
)
ACCOUNTS = (
    ("Northwind Traders", "northwind.example", "Retail", "United States"),
    ("Globex Corporation", "globex.example", "Manufacturing", "Germany"),
    ("Initech", "initech.example", "Technology", "United States"),
    ("Umbrella Health", "umbrella-health.example", "Healthcare", "United Kingdom"),
    ("Stark Logistics", "starklogistics.example", "Transportation", "Canada"),
    ("Wayne Finance", "waynefinance.example", "Finance", "United States"),
    ("Acme Energy", "acme-energy.example", "Energy", "France"),
    ("Hooli", "hooli.example", "Technology", "United States"),
)
OPPORTUNITIES = (
    ("Northwind Traders - Annual plan", 0, "Prospecting", 12000.0, False),
    ("Globex Corporation - Rollout", 1, "Negotiation/Review", 85000.0, True),
    ("Initech - Pilot", 2, "Proposal/Price Quote", 15000.0, False),
    ("Umbrella Health - Expansion", 3, "Negotiation/Review", 40000.0, True),
    ("Stark Logistics - Renewal", 4, "Closed Won", 30000.0, False),
    ("Wayne Finance - Platform", 5, "Qualification", 60000.0, False),
)
FIRST_NAMES = (
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Riley",
    "Morgan",
    "Jamie",
    "Robin",
    "Kim",
    "Lee",
    "Noor",
    "Ana",
)
LAST_NAMES = (
    "Smith",
    "Garcia",
    "Okafor",
    "Nguyen",
    "Müller",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Silva",
    "Tanaka",
)
COUNTRIES = ("United States", "United Kingdom", "Germany", "France", "Canada", "Brazil", "Japan")
OPEN_STATUSES = ("Open - Not Contacted", "Working - Contacted")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def populate(state: SandboxState) -> None:
    """Replace the org's data with the seeded one. Call under ``state.lock``."""
    state.clear()
    rng = random.Random(state.config.seed)
    start = state.clock.now_ms() - 30 * DAY_MS
    for number, (first, last, kind, active) in enumerate(USERS, start=1):
        email = f"{first.lower()}.{last.lower()}@sandbox-salesforce.example"
        insert(
            state,
            "User",
            start,
            FirstName=first,
            LastName=last,
            Email=email,
            Username=email,
            IsActive=active,
            UserType=kind,
            Title="Sales Representative" if 1 < number < 7 else None,
            TimeZoneSidKey="Europe/London",
        )
    for name, kind in GROUPS:
        insert(state, "Group", start, Name=name, DeveloperName=name.replace(" ", "_"), Type=kind)
    for order, (value, converted, default) in enumerate(LEAD_STATUSES, start=1):
        insert(
            state,
            "LeadStatus",
            start,
            ApiName=value,
            MasterLabel=value,
            IsConverted=converted,
            IsDefault=default,
            SortOrder=order,
        )
    accounts = [
        insert(
            state,
            "Account",
            start,
            Name=name,
            Website=f"https://www.{domain}",
            Industry=industry,
            BillingCountry=country,
            OwnerId=REP_IDS[index % len(REP_IDS)],
        )
        for index, (name, domain, industry, country) in enumerate(ACCOUNTS)
    ]
    for name, account, stage, amount, with_file in OPPORTUNITIES:
        opportunity = insert(
            state,
            "Opportunity",
            start + DAY_MS,
            Name=name,
            AccountId=accounts[account]["Id"],
            StageName=stage,
            Amount=amount,
            CloseDate=sf_datetime(start + 60 * DAY_MS)[:10],
            OwnerId=REP_IDS[account % 5],
        )
        track_history(state, OBJECTS["Opportunity"], opportunity, {}, user_id=ADMIN_ID)
        if with_file:
            attach_file(state, opportunity["Id"], f"{name} contract.pdf", PDF, start + 2 * DAY_MS)
    seed_leads(state, state.config.seed_leads, rng, start + 3 * DAY_MS, step_ms=3_600_000)


def seed_leads(
    state: SandboxState,
    count: int,
    rng: random.Random,
    at_ms: int,
    step_ms: int = 0,
    owner: str | None = None,
) -> list[str]:
    """``count`` leads created from ``at_ms`` on, ``step_ms`` apart: every third owned by the "Inbound
    Leads" queue, every seventh converted, some from an account's domain. Returns their ids."""
    ids = []
    for index in range(count):
        number = state.counters.get("00Q", 0) + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        account = ACCOUNTS[rng.randrange(len(ACCOUNTS))]
        domain = account[1] if rng.random() < 0.4 else f"company{number}.example"
        company = (
            account[0] if domain == account[1] else f"{last} {rng.choice(('Labs', 'GmbH', 'Inc', 'Ltd'))}"
        )
        converted = number % 7 == 0 and owner is None
        owned_by = owner or (INBOUND_QUEUE_ID if number % 3 == 0 else REP_IDS[number % len(REP_IDS)])
        lead = insert(
            state,
            "Lead",
            at_ms + index * step_ms,
            FirstName=first,
            LastName=last,
            Company=company,
            Email=f"{first.lower()}.{number}@{domain}",
            Website=f"https://{domain}",
            Country=rng.choice(COUNTRIES),
            Status="Closed - Converted" if converted else rng.choice(OPEN_STATUSES),
            LeadSource=rng.choice(LEAD_SOURCES),
            Industry=rng.choice(INDUSTRIES[:12]),
            AnnualRevenue=float(rng.choice((250_000, 1_000_000, 5_000_000, 25_000_000))),
            NumberOfEmployees=rng.choice((10, 50, 200, 1000)),
            OwnerId=owned_by,
            IsConverted=converted,
        )
        if converted:
            lead["ConvertedDate"] = lead["CreatedDate"][:10]
        ids.append(lead["Id"])
    return ids


def attach_file(state: SandboxState, linked_id: str, title: str, data: bytes, at_ms: int) -> dict[str, Any]:
    """A ContentVersion (with its ContentDocument) linked to ``linked_id``; returns the version."""
    version = insert(
        state,
        "ContentVersion",
        at_ms,
        Title=title,
        PathOnClient=title,
        VersionData=base64.b64encode(data).decode("ascii"),
        OwnerId=ADMIN_ID,
    )
    insert(
        state,
        "ContentDocumentLink",
        at_ms,
        ContentDocumentId=version["ContentDocumentId"],
        LinkedEntityId=linked_id,
        ShareType="V",
        Visibility="AllUsers",
    )
    return version


def insert(state: SandboxState, object_name: str, at_ms: int, **values: Any) -> dict[str, Any]:
    """A record as if created at ``at_ms`` by the admin, without the API's checks (seeding only)."""
    obj = OBJECTS[object_name]
    stamp = sf_datetime(at_ms)
    record: dict[str, Any] = {name: None for name in obj.fields}
    record.update({name: False for name, f in obj.fields.items() if f.type == "boolean"})
    record.update(Id=state.new_id(object_name), **values)
    for name, value in (
        ("CreatedDate", stamp),
        ("CreatedById", ADMIN_ID),
        ("LastModifiedDate", stamp),
        ("LastModifiedById", ADMIN_ID),
        ("SystemModstamp", stamp),
    ):
        if name in obj.fields:
            record[name] = value
    if "OwnerId" in obj.fields and record["OwnerId"] is None:
        record["OwnerId"] = ADMIN_ID
    state.records[object_name][record["Id"]] = record
    derive(state, obj, record)
    return record
