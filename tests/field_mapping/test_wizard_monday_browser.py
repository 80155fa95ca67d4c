"""The mapping wizard for a monday connection in a real browser, against the monday sandbox: the
board's columns as properties, preview on real items, save. (Before, the page answered 500: the
template read ``catalogue.fields.items`` and monday's lead object type is named "items".)"""

import pytest

from field_mapping.models import FieldMapping

from .test_wizard_browser import preview_table, shoot


@pytest.mark.django_db(transaction=True)
def test_map_preview_and_save_a_monday_board_in_the_browser(admin_page, live_server, monday_connection):
    page = admin_page
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{live_server.url}/admin/field_mapping/fieldmapping/")
    page.click("#open-wizard")
    row = page.locator("tr.connection[data-provider=monday][data-environment=sandbox]")
    row.locator("a.choose-connection").click()

    page.wait_for_selector("#mapping-form")
    assert "items (" in page.inner_text("#catalogue-summary")
    assert page.locator("#crm-properties option").count() > 5
    shoot(page, "monday-1-live-columns")

    page.click("#preview")
    page.wait_for_selector("#preview-results")
    table = preview_table(page)
    assert table and all(values["name"] not in ("", "—") for values in table.values())
    shoot(page, "monday-2-preview")

    page.click("#save")
    page.wait_for_selector(".messagelist .success")
    assert FieldMapping.objects.filter(connection=monday_connection).exists()
    shoot(page, "monday-3-saved")
