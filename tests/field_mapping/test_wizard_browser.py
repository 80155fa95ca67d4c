"""The mapping wizard in a real browser (Debian's Chromium) at 1366 px, against the HubSpot sandbox:
choose the connection, see the live properties, map, preview on real records (labels and owner
names, not codes and ids; no table cut off), be refused on a property that does not exist, fix it,
save; and a mapping that fails on real records saved only with "Save anyway". Screenshots of each
step land in test-artifacts/screenshots/."""

import pytest

from crm_integrations.core import registry
from crm_integrations.core.types import Expand
from field_mapping.models import FieldMapping


def shoot(page, name):
    from tests.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the admin's sticky sidebar, drawn where the page is scrolled
    page.screenshot(path=str(SCREENSHOTS / f"mapping-wizard-{name}.png"), full_page=True)


#: Elements of the page wider than the window or than their own box (a table cut off or scrolled).
CUT_OFF = """() => {
  const limit = document.documentElement.clientWidth;
  const found = [];
  for (const el of document.querySelectorAll("#content table, #content .module, #content .results")) {
    const box = el.getBoundingClientRect();
    if (box.right > limit + 1 || el.scrollWidth > el.clientWidth + 1) {
      const what = el.id || el.className || el.tagName;
      found.push(`${what}: right edge ${Math.round(box.right)}, ${el.scrollWidth} wide in ${el.clientWidth}`);
    }
  }
  const page = document.documentElement.scrollWidth;
  if (page > limit + 1) found.push(`the page: ${page} wide`);
  return found;
}"""


def shoot_part(page, selector, name):
    """A screenshot of one part of the page at full size (the full page is scaled down to be seen)."""
    from tests.conftest import SCREENSHOTS

    page.locator(selector).screenshot(path=str(SCREENSHOTS / f"mapping-wizard-{name}.png"))


def assert_nothing_cut_off(page) -> None:
    assert page.viewport_size["width"] == 1366
    assert page.evaluate(CUT_OFF) == []


def preview_table(page) -> dict[str, dict[str, str]]:
    """{record id: {canonical field: shown value}} of the preview table."""
    table = {}
    for row in page.locator("#preview-results tr.preview-record").all():
        cells = row.locator("td[data-field]").all()
        table[row.get_attribute("data-record-id")] = {
            cell.get_attribute("data-field"): cell.inner_text() for cell in cells
        }
    return table


