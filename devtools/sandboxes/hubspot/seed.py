"""Deterministic seeding: the same seed and portal id always give the same owners, companies, contacts, deals,
attachments and leads (timestamps are offsets back from the moment of seeding)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..clock import Clock
from . import records
from .checkpoint import all_or_nothing
from .config import SandboxConfig
from .object_types import object_type
from .pipelines import default_pipelines
from .property_defs import (
    ANALYTICS_SOURCES,
    LEAD_LABELS,
    LEAD_SOURCES,
    LEAD_STATUSES,
    TASK_STATUSES,
    default_groups,
    default_properties,
)
from .seed_data import (
    COMPANY_PREFIXES,
    COMPANY_SUFFIXES,
    COUNTRIES,
    DEAL_PRODUCTS,
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    OWNER_NAMES,
    SUFFIX_INDUSTRY,
    TEAMS,
)
from .state import (
    IMPORT_SOURCE,
    ChangeSource,
    GeneratedBytes,
    Owner,
    Portal,
    Record,
    RecordChange,
    SandboxState,
    StoredFile,
)
from .timeutil import iso

DAY_MS = 86_400_000
BASE_COMPANIES, CONTACTS_PER_COMPANY, BASE_DEALS, BASE_TASKS = 30, 2, 12, 8
BIG_FILE_BYTES = 12 * 1024 * 1024
LEAD_STAGE_WEIGHTS = (
    ("new-stage-id", 50),
    ("attempting-stage-id", 20),
    ("connected-stage-id", 15),
    ("qualified-stage-id", 10),
    ("unqualified-stage-id", 5),
)
LEAD_TYPE_WEIGHTS = (("NEW_BUSINESS", 70), ("UPSELL", 20), ("RE_ATTEMPTING", 10))
EMAIL_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")  # a company domain usable in an email address


def populate(state: SandboxState) -> None:
    """(Re)build every configured portal from the seed."""
    state.portals = {pid: build_portal(pid, state.config, state.clock) for pid in state.config.portal_ids}


def build_portal(portal_id: int, config: SandboxConfig, clock: Clock | None = None) -> Portal:
    """A portal seeded from ``config``, its records dated back from ``clock``'s now (default: real time)."""
    clock = clock or Clock()
    rng = random.Random(f"{config.seed}:{portal_id}")
    anchor = clock.now_ms()
    portal = Portal(portal_id)
    start = anchor - 400 * DAY_MS
    for name in ("contacts", "companies", "deals", "leads", "notes", "tasks"):
        portal.properties[name] = default_properties(name, start)
        portal.groups[name] = default_groups(portal.properties[name])
        portal.records[name] = {}
    portal.pipelines = default_pipelines(start)
    _owners(portal, start)
    seeder = _Seeder(portal, rng, clock)
    companies = [seeder.company() for _ in range(BASE_COMPANIES)]
    for company in companies:
        for _ in range(CONTACTS_PER_COMPANY):
            seeder.contact(company)
    deals = [seeder.deal(rng.choice(companies)) for _ in range(BASE_DEALS)]
    _attachments(seeder, config.seed, deals[:3])
    for _ in range(BASE_TASKS):
        seeder.task()
    seed_leads(portal, config.seed, config.seed_leads, clock=clock)
    return portal


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _owners(portal: Portal, created_ms: int) -> None:
    """Ten active sales reps, one deactivated user and one queue placeholder (a dozen in all)."""
    for index, (first, last) in enumerate(OWNER_NAMES):
        team_id, team_name = TEAMS[index % len(TEAMS)]
        owner = Owner(
            70000001 + index,
            9000001 + index,
            f"{first}.{last}@sandbox-sales.example.com".lower(),
            first,
            last,
            created_ms,
            teams=[{"id": team_id, "name": team_name, "primary": True}],
            archived=index == len(OWNER_NAMES) - 1,
        )
        portal.owners[owner.id] = owner
    queue = Owner(
        70000100,
        9000100,
        "unassigned-leads@sandbox-sales.example.com",
        "Unassigned leads",
        "queue",
        created_ms,
        type="QUEUE",
    )
    portal.owners[queue.id] = queue


