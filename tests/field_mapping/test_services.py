"""Saving mappings, the HubSpot default, and storing mapped records as leads (database)."""

import threading
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.db.models import RestrictedError

from crm_integrations.models import Organization
from crm_integrations.services import upsert_organization_integration
from field_mapping import services
from field_mapping.mapping import MappingSpec, RuleSpec, map_record, record_from_raw
from field_mapping.models import FieldMapping, FieldRule, Lead, LeadState, StatusMapping
from field_mapping.selectors import lead_by_external_id, mapping_for_connection, spec_for_connection
from field_mapping.services import (
    NoDefaultMapping,
    default_mapping_for,
    lead_upsert_from_record,
    mapping_save,
)
from tests.field_mapping.defaults import HUBSPOT_LEADS_DEFAULT

from .records import UPDATED, contact, hubspot_lead

pytestmark = pytest.mark.django_db


def as_set(spec):
    """Rules by canonical field (the order rules come back in does not matter)."""
    return {r.canonical_field: (r.source_path, r.transform, dict(r.options)) for r in spec.rules}


# -- mappings ----------------------------------------------------------------------------------------


def test_save_creates_the_mapping_with_its_rules_and_status_rows(connection, django_user_model):
    user = django_user_model.objects.create_user("mapper")
    mapping = mapping_save(
        connection,
        "leads",
        [
            {"canonical_field": "source", "source_path": "lead_source"},
            RuleSpec("amount", "lead_amount", "number"),
            {
                "canonical_field": "industry",
                "source_path": "contacts.companies.industry",
                "transform": "value_map",
                "options": {"map": {"RETAIL": "Retail"}, "fallback": "Other"},
            },
        ],
        {"new-stage-id": "open", "qualified-stage-id": "won"},
        user,
        status_source="hs_pipeline_stage",
        status_default="excluded",
    )
    spec = spec_for_connection(connection)
    assert mapping.updated_by == user
    assert spec.status_source == "hs_pipeline_stage" and spec.status_default == "excluded"
    assert spec.status_map == {"new-stage-id": "open", "qualified-stage-id": "won"}
    assert as_set(spec) == {
        "source": ("lead_source", "as_is", {}),
        "amount": ("lead_amount", "number", {}),
        "industry": (
            "contacts.companies.industry",
            "value_map",
            {"map": {"RETAIL": "Retail"}, "fallback": "Other"},
        ),
    }


def test_saving_again_replaces_rules_and_rows(connection):
    mapping_save(
        connection, "leads", [RuleSpec("source", "lead_source")], {"a": "open"}, None, status_source="x"
    )
    again = mapping_save(
        connection, "contacts", [RuleSpec("owner", "hubspot_owner_id")], [("b", "won")], None
    )
    assert FieldMapping.objects.get() == again
    assert again.object_type == "contacts" and again.status_source == ""
    assert list(FieldRule.objects.values_list("canonical_field", flat=True)) == ["owner"]
    assert list(StatusMapping.objects.values_list("crm_value", "outcome")) == [("b", "won")]


