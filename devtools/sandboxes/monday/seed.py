"""Deterministic seed data: an account, its users and teams, and an "Inbound leads" board.

The board has the columns a lead board needs (Name, Email, Phone, Company, Country, Source, Amount,
Industry, Owner, Status, Lead type, Received, Notes, Last updated), so monday leads can be mapped to the
same canonical lead as HubSpot's. Everything follows from ``config.seed``; timestamps are spread over the
past 30 days before the moment of seeding.
"""

from __future__ import annotations

import random
from typing import Any

from .state import Board, Column, Group, Item, SandboxState, Team, User
from .values import iso

ITEM_ID_BASE = 7_000_000_000
USER_ID_BASE = 60_000_000
TEAM_ID_BASE = 900_000

USERS = (  # name, title, status, kind
    ("Grace Hopper", "Head of Sales", "ACTIVE", "admin"),
    ("Alan Turing", "Account Executive", "ACTIVE", "member"),
    ("Ada Lovelace", "Account Executive", "ACTIVE", "member"),
    ("Katherine Johnson", "SDR", "ACTIVE", "member"),
    ("Linus Torvalds", "SDR", "ACTIVE", "member"),
    ("Margaret Hamilton", "Account Executive", "INACTIVE", "member"),  # deactivated
    ("Tim Berners-Lee", "Partner Manager", "PENDING", "member"),  # invited, not yet joined
    ("Hedy Lamarr", "Sales Engineer", "ACTIVE", "member"),
    ("Barbara Liskov", "Consultant", "ACTIVE", "guest"),
)
TEAMS = ((1, "Sales EMEA"), (2, "Sales Americas"), (3, "SDR"))
USER_TEAMS = {0: (1, 2), 1: (1,), 2: (2,), 3: (3,), 4: (3,), 7: (1, 2)}

SOURCES = ("Website", "Referral", "Event", "Partner", "Paid ads", "Outbound")
STATUSES = ("New", "Working", "Won", "Lost", "Excluded")
LEAD_TYPES = ("New business", "Upsell", "Re-engagement")
INDUSTRIES = (
    "Software",
    "Logistics",
    "Healthcare",
    "Financial services",
    "Manufacturing",
    "Retail",
    "Media",
    "Energy",
    "Telecommunications",
    "Real estate",
)
COUNTRIES = {  # name -> (weight, top-level domain, phone prefix, ISO code)
    "United States": (30, "com", "+1", "US"),
    "United Kingdom": (12, "co.uk", "+44", "GB"),
    "Germany": (10, "de", "+49", "DE"),
    "France": (8, "fr", "+33", "FR"),
    "Netherlands": (5, "nl", "+31", "NL"),
    "Spain": (5, "es", "+34", "ES"),
    "Canada": (6, "ca", "+1", "CA"),
    "Australia": (5, "com.au", "+61", "AU"),
    "India": (6, "in", "+91", "IN"),
    "Brazil": (4, "com.br", "+55", "BR"),
}
FIRST_NAMES = (
    "Aisha",
    "Alejandro",
    "Amara",
    "Anders",
    "Arjun",
    "Beatriz",
    "Camille",
    "Carlos",
    "Chen",
    "Daniel",
    "Diego",
    "Elena",
    "Emeka",
    "Farah",
    "Felix",
    "Giulia",
    "Hannah",
    "Hiroshi",
    "Ines",
    "Ivan",
    "Jana",
    "Jonas",
    "Julia",
    "Kai",
    "Karim",
    "Laura",
    "Liam",
    "Maya",
    "Mei",
    "Nadia",
    "Noah",
    "Omar",
    "Priya",
    "Rafael",
    "Sara",
    "Sofia",
    "Tariq",
    "Valentina",
    "Yusuf",
    "Zoe",
)
LAST_NAMES = (
    "Almeida",
    "Bauer",
    "Chen",
    "Dubois",
    "Eriksson",
    "Fernandes",
    "Garcia",
    "Hansen",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Vargas",
    "Walker",
    "Xu",
    "Yilmaz",
    "Zimmermann",
)
COMPANY_WORDS = (
    "Aurora",
    "Beacon",
    "Cobalt",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Ion",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orbit",
    "Polar",
    "Quantum",
    "Redwood",
    "Summit",
    "Vertex",
)
COMPANY_SUFFIXES = (
    "Analytics",
    "Logistics",
    "Health",
    "Systems",
    "Robotics",
    "Energy",
    "Labs",
    "Capital",
    "Media",
)


def _status_settings(labels: tuple[str, ...]) -> dict[str, Any]:
    return {"labels": {str(index): label for index, label in enumerate(labels)}, "done_colors": [1]}


def lead_columns() -> dict[str, Column]:
    columns = [
        Column("name", "Name", "name"),
        Column("email", "Email", "email"),
        Column("phone", "Phone", "phone"),
        Column("text_company", "Company", "text"),
        Column("text_country", "Country", "text"),
        Column("status_source", "Source", "status", _status_settings(SOURCES)),
        Column("numbers_amount", "Amount", "numbers", {"unit": {"symbol": "$", "direction": "left"}}),
        Column(
            "dropdown_industry",
            "Industry",
            "dropdown",
            {"labels": [{"id": index, "name": name} for index, name in enumerate(INDUSTRIES, start=1)]},
        ),
        Column("people_owner", "Owner", "people"),
        Column("status", "Status", "status", _status_settings(STATUSES)),
        Column("status_lead_type", "Lead type", "status", _status_settings(LEAD_TYPES)),
        Column("date_received", "Received", "date"),
        Column("long_text_notes", "Notes", "long_text"),
        Column("last_updated", "Last updated", "last_updated"),
    ]
    return {column.id: column for column in columns}


