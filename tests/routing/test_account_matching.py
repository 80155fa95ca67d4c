"""Lead-to-account matching against the HubSpot sandbox: a lead whose company (associated, or found
by the email's domain) has an owner goes to that owner when the owner can take it."""

import pytest
from django.utils import timezone

from field_mapping import receivers
from routing.models import Decision, OutOfOffice, RepIdentity, Rule, Team
from routing.reps_sync import sync_reps

from . import factories as make


@pytest.fixture
def by_account(hubspot_connection, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    organization = hubspot_connection.organization
    Team.objects.create(organization=organization, name="Sales", auto_join=True)
    sync_reps(hubspot_connection)
    rule = make.rule(organization, "Accounts to their owners", teams=list(Team.objects.all()))
    Rule.objects.filter(pk=rule.pk).update(strategy="account_owner", pool_strategy="round_robin")
    make.publish(organization)
    return hubspot_connection


def create_lead(sandbox, email: str, company: dict | None = None) -> str:
    """A lead on a contact, the contact on ``company`` when given (else no company)."""
    links = []
    if company is not None:
        made = sandbox.control.create_record("companies", company)
        links = [
            {
                "to": {"id": made["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
            }
        ]
    contact = sandbox.control.create_record(
        "contacts", {"email": email, "firstname": "Ada"}, associations=links
    )
    lead = sandbox.control.create_record(
        "leads",
        {"hs_lead_name": f"Lead of {email}", "lead_source": "WEBSITE"},
        associations=[
            {
                "to": {"id": contact["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
            }
        ],
    )
    return str(lead["id"])


def route(connection, lead_id: str) -> Decision:
    receivers.take_in(connection, "leads", [lead_id], "webhook")
    return Decision.objects.get(lead__external_id=lead_id, is_current=True)


def owner_id(decision: Decision) -> str:
    return RepIdentity.objects.get(rep=decision.rep, connection=decision.lead.connection).external_id


@pytest.mark.django_db(transaction=True)
def test_a_lead_of_an_owned_company_goes_to_the_company_owner(by_account, hubspot_sandbox):
    lead_id = create_lead(
        hubspot_sandbox,
        "ada@compilers.example",
        {"name": "Compilers Inc", "domain": "compilers.example", "hubspot_owner_id": "70000005"},
    )

    decision = route(by_account, lead_id)

    assert (decision.via, decision.strategy, owner_id(decision)) == (
        "account owner",
        "account_owner",
        "70000005",
    )
    assert decision.trace["account"]["evidence"].startswith("associated company ")
    assert decision.trace["account"]["name"] == "Compilers Inc"


@pytest.mark.django_db(transaction=True)
def test_a_lead_without_a_company_is_matched_by_its_email_domain(by_account, hubspot_sandbox):
    hubspot_sandbox.control.create_record(
        "companies",
        {"name": "Analytical Engines", "domain": "www.analytical.example", "hubspot_owner_id": "70000007"},
    )
    lead_id = create_lead(hubspot_sandbox, "grace@Analytical.example")

    decision = route(by_account, lead_id)

    assert owner_id(decision) == "70000007" and decision.via == "account owner"
    assert decision.trace["account"]["evidence"] == "email domain analytical.example = company domain"


@pytest.mark.django_db(transaction=True)
def test_when_the_account_owner_is_away_the_pool_takes_the_lead_and_says_why(by_account, hubspot_sandbox):
    away = RepIdentity.objects.get(connection=by_account, external_id="70000005").rep
    today = timezone.now().date()
    OutOfOffice.objects.create(rep=away, starts_on=today, ends_on=today)
    lead_id = create_lead(
        hubspot_sandbox,
        "ada@compilers.example",
        {"name": "Compilers Inc", "domain": "compilers.example", "hubspot_owner_id": "70000005"},
    )

    decision = route(by_account, lead_id)

    assert decision.outcome == "assigned" and decision.via == "pool" and decision.rep != away
    assert decision.trace["account"]["owner_rep_id"] == str(away.pk)  # the match is kept as evidence
    reasons = {c["rep_id"]: c["reason"] for c in decision.trace["candidates"]}
    assert reasons[str(away.pk)].startswith("out of office")


@pytest.mark.django_db(transaction=True)
def test_free_mail_domains_match_no_account(by_account, hubspot_sandbox):
    hubspot_sandbox.control.create_record(
        "companies", {"name": "Google", "domain": "gmail.com", "hubspot_owner_id": "70000003"}
    )
    lead_id = create_lead(hubspot_sandbox, "someone@gmail.com")

    decision = route(by_account, lead_id)

    assert decision.trace["account"] is None and decision.via == "pool"
