"""The mapping wizard's logic and pages against the HubSpot sandbox over real HTTP: the live property
catalogue, the form <-> spec round trip, previews on real records, and the pages (Django test client)."""

from dataclasses import replace

import pytest
from django.urls import reverse

from crm_integrations.core import registry
from crm_integrations.core.errors import (
    AuthExpired,
    AuthRevoked,
    CrmError,
    InvalidRequest,
    ProviderUnavailable,
    RateLimited,
)
from crm_integrations.services import upsert_organization_integration
from field_mapping.catalogue import association_paths, property_catalogue
from field_mapping.forms import MappingWizardForm, with_status_options
from field_mapping.mapping import RuleSpec
from field_mapping.models import FieldMapping
from field_mapping.preview import crm_error_message, fetchable, preview_mapping
from field_mapping.selectors import wizard_connections, wizard_initial_spec
from field_mapping.services import mapping_save
from tests.field_mapping.defaults import HUBSPOT_LEADS_DEFAULT
from tests.field_mapping.wizard_support import form_fields

pytestmark = pytest.mark.django_db


def with_rule(spec, name, path, transform="as_is", options=None):
    rules = [rule for rule in spec.rules if rule.canonical_field != name]
    return replace(spec, rules=(*rules, RuleSpec(name, path, transform, options or {})))


# -- the catalogue --------------------------------------------------------------------------------------


def test_association_paths_follow_the_provider_graph_two_hops_without_going_back():
    assert association_paths("hubspot", "leads") == (
        "companies",
        "contacts",
        "deals",
        "companies.contacts",
        "companies.deals",
        "contacts.companies",
        "contacts.deals",
        "deals.companies",
        "deals.contacts",
    )
    assert association_paths("monday", "items") == ()


def test_the_catalogue_lists_the_live_properties_of_the_lead_and_associated_objects(sandbox_connection):
    catalogue = property_catalogue(sandbox_connection, "leads")
    assert set(catalogue.fields) == {"leads", "contacts", "companies", "deals"}
    assert catalogue.unavailable == {}
    stage = catalogue.field_at("hs_pipeline_stage")
    assert stage.type.value == "enumeration"
    assert [o.value for o in stage.options][:2] == ["new-stage-id", "attempting-stage-id"]
    assert catalogue.field_at("contacts.companies.industry").object_type == "companies"
    assert catalogue.field_at("contacts.no_such_property") is None
    choices = {choice.path: choice.description for choice in catalogue.choices()}
    assert choices["lead_source"].startswith("Lead source · enumeration · 6 options")
    assert choices["contacts.companies.industry"].endswith("via contacts → companies")
    assert catalogue.as_json()["leads"]["lead_source"]["options"][0] == ["WEBSITE", "Website"]


def test_an_unknown_lead_object_is_reported_not_raised(sandbox_connection):
    catalogue = property_catalogue(sandbox_connection, "tickets")
    assert not catalogue.lead_fields_known
    assert "tickets" in catalogue.unavailable


# -- the form -----------------------------------------------------------------------------------------------


def test_the_form_round_trips_a_spec_and_lists_every_status_option(sandbox_connection):
    catalogue = property_catalogue(sandbox_connection, "leads")
    spec = replace(
        with_rule(HUBSPOT_LEADS_DEFAULT, "source", "lead_source", "value_map", {"map": {"WEBSITE": "web"}}),
        status_map={"qualified-stage-id": "won", "legacy-value": "lost"},
    )
    shown = MappingWizardForm.from_spec(spec, catalogue)
    values = [form["crm_value"].value() for form, _ in shown.status_rows(catalogue)]
    assert values[:6] == [
        "new-stage-id",
        "attempting-stage-id",
        "connected-stage-id",
        "qualified-stage-id",
        "unqualified-stage-id",
        "legacy-value",  # not a CRM option: kept, and validation will say so
    ]
    assert shown.status_rows(catalogue)[3][1] == "Qualified"  # the CRM's label, shown next to the value

    posted = MappingWizardForm(_post_data(shown))
    assert posted.is_valid(), posted.error_messages
    result = posted.spec()
    assert result.rule_for("source") == RuleSpec(
        "source", "lead_source", "value_map", {"map": {"WEBSITE": "web"}}
    )
    assert {rule.canonical_field for rule in result.rules} == {r.canonical_field for r in spec.rules}
    assert result.status_map == {"qualified-stage-id": "won", "legacy-value": "lost"}
    assert result.status_source == "hs_pipeline_stage"