def active_owner_ids(portal: Portal) -> list[str]:
    return [str(o.id) for o in portal.owners.values() if o.type == "PERSON" and not o.archived]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _email_domain(company: Record) -> str:
    """The domain of its contacts' emails: its own if usable, else a reserved ``example.com`` one."""
    domain = company.properties.get("domain", "").strip().lower()
    if EMAIL_DOMAIN.fullmatch(domain):
        return domain
    return f"{_slug(company.properties.get('name', '')) or f'company{company.id}'}.example.com"


@dataclass(frozen=True)
class Fresh:
    """Seed records created now, as a user creating them would: each creation is emitted (webhooks)."""

    emit: Callable[[RecordChange], None]
    source: ChangeSource


class _Seeder:
    """One seeding pass over a portal: a seeded generator, the time anchor, names/emails taken so far.

    With ``fresh``, the same seeded values are created now and announced (leads in the first stage);
    ``unowned`` leaves the leads (and their contacts) without an owner.
    """

    def __init__(
        self,
        portal: Portal,
        rng: random.Random,
        clock: Clock,
        fresh: Fresh | None = None,
        unowned: bool = False,
    ) -> None:
        self.portal, self.rng, self.clock, self.anchor = portal, rng, clock, clock.now_ms()
        self.fresh, self.unowned = fresh, unowned
        self.owners = active_owner_ids(portal)
        self.company_names = {r.properties.get("name") for r in portal.records["companies"].values()}
        self.emails = {r.properties.get("email") for r in portal.records["contacts"].values()}

    def past(self, max_days: int) -> int:
        seconds, millis = self.rng.randint(1, max_days * DAY_MS // 1000), self.rng.randint(0, 999)
        if self.fresh:
            return self.clock.now_ms()  # after the same draws either way
        return self.anchor - seconds * 1000 - millis

    def insert(self, kind: str, values: dict[str, str], created_ms: int) -> Record:
        clean = {key: value for key, value in values.items() if value}
        source = self.fresh.source if self.fresh else IMPORT_SOURCE
        record = records.insert_record(self.portal, object_type(kind), clean, created_ms, source)
        if self.fresh:
            change = RecordChange(self.portal.portal_id, kind, record.id, "creation", created_ms, source)
            self.fresh.emit(change)
        return record

    def link(self, from_type: str, from_id: int, to_type: str, to_id: int, *type_ids: int) -> None:
        for type_id in type_ids:
            self.portal.associations.add(from_type, from_id, to_type, to_id, type_id)

    def phone(self, country: str) -> str:
        """A number in the country's format; none for a country the word lists do not know (same draws)."""
        number = f"{self.rng.randint(200, 999)} {self.rng.randint(1000000, 9999999)}"
        known = COUNTRIES.get(country)
        return f"{known[3]} {number}" if known else ""

    def company(self) -> Record:
        rng = self.rng
        while True:
            suffix = rng.choice(COMPANY_SUFFIXES)
            name = f"{rng.choice(COMPANY_PREFIXES)} {suffix}"
            for extra in ("", " Group", " International", " Partners", f" {rng.randint(2, 999)}"):
                if name + extra not in self.company_names:
                    name += extra
                    break
            if name not in self.company_names:
                break
        self.company_names.add(name)
        country = rng.choices(list(COUNTRIES), weights=[c[0] for c in COUNTRIES.values()])[0]
        domain = f"{_slug(name)}.{COUNTRIES[country][2]}"
        values = {
            "name": name,
            "domain": domain,
            "website": f"https://www.{domain}",
            "industry": SUFFIX_INDUSTRY[suffix],
            "country": country,
            "city": rng.choice(COUNTRIES[country][1]),
            "phone": self.phone(country),
            "numberofemployees": str(rng.choice((8, 25, 60, 140, 400, 1200, 5000))),
            "annualrevenue": str(rng.randint(5, 5000) * 100_000),
            "type": "PROSPECT",
            "hubspot_owner_id": rng.choice(self.owners),
        }
        return self.insert("companies", values, self.past(365))

    def email(self, first: str, last: str, domain: str) -> str:
        base = f"{_slug(first)}.{_slug(last)}"
        email, counter = f"{base}@{domain}", 2
        while email in self.emails:
            email, counter = f"{base}{counter}@{domain}", counter + 1
        self.emails.add(email)
        return email

    def contact(self, company: Record, owner: str | None = None) -> Record:
        """A contact at ``company``, which may be any company of the portal: one made through the API can
        lack a name, domain, city or website, or name a country the word lists do not know."""
        rng, props = self.rng, company.properties
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country = props.get("country", "")
        values = {
            "firstname": first,
            "lastname": last,
            "email": self.email(first, last, _email_domain(company)),
            "phone": self.phone(country),
            "company": props.get("name", ""),
            "jobtitle": rng.choice(JOB_TITLES),
            "country": country,
            "city": props.get("city", ""),
            "website": props.get("website", ""),
            "lifecyclestage": rng.choice(
                ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead")
            ),
            "hs_lead_status": rng.choice(LEAD_STATUSES)[0],
            "hs_analytics_source": rng.choice(ANALYTICS_SOURCES)[0],
            "hubspot_owner_id": owner if owner is not None else rng.choice(self.owners),
        }
        contact = self.insert("contacts", values, self.past(200))
        self.link("contacts", contact.id, "companies", company.id, 1, 279)
        return contact

    def deal(self, company: Record) -> Record:
        rng = self.rng
        stages = [stage["id"] for stage in self.portal.pipelines["deals"][0]["stages"]]
        values = {
            "dealname": f"{company.properties['name']} - {rng.choice(DEAL_PRODUCTS)}",
            "pipeline": "default",
            "dealstage": rng.choice(stages),
            "amount": str(rng.randint(10, 900) * 100),
            "closedate": iso(self.anchor + rng.randint(5, 120) * DAY_MS),
            "dealtype": rng.choice(("newbusiness", "existingbusiness")),
            "hubspot_owner_id": rng.choice(self.owners),
        }
        deal = self.insert("deals", values, self.past(120))
        self.link("deals", deal.id, "companies", company.id, 5, 341)
        contact_id = self.portal.associations.first_target("companies", company.id, "contacts")
        if contact_id:
            self.link("deals", deal.id, "contacts", contact_id, 3)
        return deal

    def task(self) -> None:
        rng = self.rng
        contact = rng.choice(list(self.portal.records["contacts"].values()))
        values = {
            "hs_task_subject": f"Follow up with {contact.properties['firstname']}",
            "hs_task_status": rng.choice(TASK_STATUSES)[0],
            "hs_task_type": rng.choice(("CALL", "EMAIL", "TODO")),
            "hs_timestamp": iso(self.anchor + rng.randint(1, 14) * DAY_MS),
            "hubspot_owner_id": rng.choice(self.owners),
        }
        task = self.insert("tasks", values, self.past(30))
        self.link("tasks", task.id, "contacts", contact.id, 204)

    def lead(self, companies: list[Record]) -> int:
        rng = self.rng
        if rng.random() < 0.6 or not companies:
            companies.append(self.company())
        company = companies[-1] if rng.random() < 0.5 else rng.choice(companies)
        owner = rng.choice(self.owners) if rng.random() < 0.7 else ""
        owner = "" if self.unowned else owner
        contact = self.contact(company, owner)
        values = {
            "hs_lead_name": f"{contact.properties['firstname']} {contact.properties['lastname']}",
            "hs_pipeline": "lead-pipeline-id",
            "hs_pipeline_stage": _weighted(rng, LEAD_STAGE_WEIGHTS),
            "hs_lead_type": _weighted(rng, LEAD_TYPE_WEIGHTS),
            "hs_lead_label": rng.choice(LEAD_LABELS)[0],
            "lead_source": rng.choice(LEAD_SOURCES)[0],
            "hubspot_owner_id": owner,
            "lead_amount": str(int(rng.lognormvariate(9.2, 0.9)) // 100 * 100 + 500),
        }
        if self.fresh:  # a lead just created sits in its pipeline's first stage
            values["hs_pipeline_stage"] = LEAD_STAGE_WEIGHTS[0][0]
        lead = self.insert("leads", values, max(contact.created_ms, self.past(60)))
        self.link("leads", lead.id, "contacts", contact.id, 578, 608)
        self.link("leads", lead.id, "companies", company.id, 610, 580)
        records.refresh_derived(self.portal, object_type("leads"), lead)
        return lead.id


def _attachments(seeder: _Seeder, seed: int, deals: list[Record]) -> None:
    """A small PDF, a big PDF, and a forbidden type (.exe) next to a PDF, each on its own deal."""
    portal = seeder.portal
    pdf_head, pdf_tail = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n", b"\n%%EOF\n"
    specs = [
        [("Signed-order-form", "pdf", "DOCUMENT", pdf_head, 48_213, pdf_tail)],
        [("Scanned-contract-full", "pdf", "DOCUMENT", pdf_head, BIG_FILE_BYTES, pdf_tail)],
        [
            ("installer", "exe", "OTHER", b"MZ\x90\x00\x03\x00\x00\x00", 65_536, b""),
            ("Quote-v2", "pdf", "DOCUMENT", pdf_head, 21_377, pdf_tail),
        ],
    ]
    for deal, files in zip(deals, specs, strict=True):
        ids = []
        for name, extension, kind, head, size, tail in files:
            file_id = portal.new_id("files", 180000000001)
            make = GeneratedBytes(f"{seed}:{portal.portal_id}:file:{file_id}", head, size, tail)
            portal.files[file_id] = StoredFile(file_id, name, extension, kind, size, deal.created_ms, make)
            ids.append(str(file_id))
        values = {
            "hs_timestamp": iso(deal.created_ms),
            "hs_attachment_ids": ";".join(ids),
            "hs_note_body": f"Attached {len(ids)} file(s) for {deal.properties['dealname']}",
        }
        note = seeder.insert("notes", values, deal.created_ms)
        seeder.link("notes", note.id, "deals", deal.id, 214)


def seed_leads(
    portal: Portal,
    seed: int,
    count: int,
    *,
    fresh: Fresh | None = None,
    unowned: bool = False,
    clock: Clock | None = None,
) -> list[int]:
    """Add ``count`` leads, each with a new contact at a new or existing company. Returns the lead ids.

    Every call is its own deterministic batch: the n-th call with a given seed always adds the same leads.
    ``fresh``: created now, with creation events (a burst of new leads); ``unowned``: no owners.
    ``clock``: the sandbox's (state.py), which dates the records; default: real time.
    All or nothing: if any lead fails, every record and link the call added is taken back (and no
    creation event is sent), so a portal is never left half-seeded.
    """
    events: list[RecordChange] = []
    with all_or_nothing(portal):
        rng = random.Random(f"{seed}:{portal.portal_id}:leads:{portal.lead_batches}")
        held = Fresh(events.append, fresh.source) if fresh else None
        seeder = _Seeder(portal, rng, clock or Clock(), held, unowned)
        portal.lead_batches += 1
        companies = [company for company in portal.records["companies"].values() if not company.archived]
        ids = [seeder.lead(companies) for _ in range(count)]
    if fresh is not None:
        for event in events:
            fresh.emit(event)
    return ids