def test_an_invalid_mapping_explains_every_problem_and_writes_nothing(connection):
    mapping_save(connection, "leads", [RuleSpec("source", "lead_source")], {"a": "open"}, None)
    with pytest.raises(ValidationError) as raised:
        mapping_save(
            connection,
            "leads",
            [
                RuleSpec("status", "hs_pipeline_stage"),
                RuleSpec("source", "lead_source"),
                RuleSpec("source", "contacts.lifecyclestage"),
                RuleSpec("industry", "contacts.companies.industry", "value_map"),
                RuleSpec("company", "a.b.c.name"),
                RuleSpec("owner", "hubspot_owner_id", "shout"),
            ],
            [("new-stage-id", "open"), ("new-stage-id", "won"), ("x", "maybe")],
            None,
            status_default="sometimes",
        )
    errors = raised.value.message_dict
    assert set(errors) == {
        "mapping",
        "rules.status",
        "rules.source",
        "rules.industry",
        "rules.company",
        "rules.owner",
        "status.new-stage-id",
        "status.x",
    }
    assert errors["rules.status"] == [
        "canonical_field: Status is read from the mapping's status source through the status mapping rows, "
        "not from a field rule."
    ]
    assert errors["rules.source"] == ["source is mapped more than once."]
    assert errors["rules.industry"] == ['options: A value map needs {"map": {crm value: canonical value}}.']
    assert errors["rules.company"] == ["source_path: 'a.b.c.name' goes through 3 associations (at most 2)"]
    assert errors["rules.owner"] == ["transform: Value 'shout' is not a valid choice."]
    assert errors["status.new-stage-id"] == ["'new-stage-id' has more than one outcome."]
    assert errors["status.x"] == ["outcome: Value 'maybe' is not a valid choice."]
    assert errors["mapping"] == ["status_default: Value 'sometimes' is not a valid choice."]
    # the earlier mapping is intact
    assert spec_for_connection(connection).rules == (RuleSpec("source", "lead_source"),)


def test_the_default_mapping_is_the_hubspot_leads_default_and_never_overwrites(connection):
    mapping = default_mapping_for(connection)
    spec = MappingSpec.from_model(mapping_for_connection(connection))
    assert as_set(spec) == as_set(HUBSPOT_LEADS_DEFAULT)
    assert spec.status_source == "hs_pipeline_stage"
    assert spec.status_map == {
        "new-stage-id": "open",
        "attempting-stage-id": "open",
        "connected-stage-id": "open",
        "qualified-stage-id": "won",
        "unqualified-stage-id": "lost",
    }
    mapping_save(connection, "leads", [RuleSpec("source", "lead_source")], {}, None, status_source="x")
    assert default_mapping_for(connection) == mapping
    assert spec_for_connection(connection).status_source == "x"


def test_no_default_for_an_object_type_the_provider_has_none_for(organization):
    monday = upsert_organization_integration(organization, "monday", "production", status="connected")
    with pytest.raises(NoDefaultMapping):
        default_mapping_for(monday, object_type="subitems")


def test_a_monday_connection_defaults_to_its_items(organization):
    monday = upsert_organization_integration(organization, "monday", "production", status="connected")
    mapping = default_mapping_for(monday)
    assert mapping.object_type == "items" and mapping.status_source == "status"
    assert dict(mapping.status_rows.values_list("crm_value", "outcome"))["Excluded"] == "excluded"


def test_deleting_a_connection_deletes_its_mapping(connection):
    default_mapping_for(connection)
    connection.delete()
    assert not FieldMapping.objects.exists() and not FieldRule.objects.exists()


# -- leads ---------------------------------------------------------------------------------------------


def store(connection, record, via="webhook", spec=HUBSPOT_LEADS_DEFAULT):
    return lead_upsert_from_record(connection, "leads", record, map_record(spec, record), via)


def test_insert_stores_canonical_columns_raw_and_times(connection):
    write = store(connection, hubspot_lead())
    lead = Lead.objects.get()
    assert write.action == "created" and write.lead == lead
    assert (lead.organization, lead.connection, lead.object_type, lead.external_id) == (
        connection.organization,
        connection,
        "leads",
        "3001",
    )
    assert (lead.name, lead.email, lead.company, lead.country) == (
        "Ada Lovelace",
        "ada.lovelace@northwindlogistics.de",
        "Northwind Logistics",
        "Germany",
    )
    assert (lead.source, lead.owner_external_id, lead.amount, lead.industry, lead.status, lead.lead_type) == (
        "WEBSITE",
        "70000003",
        Decimal("12500.00"),
        "LOGISTICS_AND_SUPPLY_CHAIN",
        "open",
        "NEW_BUSINESS",
    )
    assert lead.state == LeadState.OK and lead.mapping_errors == []
    assert lead.crm_updated_at == UPDATED and lead.received_via == "webhook"
    assert lead.first_received_at == lead.last_received_at
    assert record_from_raw(lead.raw) == hubspot_lead()
    assert str(lead) == "Ada Lovelace · leads 3001 · Open"
    assert lead_by_external_id(connection, "leads", "3001") == lead
    assert lead_by_external_id(connection, "contacts", "3001") is None