@pytest.mark.django_db(transaction=True)
def test_map_preview_refuse_fix_and_save_in_the_browser(admin_page, live_server, sandbox_connection):
    page = admin_page  # 1366 px wide: the preview's 12 columns share it

    # 1. From the mappings list to the wizard, choose the sandbox HubSpot connection.
    page.goto(f"{live_server.url}/admin/field_mapping/fieldmapping/")
    page.click("#open-wizard")
    row = page.locator("tr.connection[data-provider=hubspot][data-environment=sandbox]")
    assert "Acme Corp" in row.inner_text() and "24000001" in row.inner_text()
    shoot(page, "1-choose-connection")
    row.locator("a.choose-connection").click()

    # 2. The live properties: types and options, prefilled with the HubSpot default mapping.
    page.wait_for_selector("#mapping-form")
    assert "leads (" in page.inner_text("#catalogue-summary")
    assert page.locator("#crm-properties option[value='contacts.companies.industry']").count() == 1
    assert page.input_value("#id_rule-source-source_path") == "lead_source"
    source_hint = page.locator("#rule-source .property-hint")
    assert source_hint.inner_text().startswith("Lead source · enumeration · options: WEBSITE (Website)")
    stages = page.locator("#status-mapping tr.status-row").all()
    assert [r.get_attribute("data-value") for r in stages][:5] == [
        "new-stage-id",
        "attempting-stage-id",
        "connected-stage-id",
        "qualified-stage-id",
        "unqualified-stage-id",
    ]
    assert page.locator("#rule-source .requirement").inner_text() == "required: routing needs it"
    assert (
        page.locator("#rule-industry .requirement").inner_text() == "optional: nothing to read is a warning"
    )
    assert page.locator("text=Options (JSON)").count() == 0
    assert not page.locator(
        "#id_rule-lead_type-value_map"
    ).is_visible()  # only the chosen transform's settings
    assert_nothing_cut_off(page)
    shoot(page, "2-live-properties")

    # Map: a value map on the lead type, "connected" counts as won, and a property that does not exist.
    page.select_option("#id_rule-lead_type-transform", "value_map")
    page.fill("#id_rule-lead_type-value_map", "NEW_BUSINESS = New business\nUPSELL = Upsell")
    page.fill("#id_rule-lead_type-fallback", "Other")
    page.select_option("#status-mapping tr[data-value='connected-stage-id'] select", "won")
    page.fill("#id_rule-source-source_path", "lead_origin")
    assert source_hint.inner_text() == "The CRM lists no such property"  # live, before any round trip

    # 3. Preview on real sample records: the problem is explained, the records still show.
    page.click("#preview")
    page.wait_for_selector("#preview-results")
    problems = page.inner_text("#problem-list")
    assert "Error: source: lead_origin: property 'lead_origin' does not exist on leads" in problems
    assert "property 'lead_origin' does not exist on leads" in page.inner_text("#rule-source .problem")
    table = preview_table(page)
    assert len(table) == 5
    records = registry.get_client(sandbox_connection).batch_read(
        "leads",
        list(table),
        properties=["hs_lead_name", "hs_lead_type", "lead_amount"],
        associations=[Expand("contacts", ("email",), (Expand("companies", ("name",)),))],
    )
    lead_types = {"NEW_BUSINESS": "New business", "UPSELL": "Upsell"}
    for record in records:
        shown = table[record.id]
        contact = record.associated["contacts"][0]
        assert shown["name"] == record.properties["hs_lead_name"]
        assert shown["email"] == contact.properties["email"].lower()
        assert shown["company"] == contact.associated["companies"][0].properties["name"]
        assert shown["amount"] == f"{int(record.properties['lead_amount']):d}.00"
        assert shown["lead_type"] == lead_types.get(record.properties["hs_lead_type"], "Other")
        assert shown["source"] == "—"
        assert shown["status"] in {"Open", "Won", "Lost"}  # outcomes in words
        assert not shown["owner"].isdigit()  # the owner's name from the CRM's owners, not an id
    first = next(iter(table))
    record_errors = page.inner_text(f"#preview-results tr.record-errors[data-record-id='{first}']")
    assert f"source: nothing at lead_origin: property 'lead_origin' is not on leads {first}" in record_errors
    assert_nothing_cut_off(page)
    shoot(page, "3-preview-with-a-problem")
    shoot_part(page, "#rules", "3-rules-with-settings")

    # 4. Saving is refused while the error stands.
    page.click("#save")
    page.wait_for_selector(".messagelist .error")
    assert "The mapping was not saved: 1 problem must be fixed first" in page.inner_text(".messagelist")
    assert not FieldMapping.objects.exists()
    shoot(page, "4-save-refused")

    # 5. Fix it, preview again: no problems, the source column fills in.
    page.fill("#id_rule-source-source_path", "lead_source")
    assert source_hint.inner_text().startswith("Lead source · enumeration")
    page.click("#preview")
    page.wait_for_selector("#no-problems")
    sources = {"Website", "Referral", "Event", "Outbound", "Partner", "Paid ads"}
    assert all(values["source"] in sources for values in preview_table(page).values())  # labels, not codes
    assert_nothing_cut_off(page)
    shoot(page, "5-preview-clean")
    shoot_part(page, "#preview-results", "5-preview-table")

    # 6. Save: the mapping is written, and the change page says so.
    page.click("#save")
    page.wait_for_selector(".messagelist .success")
    assert "The field mapping of Acme Corp · HubSpot (sandbox) was saved" in page.inner_text(".messagelist")
    assert page.locator("#open-wizard").count() == 1
    shoot(page, "6-saved")

    mapping = FieldMapping.objects.get(connection=sandbox_connection)
    rules = {rule.canonical_field: rule for rule in mapping.rules.all()}
    assert rules["source"].source_path == "lead_source"
    assert rules["industry"].source_path == "contacts.companies.industry"
    assert (rules["lead_type"].transform, rules["lead_type"].options) == (
        "value_map",
        {"map": {"NEW_BUSINESS": "New business", "UPSELL": "Upsell"}, "fallback": "Other"},
    )
    assert mapping.status_source == "hs_pipeline_stage"
    assert dict(mapping.status_rows.values_list("crm_value", "outcome")) == {
        "new-stage-id": "open",
        "attempting-stage-id": "open",
        "connected-stage-id": "won",
        "qualified-stage-id": "won",
        "unqualified-stage-id": "lost",
    }
    assert mapping.updated_by.username == "staff"


@pytest.mark.django_db(transaction=True)
def test_a_mapping_failing_on_real_records_is_saved_only_with_save_anyway(
    admin_page, live_server, sandbox_connection
):
    page = admin_page
    page.goto(f"{live_server.url}/admin/field_mapping/fieldmapping/wizard/{sandbox_connection.pk}/")
    page.wait_for_selector("#mapping-form")
    page.select_option("#id_rule-name-transform", "number")  # a name read as a number

    page.click("#save")  # no preview first: saving runs it
    page.wait_for_selector("#record-failures")
    assert "it fails on 5 of 5 sample records" in page.inner_text(".messagelist")
    failures = page.locator("#record-failures li").all_inner_texts()
    assert len(failures) == 5 and all("at hs_lead_name is not a number" in text for text in failures)
    assert not FieldMapping.objects.exists()
    assert_nothing_cut_off(page)
    shoot(page, "7-save-refused-records-fail")
    shoot_part(page, "#content-main", "7-refusal-detail")

    page.check("#id_save_anyway")
    page.click("#save")
    page.wait_for_selector(".messagelist .success")
    assert "Saved anyway although it fails on 5 sample records." in page.inner_text(".messagelist")
    assert FieldMapping.objects.get().rules.get(canonical_field="name").transform == "number"
    shoot(page, "8-saved-anyway")
