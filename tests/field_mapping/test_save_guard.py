"""Saving a mapping first tries it on real sample records (the HubSpot sandbox over real HTTP): a
mapping whose transforms fail on them is refused, the records and values listed in words, unless the
admin ticks "Save anyway" after seeing exactly those failures."""

import re

import pytest
from django.urls import reverse

from field_mapping.models import FieldMapping
from tests.field_mapping.wizard_support import form_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def wizard_url(sandbox_connection):
    return reverse("admin:field_mapping_fieldmapping_wizard_mapping", args=[sandbox_connection.pk])


@pytest.fixture
def name_as_number(admin_client, wizard_url):
    """The wizard's form with the lead's name read as a number (every real name fails)."""
    page = admin_client.get(wizard_url).content.decode()
    return {**form_fields(page), "rule-name-transform": "number", "action": "save"}


def _digest(page: str) -> str:
    return re.search(r'name="confirmed_digest" value="([0-9a-f]*)"', page).group(1)


def test_save_without_a_preview_runs_it_and_refuses_a_transform_that_fails_on_real_records(
    admin_client, wizard_url, name_as_number
):
    response = admin_client.post(wizard_url, name_as_number)
    page = response.content.decode()
    assert response.status_code == 200
    assert not FieldMapping.objects.exists()
    assert "The mapping was not saved: it fails on 5 of 5 sample records (listed below)" in page
    assert 'id="preview-results"' in page  # the preview ran although only "Save" was pressed
    failures = re.findall(
        r'<li class="error" data-record-id="(\d+)"><strong>Record \1:</strong> ([^<]*)</li>', page
    )
    assert len(failures) == 5
    assert all(
        re.fullmatch(r"name: &#x27;.+&#x27; at hs_lead_name is not a number", text) for _, text in failures
    )
    assert 'name="save_anyway"' in page and _digest(page)


def test_save_anyway_saves_what_the_admin_saw(admin_client, wizard_url, name_as_number, sandbox_connection):
    page = admin_client.post(wizard_url, name_as_number).content.decode()
    confirmed = {**name_as_number, "save_anyway": "on", "confirmed_digest": _digest(page)}

    response = admin_client.post(wizard_url, confirmed, follow=True)
    mapping = FieldMapping.objects.get(connection=sandbox_connection)
    assert mapping.rules.get(canonical_field="name").transform == "number"
    assert "Saved anyway although it fails on 5 sample records." in response.content.decode()


def test_save_anyway_does_not_cover_failures_the_admin_has_not_seen(admin_client, wizard_url, name_as_number):
    page = admin_client.post(wizard_url, name_as_number).content.decode()
    changed = {
        **name_as_number,
        "rule-company-source_path": "contacts.companies.name",
        "rule-company-transform": "number",  # a second failure, made after the first look
        "save_anyway": "on",
        "confirmed_digest": _digest(page),
    }
    page = admin_client.post(wizard_url, changed).content.decode()
    assert not FieldMapping.objects.exists()
    assert "its failures on the sample records changed since you ticked “Save anyway”" in page
    assert "company: &#x27;" in page  # the new failures are listed for the next look


def test_a_mapping_that_maps_every_sample_record_saves_at_once(admin_client, wizard_url, sandbox_connection):
    data = {
        **form_fields(admin_client.get(wizard_url).content.decode()),
        "rule-lead_type-transform": "value_map",
        "rule-lead_type-value_map": "NEW_BUSINESS = New\nUPSELL = Upsell",
        "rule-lead_type-fallback": "Other",
        "action": "save",
    }
    response = admin_client.post(wizard_url, data)
    assert response.status_code == 302
    mapping = FieldMapping.objects.get(connection=sandbox_connection)
    assert mapping.labels_read_at is not None
    labels = {rule.canonical_field: rule.value_labels for rule in mapping.rules.all()}
    assert labels["source"]["PAID_ADS"] == "Paid ads"  # the CRM's words, kept for the lead pages
    assert labels["industry"]["HOSPITAL_HEALTH_CARE"] == "Hospital health care"
    assert labels["owner"] and all(name.strip() for name in labels["owner"].values())

    page = admin_client.get(response["Location"]).content.decode()  # the mapping's own page
    assert "NEW_BUSINESS → New; UPSELL → Upsell; any other value → Other" in page
    assert "{&quot;map&quot;" not in page and "Options (JSON)" not in page