def test_a_newer_version_updates_the_same_row(connection):
    first = store(connection, hubspot_lead()).lead
    newer = hubspot_lead(
        updated_at=UPDATED + timedelta(minutes=5),
        hs_pipeline_stage="qualified-stage-id",
        hubspot_owner_id="70000001",
    )
    write = store(connection, newer, via="poll")
    lead = Lead.objects.get()
    assert write.action == "updated" and lead.pk == first.pk
    assert (lead.status, lead.owner_external_id, lead.received_via) == ("won", "70000001", "poll")
    assert lead.crm_updated_at == UPDATED + timedelta(minutes=5)
    assert lead.first_received_at == first.first_received_at < lead.last_received_at


def test_an_older_version_never_rolls_the_lead_back(connection):
    store(
        connection,
        hubspot_lead(updated_at=UPDATED + timedelta(minutes=5), hs_pipeline_stage="qualified-stage-id"),
    )
    before = Lead.objects.get()
    write = store(
        connection, hubspot_lead(updated_at=UPDATED, hs_pipeline_stage="new-stage-id"), via="backfill"
    )
    after = Lead.objects.get()
    assert write.action == "stale" and not write.applied
    assert (after.status, after.crm_updated_at, after.received_via, after.raw) == (
        "won",
        UPDATED + timedelta(minutes=5),
        "webhook",
        before.raw,
    )
    assert after.last_received_at == before.last_received_at


def test_a_version_without_a_timestamp_does_not_replace_a_dated_one(connection):
    store(connection, hubspot_lead())
    assert (
        store(connection, hubspot_lead(updated_at=None, hs_pipeline_stage="qualified-stage-id")).action
        == "stale"
    )
    assert Lead.objects.get().status == "open"


def test_the_same_version_applies_again_so_a_replay_after_a_mapping_change_remaps(connection):
    store(connection, hubspot_lead(hs_pipeline_stage="nurture-stage-id"))
    assert Lead.objects.get().state == LeadState.MAPPING_ERROR
    lead = Lead.objects.get()
    fixed = replace(
        HUBSPOT_LEADS_DEFAULT, status_map={**HUBSPOT_LEADS_DEFAULT.status_map, "nurture-stage-id": "open"}
    )
    write = store(connection, record_from_raw(lead.raw), via="replay", spec=fixed)
    lead.refresh_from_db()
    assert write.action == "updated"
    assert (lead.state, lead.status, lead.mapping_errors, lead.received_via) == (
        LeadState.OK,
        "open",
        [],
        "replay",
    )


def test_a_contact_with_no_company_is_a_lead_with_warnings_not_a_mapping_error(connection):
    store(connection, hubspot_lead(contacts=(contact(companies=()),)))
    lead = Lead.objects.get()
    assert (lead.state, lead.mapping_errors) == (LeadState.OK, [])
    assert [warning["field"] for warning in lead.mapping_warnings] == ["company", "industry"]
    assert (lead.company, lead.industry, lead.email) == ("", "", "ada.lovelace@northwindlogistics.de")

    store(connection, hubspot_lead())  # the company was added in the CRM: the warnings go
    lead.refresh_from_db()
    assert (lead.state, lead.mapping_warnings, lead.company) == (LeadState.OK, [], "Northwind Logistics")


