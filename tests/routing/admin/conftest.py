"""A small routing setup for the admin's tests: three reps, a rule by country and a catch-all,
published as v1, and five leads routed by it (write-backs only queued, no CRM called)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from crm_integrations.models import OrganizationIntegration
from field_mapping.models import Lead
from routing.assign import route_leads
from routing.models import Rep, Rule

from .. import factories as make

#: Countries of the five leads, in arrival order (the first is the oldest).
COUNTRIES = ("DE", "FR", "US", "AT", "FR")


@dataclass
class Setup:
    crm: OrganizationIntegration
    ann: Rep
    bob: Rep
    cid: Rep
    dach: Rule
    rest: Rule
    leads: list[Lead]

    def rep_names(self) -> dict[str, str]:
        return {str(rep.pk): rep.name for rep in (self.ann, self.bob, self.cid)}


@pytest.fixture
def crm(organization) -> OrganizationIntegration:
    return make.hubspot_connection(organization)


def build(organization: Any, crm: OrganizationIntegration) -> Setup:
    """v1: DACH (country in DE, AT) → Ann; Rest (every lead) → Bob and Cid by round robin.
    Routed: DE → Ann, FR → Bob, US → Cid, AT → Ann, FR → Bob."""
    # Keys of one width: a pool's order is its reps' ids sorted as strings (routing/engine/pools.py),
    # so ids that cross a power of ten (9, 10: PostgreSQL's sequences go on across tests) would put
    # Cid before Bob.
    ann, bob, cid = (
        make.rep(crm, name, owner_id=owner, pk=900_000 + n)
        for n, (name, owner) in enumerate((("Ann", "71"), ("Bob", "72"), ("Cid", "73")))
    )
    dach = make.rule(organization, "DACH", reps=[ann], conditions=[("country", "in", "DE, AT")])
    rest = make.rule(organization, "Rest", reps=[bob, cid])
    make.publish(organization)
    start = timezone.now() - timedelta(hours=1)
    leads = []
    for minute, country in enumerate(COUNTRIES):
        lead = make.lead(
            crm, country=country, source="WEBSITE", first_received_at=start + timedelta(minutes=minute)
        )
        route_leads(crm, [lead])
        leads.append(lead)
    return Setup(crm, ann, bob, cid, dach, rest, leads)


@pytest.fixture
def setup(organization, crm) -> Setup:
    return build(organization, crm)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "correct-horse-battery")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def form_data(response: Any) -> dict[str, Any]:
    """The POST data of an admin change page as it was rendered (main form and inline formsets)."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.extend(formset.forms)
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
                continue
            if isinstance(value, list | tuple):
                value = [getattr(item, "pk", item) for item in value]
            data[form.add_prefix(name)] = value
    return data
