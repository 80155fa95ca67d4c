"""The HubSpot default mapping against the HubSpot sandbox over real HTTP: its real property list
and its real leads with their contacts and companies."""

from dataclasses import replace

import pytest

from crm_integrations.core import registry
from field_mapping.mapping import MappingSpec, RuleSpec, expansions, map_record, properties_by_path
from field_mapping.models import Lead, LeadState
from field_mapping.selectors import fields_for_spec, mapping_for_connection, mapping_problems
from field_mapping.services import default_mapping_for, lead_upsert_from_record
from field_mapping.validation import validate_mapping
from tests.field_mapping.defaults import HUBSPOT_ASSOCIATIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def default_spec(sandbox_connection):
    default_mapping_for(sandbox_connection)
    return MappingSpec.from_model(mapping_for_connection(sandbox_connection))


def test_the_default_mapping_validates_cleanly_against_the_sandboxs_properties(
    sandbox_connection, default_spec
):
    fields = fields_for_spec(sandbox_connection, default_spec)
    assert set(fields) == {"leads", "contacts", "companies"}
    assert {"hs_lead_name", "hs_pipeline_stage", "lead_source", "lead_amount"} <= {
        f.name for f in fields["leads"]
    }
    assert mapping_problems(sandbox_connection, default_spec) == []


def test_the_real_property_list_catches_a_renamed_property_and_an_unknown_stage(
    sandbox_connection, default_spec
):
    spec = replace(
        default_spec,
        rules=tuple(
            RuleSpec("source", "hs_lead_source") if rule.canonical_field == "source" else rule
            for rule in default_spec.rules
        ),
        status_map={**default_spec.status_map, "closed-won-stage-id": "won"},
    )
    fields = fields_for_spec(sandbox_connection, spec)
    problems = validate_mapping(spec, fields, associations=HUBSPOT_ASSOCIATIONS)
    assert [(p.code, p.message) for p in problems] == [
        ("unknown_property", "source: hs_lead_source: property 'hs_lead_source' does not exist on leads"),
        (
            "unknown_status_value",
            "status: 'closed-won-stage-id' is not an option of leads.hs_pipeline_stage "
            "(options: attempting-stage-id, connected-stage-id, new-stage-id, "
            "qualified-stage-id, unqualified-stage-id)",
        ),
    ]


def test_real_sandbox_leads_fetched_in_one_batch_map_cleanly_and_are_stored(sandbox_connection, default_spec):
    client = registry.get_client(sandbox_connection)
    ids = [record.id for record in client.changed_since("leads", None, limit=20).records]
    assert len(ids) == 20
    records = client.batch_read(
        "leads", ids, properties=properties_by_path(default_spec)[""], associations=expansions(default_spec)
    )
    assert [record.id for record in records] == ids
    for record in records:
        result = map_record(default_spec, record)
        assert result.errors == [], record.id
        assert result.values["email"] and result.values["company"] and result.values["industry"]
        assert result.values["status"] in {"open", "won", "lost"}
        assert (
            lead_upsert_from_record(sandbox_connection, "leads", record, result, "backfill").action
            == "created"
        )
    assert Lead.objects.filter(state=LeadState.OK).count() == 20
    lead = Lead.objects.get(external_id=ids[0])
    assert lead.email == lead.raw["associated"]["contacts"][0]["properties"]["email"].lower()
    assert lead.crm_updated_at is not None