def test_transform_settings_are_form_fields_not_json_and_their_mistakes_are_said_in_words():
    form = MappingWizardForm.from_spec(with_rule(HUBSPOT_LEADS_DEFAULT, "source", "lead_source"))
    data = {
        **_post_data(form),
        "rule-source-transform": "value_map",
        "rule-source-value_map": "WEBSITE = Web\nPAID_ADS Paid",
    }
    posted = MappingWizardForm(data)
    assert not posted.is_valid()
    assert posted.error_messages == ["source value_map: Line 2 is not “CRM value = value”: PAID_ADS Paid"]
    posted = MappingWizardForm(
        {**data, "rule-source-value_map": "WEBSITE = Web", "rule-source-fallback": "Other"}
    )
    assert posted.is_valid(), posted.error_messages
    assert posted.spec().rule_for("source").options == {"map": {"WEBSITE": "Web"}, "fallback": "Other"}
    posted = MappingWizardForm({**data, "rule-source-transform": "default", "rule-source-default": ""})
    assert not posted.is_valid()
    assert posted.error_messages == ["source default: Say which value an empty property becomes."]
    posted = MappingWizardForm({**data, "rule-source-transform": "date", "rule-source-date_format": "dd/mm"})
    assert not posted.is_valid()
    assert "source date_format: A date format uses codes such as %d/%m/%Y." in posted.error_messages


def test_a_value_map_round_trips_through_the_settings_fields():
    spec = with_rule(
        HUBSPOT_LEADS_DEFAULT, "lead_type", "hs_lead_type", "value_map", {"map": {"NEW_BUSINESS": "New"}}
    )
    shown = MappingWizardForm.from_spec(spec)
    assert shown.rules["lead_type"]["value_map"].value() == "NEW_BUSINESS = New"
    assert shown.rules["lead_type"]["fallback"].value() == ""
    posted = MappingWizardForm(_post_data(shown))
    assert posted.is_valid(), posted.error_messages
    assert posted.spec().rule_for("lead_type") == spec.rule_for("lead_type")


def test_an_empty_path_leaves_the_field_unmapped():
    form = MappingWizardForm.from_spec(HUBSPOT_LEADS_DEFAULT)
    posted = MappingWizardForm({**_post_data(form), "rule-industry-source_path": "  "})
    assert posted.is_valid()
    assert posted.spec().rule_for("industry") is None


def test_status_options_follow_the_status_source(sandbox_connection):
    catalogue = property_catalogue(sandbox_connection, "leads")
    spec = with_status_options(
        replace(HUBSPOT_LEADS_DEFAULT, status_source="hs_lead_label", status_map={}), catalogue
    )
    assert dict(spec.status_map) == {"HOT": "", "WARM": "", "COLD": ""}


def _post_data(form: MappingWizardForm) -> dict[str, str]:
    """What the browser posts for an unbound form (every field's initial value)."""
    data = {}
    for bound in [*form.header, *(f for rule in form.rules.values() for f in rule)]:
        data[bound.html_name] = bound.value() or ""
    for bound in form.status.management_form:
        data[bound.html_name] = bound.value()
    for row in form.status.forms:
        for bound in row:
            data[bound.html_name] = bound.value() or ""
    return data


# -- the preview ------------------------------------------------------------------------------------------


