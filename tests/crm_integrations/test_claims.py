"""``TokenClaims``: rows claimed with a token go to one claimer only, until the claim is stale.

Shown on webhook events claimed as ``crm_integrations/intake/batches.py`` claims them (an empty
token: unclaimed), and as ``routing/writeback.py`` claims its rows (a state says what is claimed,
and the claim's time goes into an existing column).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from crm_integrations.core.claims import TokenClaims
from crm_integrations.models import WebhookDelivery, WebhookEvent

TIMEOUT = timedelta(minutes=2)
BY_TOKEN = TokenClaims(unclaimed=Q(claim_token=""), claimed_at="claimed_at", timeout=TIMEOUT)
#: Claimed = "error" here, standing in for writeback's "sending".
BY_STATE = TokenClaims(unclaimed=Q(outcome="pending"), claimed_at="occurred_at", timeout=TIMEOUT)


@pytest.fixture
def events(db) -> list[WebhookEvent]:
    delivery = WebhookDelivery.objects.create(provider="hubspot", method="POST", url="/events")
    start = timezone.now() - timedelta(hours=1)
    return [
        WebhookEvent.objects.create(
            delivery=delivery, dedupe_key=str(n), created_at=start + timedelta(seconds=n)
        )
        for n in range(5)
    ]


def pks(rows) -> list[int]:
    return [row.pk for row in rows]


def test_a_claim_takes_the_oldest_free_rows_and_marks_them_with_its_token(events):
    mine = list(BY_TOKEN.take(WebhookEvent.objects.all(), 2))

    assert sorted(pks(mine)) == pks(events[:2])
    assert len({row.claim_token for row in mine}) == 1 and mine[0].claim_token
    assert all(row.claimed_at is not None for row in mine)


def test_rows_claimed_by_another_are_skipped_until_their_claim_is_stale(events):
    theirs = pks(BY_TOKEN.take(WebhookEvent.objects.all(), 2))
    mine = pks(BY_TOKEN.take(WebhookEvent.objects.all(), 10))

    assert sorted(mine) == pks(events[2:])
    assert list(BY_TOKEN.take(WebhookEvent.objects.all(), 10)) == []

    almost = timezone.now() - TIMEOUT + timedelta(seconds=30)
    WebhookEvent.objects.filter(pk__in=theirs).update(claimed_at=almost)
    assert list(BY_TOKEN.take(WebhookEvent.objects.all(), 10)) == []

    WebhookEvent.objects.filter(pk__in=theirs).update(claimed_at=timezone.now() - TIMEOUT)
    assert sorted(pks(BY_TOKEN.take(WebhookEvent.objects.all(), 10))) == sorted(theirs)


def test_a_claim_sets_its_values_and_keeps_to_the_rows_it_is_given(events):
    first, second = events[0], events[1]
    now = timezone.now()

    mine = list(BY_STATE.take(WebhookEvent.objects.exclude(pk=first.pk), 1, now=now, outcome="error"))

    assert pks(mine) == [second.pk]
    assert (mine[0].outcome, mine[0].occurred_at) == ("error", now)
    assert WebhookEvent.objects.get(pk=first.pk).outcome == "pending"


def test_a_claim_by_state_frees_a_stale_claim(events):
    BY_STATE.take(WebhookEvent.objects.all(), 5, outcome="error")
    assert list(BY_STATE.take(WebhookEvent.objects.all(), 5, outcome="error")) == []

    WebhookEvent.objects.filter(pk=events[3].pk).update(occurred_at=timezone.now() - TIMEOUT)

    assert pks(BY_STATE.take(WebhookEvent.objects.all(), 5, outcome="error")) == [events[3].pk]
