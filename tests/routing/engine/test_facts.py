"""Canonical values -> LeadFacts."""

from __future__ import annotations

from decimal import Decimal

from field_mapping.models import Outcome as LeadOutcome
from routing.engine import LeadFacts, lead_facts
from routing.engine.facts import email_domain


def test_facts_carry_every_canonical_field_the_email_domain_and_no_owner():
    facts = lead_facts(
        "lead:1",
        {
            "email": "Ada@Northwind.DE",
            "owner": "70000003",
            "amount": Decimal("12.50"),
            "status": LeadOutcome.OPEN,
        },
        owner_rep_id="7",
        owner_external_id="70000003",
    )
    assert facts == LeadFacts(
        key="lead:1",
        fields={
            "source": None,
            "amount": Decimal("12.50"),
            "industry": None,
            "status": "open",
            "name": None,
            "email": "Ada@Northwind.DE",
            "company": None,
            "country": None,
            "lead_type": None,
            "email_domain": "northwind.de",
        },
        owner_rep_id="7",
        owner_external_id="70000003",
    )
    assert type(facts.fields["status"]) is str


def test_email_domain():
    assert email_domain("ada@acme.com") == "acme.com"
    assert email_domain(" Ada@Mail.ACME.com ") == "mail.acme.com"
    assert email_domain("no-at-sign") == ""
    assert email_domain("trailing@") == ""
    assert email_domain(None) == ""


def test_an_amount_given_as_text_becomes_a_decimal_when_it_is_one():
    assert lead_facts("k", {"amount": "1500.5"}).fields["amount"] == Decimal("1500.5")
    assert lead_facts("k", {"amount": "lots"}).fields["amount"] == "lots"