def test_the_preview_maps_real_sample_records_with_their_contacts_and_companies(sandbox_connection):
    preview = preview_mapping(sandbox_connection, HUBSPOT_LEADS_DEFAULT, limit=5)
    assert preview.problems == [] and preview.can_save
    assert len(preview.rows) == 5
    client = registry.get_client(sandbox_connection)
    ids = [row.record_id for row in preview.rows]
    leads = {r.id: r for r in client.batch_read("leads", ids, properties=["hs_lead_name", "lead_source"])}
    for row in preview.rows:
        assert row.errors == [], row.record_id
        lead = leads[row.record_id].properties
        assert row.values["name"] == lead["hs_lead_name"]
        assert row.values["source"] == lead["lead_source"]
        assert "@" in row.values["email"] and row.values["company"] and row.values["industry"]
        assert row.values["status"] in {"open", "won", "lost"}
        assert [cell.name for cell in row.cells()][:5] == ["source", "owner", "amount", "industry", "status"]


def test_the_preview_explains_a_property_that_does_not_exist_and_a_type_that_cannot_convert(
    sandbox_connection,
):
    spec = with_rule(HUBSPOT_LEADS_DEFAULT, "source", "lead_origin")
    spec = with_rule(spec, "amount", "contacts.companies.industry", "number")
    preview = preview_mapping(sandbox_connection, spec, limit=3)
    assert [(p.code, p.message) for p in preview.errors] == [
        ("unknown_property", "source: lead_origin: property 'lead_origin' does not exist on leads"),
        (
            "incompatible_transform",
            "amount: contacts.companies.industry: the options of companies.industry are not all numbers "
            "('ACCOUNTING', 'AUTOMOTIVE', 'BANKING', 'COMPUTER_SOFTWARE', 'CONSTRUCTION', ...)",
        ),
    ]
    assert not preview.can_save
    row = preview.rows[0]
    messages = [error.message for error in row.errors]
    assert (
        f"source: nothing at lead_origin: property 'lead_origin' is not on leads {row.record_id}" in messages
    )
    assert any(m.startswith("amount: ") and m.endswith("is not a number") for m in messages)


def test_an_unsupported_association_is_not_asked_of_the_crm_but_explained(sandbox_connection):
    spec = with_rule(HUBSPOT_LEADS_DEFAULT, "country", "tickets.country")
    assert fetchable(spec, "hubspot").rule_for("country") is None
    preview = preview_mapping(sandbox_connection, spec, limit=2)
    assert [p.code for p in preview.errors] == ["unsupported_association"]
    assert (
        "country: nothing at tickets.country: tickets were not fetched" in preview.rows[0].warnings[0].message
    )


def test_crm_errors_become_sentences_without_secrets():
    assert "Reconnect it on the Integrations page" in crm_error_message(AuthRevoked("refresh token rejected"))
    assert "could not be refreshed" in crm_error_message(AuthExpired("401"))
    assert crm_error_message(RateLimited("429", retry_after=7.2)) == (
        "The CRM is rate limiting requests right now. Nothing was changed; try again in 8 seconds."
    )
    assert crm_error_message(ProviderUnavailable("503", retry_after=0)) == (
        "The CRM is unavailable right now (server errors or timeouts). "
        "Nothing was changed; try again in 1 second."
    )
    assert crm_error_message(InvalidRequest("missing scope crm.objects.leads.read", status=403)) == (
        "The CRM refused the request: missing scope crm.objects.leads.read"
    )
    assert crm_error_message(CrmError("odd")) == "The CRM call failed: odd"


# -- the pages (Django test client) --------------------------------------------------------------------------


@pytest.fixture
def wizard_url(sandbox_connection):
    return reverse("admin:field_mapping_fieldmapping_wizard_mapping", args=[sandbox_connection.pk])


def test_step_one_lists_only_connected_connections_of_the_users_organizations(
    sandbox_connection, organization, client, django_user_model
):
    other = organization.__class__.objects.create(name="Other Org", slug="other")
    upsert_organization_integration(other, "hubspot", "sandbox", status="connected", access_token="a")
    upsert_organization_integration(organization, "monday", "sandbox", status="pending")
    staff = django_user_model.objects.create_user("member", password="pw", is_staff=True)
    staff.user_permissions.add(*_mapping_permissions())
    organization.memberships.create(user=staff, role="admin")
    assert list(wizard_connections(staff)) == [sandbox_connection]

    client.force_login(staff)
    page = client.get(reverse("admin:field_mapping_fieldmapping_wizard")).content.decode()
    assert page.count('class="connection"') == 1 and "Acme Corp" in page and "Other Org" not in page
    foreign = other.integrations.get()
    assert (
        client.get(reverse("admin:field_mapping_fieldmapping_wizard_mapping", args=[foreign.pk])).status_code
        == 404
    )