def test_a_malformed_record_is_stored_with_its_errors_never_dropped(connection):
    record = hubspot_lead(contacts=(contact(companies=()),), lead_amount="lots", hs_pipeline_stage="???")
    write = store(connection, record)
    lead = Lead.objects.get()
    assert write.action == "created"
    assert lead.state == LeadState.MAPPING_ERROR
    assert lead.mapping_errors == [
        {"field": "amount", "message": "amount: 'lots' at lead_amount is not a number"},
        {
            "field": "status",
            "message": "status: '???' at hs_pipeline_stage is not in the status mapping "
            "(and no default outcome is set)",
        },
    ]
    # The contact has no company: company and industry are optional, so that is a warning.
    assert lead.mapping_warnings == [
        {
            "field": "company",
            "message": "company: nothing at contacts.companies.name: "
            "contacts 201 has no associated companies",
        },
        {
            "field": "industry",
            "message": "industry: nothing at contacts.companies.industry: "
            "contacts 201 has no associated companies",
        },
    ]
    assert (lead.company, lead.amount, lead.status, lead.email) == (
        "",
        None,
        None,
        "ada.lovelace@northwindlogistics.de",
    )
    assert lead.raw["properties"]["lead_amount"] == "lots"
    assert str(lead) == "Ada Lovelace · leads 3001 · no status [mapping error]"


def test_overlong_values_are_cut_to_the_column_and_kept_whole_in_raw(connection):
    store(connection, hubspot_lead(hs_lead_name="A" * 300))
    lead = Lead.objects.get()
    assert lead.name == "A" * 255 and lead.raw["properties"]["hs_lead_name"] == "A" * 300


def test_received_via_must_be_known(connection):
    with pytest.raises(ValueError, match="received_via"):
        store(connection, hubspot_lead(), via="carrier-pigeon")


def test_leads_are_per_connection_and_object_type(connection, organization):
    other = upsert_organization_integration(organization, "hubspot", "production", status="connected")
    store(connection, hubspot_lead())
    store(other, hubspot_lead())
    lead_upsert_from_record(
        connection, "contacts", hubspot_lead(), map_record(HUBSPOT_LEADS_DEFAULT, hubspot_lead()), "poll"
    )
    assert Lead.objects.count() == 3


def test_a_connection_with_leads_cannot_be_deleted_but_its_organization_can(connection):
    store(connection, hubspot_lead())
    with pytest.raises(RestrictedError):
        connection.delete()
    Organization.objects.get(pk=connection.organization_id).delete()
    assert not Lead.objects.exists()


def race(connection, records):
    """Store ``records`` from one thread each, all at once; returns the actions and the errors."""
    barrier, actions, failures = threading.Barrier(len(records)), [], []

    def write(record):
        try:
            barrier.wait()
            actions.append(store(connection, record).action)
        except Exception as error:  # reported by the caller
            failures.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=write, args=(record,)) for record in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return actions, failures


@pytest.fixture
def slow_fill(monkeypatch):
    """Widen the window between reading the stored lead and writing it, so unguarded writers collide."""
    fill = services._fill

    def slow(*args):
        time.sleep(0.05)
        fill(*args)

    monkeypatch.setattr(services, "_fill", slow)


VERSIONS = [
    hubspot_lead(updated_at=UPDATED + timedelta(seconds=i), hubspot_owner_id=str(70000000 + i))
    for i in range(1, 9)
]


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_racing_first_inserts_of_one_record_make_one_row(connection, slow_fill):
    actions, failures = race(connection, VERSIONS)
    assert failures == []
    assert actions.count("created") == 1 and len(actions) == len(VERSIONS)
    assert Lead.objects.get().owner_external_id == "70000008"


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_racing_updates_of_one_record_keep_the_newest_version(connection, slow_fill):
    store(connection, hubspot_lead(updated_at=UPDATED))
    actions, failures = race(connection, list(reversed(VERSIONS)))
    assert failures == [] and len(actions) == len(VERSIONS)
    lead = Lead.objects.get()
    assert (lead.owner_external_id, lead.crm_updated_at) == ("70000008", UPDATED + timedelta(seconds=8))