def populate(state: SandboxState) -> None:
    """(Re)build the whole account from ``config.seed`` and ``config.seed_items``."""
    config = state.config
    now_ms = state.clock.now_ms()
    state.account = {
        "id": str(config.account_id),
        "name": "Sandbox Sales Co",
        "slug": "sandbox-sales",
        "tier": "pro",
        "country_code": "GB",
        "created_at": iso(now_ms - 400 * 86_400_000),
        "first_day_of_the_week": "monday",
        "show_timeline_weekends": True,
        "active_members_count": sum(1 for user in USERS if user[2] == "ACTIVE"),
        "plan": {"max_users": 25, "period": "annual", "tier": "pro", "version": 9},
    }
    state.teams = {TEAM_ID_BASE + number: Team(TEAM_ID_BASE + number, name) for number, name in TEAMS}
    state.users = {}
    for index, (name, title, status, kind) in enumerate(USERS):
        user_id = USER_ID_BASE + index + 1
        first, _, last = name.partition(" ")
        state.users[user_id] = User(
            id=user_id,
            name=name,
            email=f"{first.lower()}.{last.lower().replace(' ', '')}@sandbox-sales.example.com",
            title=title,
            status=status,
            kind=kind,
            created_at=iso(now_ms - (300 - index) * 86_400_000),
            team_ids=tuple(TEAM_ID_BASE + team for team in USER_TEAMS.get(index, ())),
        )
    board = Board(
        id=config.board_id,
        name="Inbound leads",
        columns=lead_columns(),
        groups={
            "topics": Group("topics", "New leads", "#579bfc", "65536"),
            "group_qualified": Group("group_qualified", "Qualified", "#00c875", "131072"),
        },
        owner_ids=(USER_ID_BASE + 1,),
    )
    state.boards = {board.id: board}
    state.cursors.clear()
    state.next_item_id = ITEM_ID_BASE
    seed_items(state, config.seed_items, now_ms=now_ms)


def seed_items(state: SandboxState, count: int, *, now_ms: int | None = None, batch: int = 0) -> list[int]:
    """Add ``count`` lead items (deterministic per seed and batch), created over the past 30 days."""
    now_ms = state.clock.now_ms() if now_ms is None else now_ms
    rng = random.Random(f"monday-{state.config.seed}-{batch}")
    board = state.board
    assignable = [
        user.id for user in state.users.values() if user.status == "ACTIVE" and user.kind != "guest"
    ]
    ids = []
    span = 30 * 86_400_000
    for _ in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
        country = rng.choices(list(COUNTRIES), weights=[c[0] for c in COUNTRIES.values()])[0]
        _, tld, prefix, code = COUNTRIES[country]
        domain = f"{company.lower().replace(' ', '')}.{tld}"
        created = now_ms - rng.randint(3_600_000, span)
        updated = min(now_ms - 1000, created + rng.choice((0, 0, rng.randint(1000, 5 * 86_400_000))))
        status = rng.choices(range(len(STATUSES)), weights=(50, 25, 8, 10, 7))[0]
        values: dict[str, Any] = {
            "email": {"email": f"{first.lower()}.{last.lower()}@{domain}", "text": f"{first} {last}"},
            "phone": {
                "phone": f"{prefix}{rng.randint(200, 999)}{rng.randint(1000000, 9999999)}",
                "countryShortName": code,
            },
            "text_company": company,
            "text_country": country,
            "status_source": {"index": rng.randrange(len(SOURCES))},
            "numbers_amount": str(int(rng.lognormvariate(9.2, 0.9)) // 100 * 100 + 500),
            "dropdown_industry": {"ids": [rng.randint(1, len(INDUSTRIES))]},
            "status": {"index": status},
            "status_lead_type": {"index": rng.choices(range(len(LEAD_TYPES)), weights=(70, 20, 10))[0]},
            "date_received": {"date": iso(created)[:10]},
        }
        if status != 0 and rng.random() < 0.9:  # new leads are mostly unassigned
            values["people_owner"] = {"personsAndTeams": [{"id": rng.choice(assignable), "kind": "person"}]}
        if rng.random() < 0.3:
            values["long_text_notes"] = {"text": f"Asked about pricing for {rng.randint(5, 500)} seats."}
        item = Item(
            id=state.new_item_id(),
            board_id=board.id,
            name=f"{first} {last}",
            group_id="group_qualified" if status in (1, 2) else "topics",
            creator_id=USER_ID_BASE + 1,
            created_ms=created,
            updated_ms=updated,
            values=values,
            changed_ms={column: updated for column in values},
            updater_id=USER_ID_BASE + 1,
        )
        board.items[item.id] = item
        ids.append(item.id)
    return ids
