"""``insert_all`` (crm_integrations/core/row_inserts.py): the same rows ``bulk_create`` would store,
with their primary keys set, batched by the database's parameter limit, and ``bulk_create`` itself
for what it does not cover."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_integrations.core.row_inserts import insert_all
from crm_integrations.models import Organization, WebhookDelivery, WebhookEvent
from field_mapping.models import Lead
from routing.models import JourneyEvent


def stored(model, pks, fields):
    return list(model.objects.filter(pk__in=pks).order_by("pk").values_list(*fields))


@pytest.fixture
def lead(hubspot_connection):
    return Lead.objects.create(
        organization=hubspot_connection.organization,
        connection=hubspot_connection,
        object_type="leads",
        external_id="1",
    )


@pytest.mark.django_db
def test_rows_stored_as_bulk_create_stores_them_with_their_keys(lead):
    at = timezone.now()
    fields = ("lead_id", "kind", "summary", "detail", "at")

    def events(tag):
        return [
            JourneyEvent(lead=lead, kind="received", summary=f"{tag} {n}", detail={"n": n, "x": ["y"]}, at=at)
            for n in range(3)
        ]

    ours, django_s = events("ours"), events("django")
    insert_all(ours)
    JourneyEvent.objects.bulk_create(django_s)

    assert all(row.pk is not None and not row._state.adding for row in ours)
    assert len({row.pk for row in ours}) == 3
    mine = stored(JourneyEvent, [row.pk for row in ours], fields)
    theirs = stored(JourneyEvent, [row.pk for row in django_s], fields)
    assert [row[:2] + row[3:] for row in mine] == [row[:2] + row[3:] for row in theirs]
    assert [row.summary for row in ours] == [row[2] for row in mine]  # each key is its own row's
    assert mine[0][3] == {"n": 0, "x": ["y"]} and mine[0][4] == at


@pytest.mark.django_db
def test_auto_now_add_and_related_objects_saved_after_assignment_are_filled_in(hubspot_connection):
    organizations = [Organization(name=f"Org {n}", slug=f"org-{n}") for n in range(2)]
    insert_all(organizations)
    assert all(organization.created_at is not None for organization in organizations)
    assert stored(Organization, [o.pk for o in organizations], ("slug",)) == [("org-0",), ("org-1",)]

    lead = Lead(
        organization=organizations[0], connection=hubspot_connection, object_type="leads", external_id="2"
    )
    event = JourneyEvent(lead=lead, kind="received", summary="s", at=timezone.now())
    insert_all([lead])  # saved after the event was given it: the event takes its new key
    insert_all([event])
    assert JourneyEvent.objects.get(pk=event.pk).lead_id == lead.pk


@pytest.mark.django_db
def test_many_rows_are_split_by_the_parameter_limit_and_keep_their_order(lead):
    rows = [JourneyEvent(lead=lead, kind="received", summary=str(n), at=timezone.now()) for n in range(450)]
    with CaptureQueriesContext(db) as captured:
        insert_all(rows)
    columns = [field for field in JourneyEvent._meta.concrete_fields if not field.primary_key]
    per_statement = db.ops.bulk_batch_size(columns, rows)
    assert len(captured) == -(-len(rows) // per_statement)
    assert dict(JourneyEvent.objects.filter(lead=lead).values_list("pk", "summary")) == {
        row.pk: row.summary for row in rows
    }


@pytest.mark.django_db
def test_rows_given_their_keys_keep_them():
    delivery = WebhookDelivery.objects.create(provider="hubspot", method="POST", url="/x", body="[]")
    rows = [
        WebhookEvent(pk=900 + n, delivery=delivery, dedupe_key=f"k{n}", object_id=str(n)) for n in range(2)
    ]
    insert_all(rows)
    assert stored(WebhookEvent, [900, 901], ("pk", "object_id")) == [(900, "0"), (901, "1")]


@pytest.mark.django_db
def test_what_it_does_not_cover_is_left_to_bulk_create():
    delivery = WebhookDelivery.objects.create(provider="hubspot", method="POST", url="/x", body="[]")
    mixed = [
        WebhookEvent(pk=950, delivery=delivery, dedupe_key="a"),
        WebhookEvent(delivery=delivery, dedupe_key="b"),
    ]
    with mock.patch.object(
        WebhookEvent.objects, "bulk_create", wraps=WebhookEvent.objects.bulk_create
    ) as bulk:
        insert_all(mixed)
        insert_all([])
    bulk.assert_called_once_with(mixed)
    assert WebhookEvent.objects.filter(delivery=delivery).count() == 2


@pytest.mark.django_db
def test_values_of_another_type_are_converted_as_bulk_create_converts_them():
    """Plain strings and numbers go to the database as they are; anything else through the field's
    own conversion: an int for a text column, a string or a boolean for an integer one (PostgreSQL
    refuses a boolean in a bigint column), an int for a float one."""
    from crm_integrations.models import TraceSpan

    at = timezone.now()
    fields = ("trace_id", "span_id", "name", "duration_ms", "lead_id", "attributes", "started_at")

    def spans(tag):
        odd = [("7", 3, "42"), (8, 2.5, True), ("plain", 1.5, 9), ("none", 0.0, None)]
        return [
            TraceSpan(
                trace_id=f"{tag}{n}", span_id="a" * 16, name=name, duration_ms=ms, lead_id=lead,
                attributes={"n": n}, started_at=at,
            )
            for n, (name, ms, lead) in enumerate(odd)
        ]  # fmt: skip

    ours, django_s = spans("ours"), spans("django")
    insert_all(ours)
    TraceSpan.objects.bulk_create(django_s)

    mine = stored(TraceSpan, [row.pk for row in ours], fields)
    theirs = stored(TraceSpan, [row.pk for row in django_s], fields)
    assert [row[1:] for row in mine] == [row[1:] for row in theirs]
    assert [(row[2], row[3], row[4]) for row in mine] == [
        ("7", 3.0, 42),
        ("8", 2.5, 1),
        ("plain", 1.5, 9),
        ("none", 0.0, None),
    ]
