"""Storing an intake batch in a few statements, with the same rules as one by one."""

from dataclasses import replace
from datetime import timedelta

import pytest

from field_mapping import services
from field_mapping.mapping import map_record
from field_mapping.models import Lead
from tests.field_mapping.defaults import HUBSPOT_LEADS_DEFAULT

from .records import UPDATED, hubspot_lead


def mapped(record):
    return record, map_record(HUBSPOT_LEADS_DEFAULT, record)


@pytest.mark.django_db
def test_a_batch_creates_updates_and_ignores_stale_versions_in_order(
    connection, django_assert_max_num_queries
):
    services.leads_upsert_from_records(connection, "leads", [mapped(hubspot_lead(record_id="1"))], "poll")
    services.leads_upsert_from_records(
        connection, "leads", [mapped(replace(hubspot_lead(record_id="2"), updated_at=UPDATED))], "poll"
    )
    newer = replace(
        hubspot_lead(record_id="1", hs_lead_name="Renamed"), updated_at=UPDATED + timedelta(hours=1)
    )
    older = replace(
        hubspot_lead(record_id="2", hs_lead_name="Old name"), updated_at=UPDATED - timedelta(hours=1)
    )
    batch = [mapped(newer), mapped(older), *(mapped(hubspot_lead(record_id=str(n))) for n in range(10, 60))]

    with django_assert_max_num_queries(12):
        writes = services.leads_upsert_from_records(connection, "leads", batch, "webhook")

    assert [w.action for w in writes[:3]] == ["updated", "stale", "created"]
    assert [w.lead.external_id for w in writes] == [record.id for record, _ in batch]
    assert Lead.objects.get(external_id="1").name == "Renamed"
    assert Lead.objects.get(external_id="2").name != "Old name"
    assert Lead.objects.filter(connection=connection).count() == 52
    assert all(w.lead.pk for w in writes)


@pytest.mark.django_db
def test_a_lead_another_process_inserted_meanwhile_is_updated_not_duplicated(connection, monkeypatch):
    record = hubspot_lead(record_id="77", hs_lead_name="Ours")
    new_lead = services._new_lead

    def rival_inserts_first(*args, **kwargs):
        monkeypatch.setattr(services, "_new_lead", new_lead)
        services.lead_upsert_from_record(
            connection,
            "leads",
            hubspot_lead(record_id="77", hs_lead_name="Theirs"),
            map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead(record_id="77", hs_lead_name="Theirs")),
            "poll",
        )
        return new_lead(*args, **kwargs)

    monkeypatch.setattr(services, "_new_lead", rival_inserts_first)
    [write] = services.leads_upsert_from_records(connection, "leads", [mapped(record)], "webhook")

    assert write.action == "updated" and write.lead.name == "Ours"
    assert Lead.objects.filter(external_id="77").count() == 1