def test_staff_without_the_mapping_permissions_are_refused(
    sandbox_connection, client, django_user_model, wizard_url
):
    staff = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:field_mapping_fieldmapping_wizard")).status_code == 403
    assert client.get(wizard_url).status_code == 403


def test_the_wizard_starts_from_the_saved_mapping_else_the_default(sandbox_connection):
    assert wizard_initial_spec(sandbox_connection) == HUBSPOT_LEADS_DEFAULT
    mapping_save(sandbox_connection, "leads", [RuleSpec("source", "hs_lead_label")], {}, status_source="")
    saved = wizard_initial_spec(sandbox_connection)
    assert saved.rules == (RuleSpec("source", "hs_lead_label"),)
    assert wizard_initial_spec(sandbox_connection, "contacts").object_type == "contacts"


def test_preview_then_save_through_the_pages(admin_client, sandbox_connection, wizard_url):
    page = admin_client.get(wizard_url).content.decode()
    assert 'option value="contacts.companies.industry"' in page
    assert "Lead source · enumeration · options: WEBSITE (Website), REFERRAL (Referral)" in page

    data = {**form_fields(page), "rule-source-source_path": "lead_origin", "action": "preview"}
    page = admin_client.post(wizard_url, data).content.decode()
    assert "source: lead_origin: property &#x27;lead_origin&#x27; does not exist on leads" in page
    assert page.count('class="preview-record"') == 5

    response = admin_client.post(wizard_url, {**data, "action": "save"})
    assert response.status_code == 200
    assert "The mapping was not saved: 1 problem must be fixed first" in response.content.decode()
    assert not FieldMapping.objects.exists()

    response = admin_client.post(
        wizard_url, {**data, "rule-source-source_path": "lead_source", "action": "save"}
    )
    mapping = FieldMapping.objects.get(connection=sandbox_connection)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:field_mapping_fieldmapping_change", args=[mapping.pk])
    assert mapping.rules.get(canonical_field="source").source_path == "lead_source"
    assert mapping.status_rows.count() == 5


def test_a_revoked_grant_shows_a_clear_message_and_saves_nothing(
    admin_client, sandbox_connection, hubspot_sandbox, wizard_url
):
    data = {**form_fields(admin_client.get(wizard_url).content.decode()), "action": "save"}
    hubspot_sandbox.control.expire_tokens(portal_id=24000001)
    hubspot_sandbox.control.revoke_refresh_token(sandbox_connection.refresh_token)

    page = admin_client.post(wizard_url, data).content.decode()
    assert "The CRM no longer accepts this connection&#x27;s authorization" in page
    assert "Nothing can be checked, previewed or saved until the CRM answers." in page
    assert "Traceback" not in page and sandbox_connection.refresh_token not in page
    assert not FieldMapping.objects.exists()


def test_a_crm_outage_during_the_preview_is_a_message_not_a_traceback(
    admin_client, sandbox_connection, hubspot_sandbox, wizard_url, settings
):
    settings.CRM_HTTP = {**settings.CRM_HTTP, "MAX_ATTEMPTS": 1}
    data = {**form_fields(admin_client.get(wizard_url).content.decode()), "action": "preview"}
    hubspot_sandbox.control.set_faults(
        errorShare=1.0, errorStatuses=[503], pathPrefix="/crm/v3/objects/leads/search"
    )
    page = admin_client.post(wizard_url, data).content.decode()
    assert "The CRM is unavailable right now" in page
    assert 'id="preview-results"' not in page


def _mapping_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label="field_mapping", codename__in=["add_fieldmapping", "change_fieldmapping"]
    )
