"""The lead list and a lead's page in Chromium at 1366 px: values in the CRM's words (labels, owner
names), a contact with no company shown as warnings rather than an error, nothing cut off."""

import pytest

from field_mapping import receivers
from field_mapping.models import Lead
from field_mapping.services import default_mapping_for

from .test_wizard_browser import assert_nothing_cut_off, shoot


@pytest.mark.django_db(transaction=True)
def test_the_lead_pages_speak_the_crms_words(admin_page, live_server, sandbox_connection, hubspot_sandbox):
    page = admin_page
    default_mapping_for(sandbox_connection)
    contact = hubspot_sandbox.control.create_record("contacts", {"email": "solo@example.com"})
    created = hubspot_sandbox.control.create_record(
        "leads",
        {
            "hs_lead_name": "Solo lead without a company",
            "lead_source": "PAID_ADS",
            "hs_pipeline_stage": "new-stage-id",
        },
        associations=[
            {
                "to": {"id": contact["id"]},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
            }
        ],
    )
    receivers.take_in(sandbox_connection, "leads", [str(created["id"])], "webhook")
    lead = Lead.objects.get(external_id=str(created["id"]))

    page.goto(f"{live_server.url}/admin/field_mapping/lead/")
    row = page.locator("#result_list tbody tr", has_text="Solo lead without a company")
    assert "Paid ads" in row.inner_text() and "PAID_ADS" not in row.inner_text()
    assert "2 warnings" in row.inner_text()
    assert_nothing_cut_off(page)
    shoot(page, "leads-list")

    page.goto(f"{live_server.url}/admin/field_mapping/lead/{lead.pk}/change/")
    content = page.inner_text("#content")
    assert "Paid ads" in content and "has no associated companies" in content
    assert "Mapping warnings" in content
    assert_nothing_cut_off(page)
    shoot(page, "lead-page")
