"""The CRM's words for canonical values: computed from field definitions and owners (pure), kept on
the mapping when the wizard saves or the intake finds them a day old, and shown on the lead pages."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.errors import ProviderUnavailable
from crm_integrations.core.types import CrmField, CrmOwner, FieldOption, FieldType
from field_mapping import label_services, receivers
from field_mapping.labels import LabelBook, describe_settings, value_labels
from field_mapping.mapping import MappingSpec, RuleSpec
from field_mapping.models import FieldMapping, Lead
from field_mapping.preview import preview_mapping
from field_mapping.services import default_mapping_for
from tests.field_mapping.defaults import HUBSPOT_LEADS_DEFAULT

SOURCE = CrmField(
    "leads",
    "lead_source",
    "Lead source",
    FieldType.ENUMERATION,
    options=(FieldOption("WEBSITE", "Website"), FieldOption("PAID_ADS", "Paid ads")),
)
INDUSTRY = CrmField(
    "companies",
    "industry",
    "Industry",
    FieldType.ENUMERATION,
    options=(FieldOption("HOSPITAL_HEALTH_CARE", "Hospital & health care"), FieldOption("RETAIL", "Retail")),
)
OWNER = CrmField("leads", "hubspot_owner_id", "Owner", FieldType.OWNER)
FIELDS = {"leads": [SOURCE, OWNER], "companies": [INDUSTRY]}
OWNERS = [CrmOwner("70000100", "ann@example.com", "Ann", "Lee"), CrmOwner("70000101", "bo@example.com")]


def test_labels_follow_each_rules_transform():
    spec = MappingSpec(
        "leads",
        rules=(
            RuleSpec("source", "lead_source"),
            RuleSpec("owner", "hubspot_owner_id"),
            RuleSpec("industry", "contacts.companies.industry", "lower"),
            RuleSpec(
                "lead_type",
                "lead_source",
                "value_map",
                {"map": {"WEBSITE": "Inbound", "PAID_ADS": "Inbound", "RETAIL": "R"}, "fallback": "Other"},
            ),
            RuleSpec("country", "lead_source", "value_map", {"map": {"PAID_ADS": "ADS"}}),
            RuleSpec("amount", "lead_source", "number"),
        ),
    )
    assert value_labels(spec, FIELDS, OWNERS) == {
        "source": {"WEBSITE": "Website", "PAID_ADS": "Paid ads"},
        "owner": {"70000100": "Ann Lee", "70000101": "bo@example.com"},
        "industry": {"hospital_health_care": "Hospital & health care", "retail": "Retail"},
        # "Inbound" comes from two CRM values and "Other" from any: no single CRM label fits them
        "country": {"ADS": "Paid ads"},
    }


def test_a_label_book_shows_labels_else_the_value_and_status_as_its_outcome():
    book = LabelBook({"industry": {"HOSPITAL_HEALTH_CARE": "Hospital & health care"}})
    assert book.show("industry", "HOSPITAL_HEALTH_CARE") == "Hospital & health care"
    assert book.show("industry", "SOMETHING_NEW") == "SOMETHING_NEW"
    assert book.label("industry", "SOMETHING_NEW") is None
    assert book.show("status", "won") == "Won"
    assert book.show("source", None) == ""


def test_settings_are_described_in_words():
    assert describe_settings("value_map", {"map": {"WEBSITE": "Web"}, "fallback": "Other"}) == (
        "WEBSITE → Web; any other value → Other"
    )
    assert describe_settings("value_map", {"map": {"A": "B"}}) == "A → B; any other value is a mapping error"
    assert describe_settings("default", {"default": "Unknown"}) == "when empty: Unknown"
    assert describe_settings("as_is", {}) == "—"


# -- against the HubSpot sandbox ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_preview_shows_labels_and_owner_names_not_codes_and_ids(sandbox_connection):
    preview = preview_mapping(sandbox_connection, HUBSPOT_LEADS_DEFAULT, limit=5)
    names = {owner.id: owner.name for owner in registry.get_client(sandbox_connection).list_owners()}
    owned = 0
    for row in preview.rows:
        cells = {cell.name: cell for cell in row.cells()}
        source = cells["source"]
        assert source.label == source.value.replace("_", " ").capitalize()  # the sandbox's labels
        if cells["owner"].value:
            owned += 1
            assert cells["owner"].label == names[cells["owner"].value]  # a name, not 70000100
        assert cells["status"].label in {"Open", "Won", "Lost"}
    assert owned


@pytest.mark.django_db
def test_the_intake_reads_labels_for_a_default_mapping_once_a_day(sandbox_connection):
    mapping = default_mapping_for(sandbox_connection)
    assert mapping.labels_read_at is None and not mapping.rules.exclude(value_labels={}).exists()

    assert label_services.labels_refresh_if_stale(sandbox_connection) is True
    mapping.refresh_from_db()
    assert mapping.labels_read_at is not None
    assert mapping.rules.get(canonical_field="source").value_labels["WEBSITE"] == "Website"
    assert label_services.labels_refresh_if_stale(sandbox_connection) is False  # fresh: no CRM call

    FieldMapping.objects.update(labels_read_at=timezone.now() - timedelta(days=2))
    assert label_services.labels_refresh_if_stale(sandbox_connection) is True


@pytest.mark.django_db
def test_a_crm_that_will_not_list_fields_leaves_intake_going_and_retries_in_an_hour(
    sandbox_connection, monkeypatch
):
    mapping = default_mapping_for(sandbox_connection)

    def down(connection, spec):
        raise ProviderUnavailable("503", retry_after=0)

    monkeypatch.setattr(label_services, "fields_for_spec", down)
    assert label_services.labels_refresh_if_stale(sandbox_connection) is False
    mapping.refresh_from_db()
    assert not label_services.labels_are_stale(mapping)
    assert label_services.labels_are_stale(mapping, now=timezone.now() + timedelta(hours=1, seconds=1))


@pytest.mark.django_db
def test_the_lead_page_and_list_show_labels_owner_names_and_warnings(
    sandbox_connection, hubspot_sandbox, admin_client
):
    default_mapping_for(sandbox_connection)
    contact = hubspot_sandbox.control.create_record("contacts", {"email": "solo@example.com"})
    created = hubspot_sandbox.control.create_record(
        "leads",
        {"hs_lead_name": "Solo lead", "lead_source": "PAID_ADS", "hs_pipeline_stage": "new-stage-id"},
        associations=[
            {
                "to": {"id": contact["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
            }
        ],
    )
    receivers.take_in(sandbox_connection, "leads", [str(created["id"])], "webhook")
    lead = Lead.objects.get(external_id=str(created["id"]))
    assert lead.state == "ok" and {w["field"] for w in lead.mapping_warnings} == {"company", "industry"}

    listing = admin_client.get(reverse("admin:field_mapping_lead_changelist")).content.decode()
    assert '<span title="PAID_ADS">Paid ads</span>' in listing
    assert "2 warnings" in listing
    warned = admin_client.get(reverse("admin:field_mapping_lead_changelist") + "?mapping=warnings")
    assert "Solo lead" in warned.content.decode()

    page = admin_client.get(reverse("admin:field_mapping_lead_change", args=[lead.pk])).content.decode()
    assert "Paid ads" in page and "contacts " in page and "has no associated companies" in page
    assert "Mapping warnings" in page


def test_a_value_map_target_from_a_single_option_gets_its_label():
    spec = replace(
        HUBSPOT_LEADS_DEFAULT,
        rules=(RuleSpec("source", "lead_source", "value_map", {"map": {"WEBSITE": "WEB"}}),),
    )
    assert value_labels(spec, FIELDS) == {"source": {"WEB": "Website"}}
