"""``RowLease``: a lease in a row is taken when free or run out, refused while held, freed by its holder only.

Each case is a lease as a caller keeps it: the token refresher's (its end marks its holder,
``crm_integrations/core/tokens.py``), the breaker's probe (stamped when taken,
``crm_integrations/core/http/breaker.py``), and a lease with a token column, stamped with its end
(as ``contracts/status_out.py``'s) or its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from crm_integrations.core.http.breaker import PROBE_LEASE
from crm_integrations.core.leases import RowLease
from crm_integrations.core.tokens import REFRESH_LEASE
from crm_integrations.models import (
    OrganizationIntegration,
    ProviderCircuitBreaker,
    WebhookDelivery,
    WebhookEvent,
)
from crm_integrations.services import upsert_organization_integration

LENGTH = timedelta(minutes=5)


@dataclass
class Case:
    lease: RowLease
    rows: QuerySet[Any]

    def stamp(self) -> Any:
        return self.rows.values_list(self.lease.stamp, flat=True).get()

    def holder(self) -> Any:
        return self.rows.values_list(self.lease.owner or self.lease.stamp, flat=True).get()

    def run_out(self) -> None:
        """The holder died: its lease is past its end, whichever stamp it keeps."""
        self.rows.update(**{self.lease.stamp: timezone.now() - LENGTH - timedelta(seconds=1)})


def event_rows() -> QuerySet[WebhookEvent]:
    delivery = WebhookDelivery.objects.create(provider="hubspot", method="POST", url="/events")
    event = WebhookEvent.objects.create(delivery=delivery, dedupe_key="k")
    return WebhookEvent.objects.filter(pk=event.pk)


@pytest.fixture(params=["refresh", "probe", "token-end", "token-start"])
def case(request, organization) -> Case:
    if request.param == "refresh":
        connection = upsert_organization_integration(organization, "hubspot", "sandbox", status="connected")
        return Case(REFRESH_LEASE, OrganizationIntegration.objects.filter(pk=connection.pk))
    if request.param == "probe":
        row = ProviderCircuitBreaker.objects.create(provider="hubspot", account="1")
        return Case(PROBE_LEASE, ProviderCircuitBreaker.objects.filter(pk=row.pk))
    ends = request.param == "token-end"
    return Case(RowLease("claimed_at", owner="claim_token", ends=ends), event_rows())


def test_a_free_lease_is_taken_and_marks_its_holder(case):
    mark = case.lease.take(case.rows, LENGTH)

    assert mark is not None and case.holder() == mark
    left = case.lease.remaining(case.stamp(), LENGTH)
    assert LENGTH.total_seconds() - 60 < left <= LENGTH.total_seconds() + 1


def test_a_held_lease_is_refused_and_changes_nothing(case):
    mark = case.lease.take(case.rows, LENGTH)
    stamp = case.stamp()

    assert case.lease.take(case.rows, LENGTH) is None
    assert (case.holder(), case.stamp()) == (mark, stamp)


def test_a_lease_that_ran_out_is_taken_by_the_next(case):
    first = case.lease.take(case.rows, LENGTH)
    case.run_out()
    assert case.lease.remaining(case.stamp(), LENGTH) == 0

    second = case.lease.take(case.rows, LENGTH)

    assert second is not None and second != first and case.holder() == second


def test_only_the_holder_releases_the_lease(case):
    first = case.lease.take(case.rows, LENGTH)
    case.run_out()
    second = case.lease.take(case.rows, LENGTH)

    assert not case.lease.release(case.rows, first)  # it ran out and was taken: no longer the first's
    assert case.holder() == second
    assert case.lease.release(case.rows, second)
    assert case.stamp() is None and case.lease.remaining(None, LENGTH) is None
    assert case.lease.take(case.rows, LENGTH) is not None  # free again


def test_values_set_with_the_lease_only_when_it_is_taken(organization):
    rows = event_rows()
    lease = RowLease("claimed_at", owner="claim_token")

    assert lease.take(rows, LENGTH, outcome="ingested") is not None
    assert lease.take(rows, LENGTH, outcome="error") is None
    assert rows.get().outcome == "ingested"


def test_a_lease_on_no_row_is_not_taken(db):
    assert REFRESH_LEASE.take(OrganizationIntegration.objects.none(), LENGTH) is None
    assert PROBE_LEASE.take(ProviderCircuitBreaker.objects.filter(pk=-1), LENGTH) is None
