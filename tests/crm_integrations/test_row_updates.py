"""``update_each`` (crm_integrations/core/row_updates.py): each row's own values saved, in one
``executemany``, and only the fields named."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_integrations.core.row_updates import update_each
from crm_integrations.models import WebhookDelivery, WebhookEvent


@pytest.mark.django_db
def test_each_row_gets_its_own_values_in_one_statement():
    delivery = WebhookDelivery.objects.create(provider="hubspot", method="POST", url="/x", body="[]")
    claimed = timezone.now()
    rows = [
        WebhookEvent.objects.create(
            delivery=delivery, dedupe_key=f"k{n}", object_id=str(n), claim_token="t", claimed_at=claimed
        )
        for n in range(3)
    ]
    for n, row in enumerate(rows):
        row.outcome, row.result_ref, row.claim_token, row.claimed_at = "ingested", f"lead:{n}", "", None
        row.object_id = "not saved"  # a field not named keeps its stored value

    with CaptureQueriesContext(db) as captured:
        update_each(rows, ["outcome", "result_ref", "claim_token", "claimed_at"])

    assert len(captured) == 1
    saved = WebhookEvent.objects.filter(delivery=delivery).order_by("pk")
    assert [(e.outcome, e.result_ref, e.claim_token, e.claimed_at, e.object_id) for e in saved] == [
        ("ingested", f"lead:{n}", "", None, str(n)) for n in range(3)
    ]
    update_each([], ["outcome"])  # nothing to save: no statement, no error
