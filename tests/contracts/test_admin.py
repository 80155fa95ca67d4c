"""The contracts admin (list, detail with files, their state and reason, sync state, downloads through
the storage) and the connection admin's "issue a workflow webhook secret" action."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from contracts.admin import ContractAdmin
from contracts.files import contract_files_fetch
from contracts.models import Contract, ContractFile
from contracts.services import contract_upsert_from_deal
from crm_integrations.intake.workflow_secrets import SETTING, check_workflow_secret, digest
from crm_integrations.models import OrganizationIntegration
from tests.conftest import SCREENSHOTS
from tests.crm_integrations.intake.test_debugger_browser import NOTHING_CUT_OFF

from .conftest import exe_and_pdf_deal


def make_contract(connection, sandbox):
    contract = contract_upsert_from_deal(connection=connection, deal_id=exe_and_pdf_deal(sandbox)).contract
    contract_files_fetch(contract_id=contract.pk)
    return contract


@pytest.fixture
def staff(client, django_user_model):
    staff = django_user_model.objects.create_superuser("staff", "staff@example.com", "correct-horse-battery")
    client.force_login(staff)  # django-axes refuses client.login(): it has no request to lock out by
    return client


def test_the_list_shows_each_contract_with_its_files_and_sync_state(
    staff, hubspot_connection, hubspot_sandbox, media
):
    contract = make_contract(hubspot_connection, hubspot_sandbox)

    page = staff.get(reverse("admin:contracts_contract_changelist")).content.decode()

    assert contract.title in page and "1 refused, 1 stored" in page and "In sync" in page


def test_the_detail_shows_files_with_state_and_reason_and_downloads_stored_ones(
    staff, hubspot_connection, hubspot_sandbox, media
):
    contract = make_contract(hubspot_connection, hubspot_sandbox)
    stored = ContractFile.objects.get(contract=contract, state="stored")
    refused = ContractFile.objects.get(contract=contract, state="refused")

    page = staff.get(reverse("admin:contracts_contract_change", args=[contract.pk])).content.decode()

    assert "installer.exe" in page and "Not accepted for contracts" in page
    assert stored.checksum in page and "Quote-v2.pdf" in page and "In sync" in page
    download = reverse("admin:contracts_contractfile_download", args=[stored.pk])
    assert download in page
    assert reverse("admin:contracts_contractfile_download", args=[refused.pk]) not in page

    response = staff.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Quote-v2.pdf"'
    assert b"".join(response.streaming_content) == stored.file.read()
    assert staff.get(reverse("admin:contracts_contractfile_download", args=[refused.pk])).status_code == 404


def test_downloads_need_a_staff_login(client, hubspot_connection, hubspot_sandbox, media):
    contract = make_contract(hubspot_connection, hubspot_sandbox)
    stored = ContractFile.objects.get(contract=contract, state="stored")
    response = client.get(reverse("admin:contracts_contractfile_download", args=[stored.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_issue_a_workflow_secret_shown_once_with_the_url_to_set(staff, hubspot_connection, settings):
    settings.PUBLIC_BASE_URL = "https://leads.example.com"
    response = staff.post(
        reverse("admin:crm_integrations_organizationintegration_changelist"),
        {"action": "issue_workflow_secret", "_selected_action": [str(hubspot_connection.pk)]},
    )

    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    secret = response.context["secret"]
    page = response.content.decode()
    assert secret in page and "X-Workflow-Secret" in page
    url = (
        "https://leads.example.com/api/v1/integrations/hubspot/webhook"
        f"?organization={hubspot_connection.organization_id}&amp;account=24000001"
    )
    assert url in page
    stored = OrganizationIntegration.objects.get(pk=hubspot_connection.pk)
    assert stored.settings[SETTING] == digest(secret)
    assert check_workflow_secret("hubspot", secret)[1] == stored
    assert (
        secret
        not in staff.get(
            reverse("admin:crm_integrations_organizationintegration_change", args=[stored.pk])
        ).content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_a_contract_in_the_browser_with_its_files_and_a_download(
    admin_page, live_server, hubspot_connection, hubspot_sandbox, media
):
    contract = make_contract(hubspot_connection, hubspot_sandbox)
    page = admin_page

    page.goto(f"{live_server.url}/admin/contracts/contract/")
    assert page.evaluate(NOTHING_CUT_OFF), "the contract list scrolls sideways at 1366 px"
    page.screenshot(path=str(SCREENSHOTS / "contracts_list.png"), full_page=True)
    page.click(f"#result_list a:text-is('{contract.title}')")
    files = page.locator(".tabular tbody tr.has_original, .tabular tbody tr.form-row")
    text = page.locator("#content-main").inner_text()
    assert page.evaluate(NOTHING_CUT_OFF), "the contract's files scroll sideways at 1366 px"
    page.screenshot(path=str(SCREENSHOTS / "contract_files.png"), full_page=True)
    assert "Refused" in text and "Stored" in text and "In sync" in text
    assert "Not accepted for contracts" in text and files.count() >= 2
    with page.expect_download() as download:
        page.click("a.contract-file-download")
    assert download.value.suggested_filename == "Quote-v2.pdf"


# --- the negotiation status, changed by staff (contracts/admin.py -> contracts/services.py) ---------


def change_form(contract, **fields):
    """The contract page's form as the browser posts it (no files: the inline is empty)."""
    return {
        "files-TOTAL_FORMS": "0",
        "files-INITIAL_FORMS": "0",
        "files-MIN_NUM_FORMS": "0",
        "files-MAX_NUM_FORMS": "1000",
        "negotiation_status": contract.negotiation_status,
        **fields,
    }


def test_staff_change_the_status_and_it_is_written_to_the_deal(
    staff, hubspot_connection, hubspot_sandbox, settings, django_capture_on_commit_callbacks
):
    from contracts.models import Contract

    from .test_status_out import deal_status

    settings.CELERY_TASK_ALWAYS_EAGER = True
    contract = contract_upsert_from_deal(
        connection=hubspot_connection, deal_id=exe_and_pdf_deal(hubspot_sandbox)
    ).contract
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    page = staff.get(url).content.decode()
    assert 'name="negotiation_status"' in page and 'name="title"' not in page  # the rest is read-only

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, change_form(contract, negotiation_status="approved", title="Hacked"))

    assert response.status_code == 302, response.content.decode()[:2000]
    contract = Contract.objects.get(pk=contract.pk)
    assert (contract.negotiation_status, contract.title) == ("approved", contract.title)
    assert contract.title != "Hacked" and contract.status_changed_by == "admin:staff"
    assert (contract.sync_state, contract.status_pushed_version) == ("in_sync", 1)
    assert deal_status(hubspot_sandbox, contract.external_id) == "approved"


def test_a_failed_status_write_shows_on_the_contract_and_staff_send_it_again(
    staff, hubspot_connection, hubspot_sandbox, settings, django_capture_on_commit_callbacks
):
    from contracts.models import Contract
    from contracts.services import contract_status_set

    contract = contract_upsert_from_deal(
        connection=hubspot_connection, deal_id=exe_and_pdf_deal(hubspot_sandbox)
    ).contract
    contract_status_set(contract, "signed", by="code")  # its task never runs: nothing commits here
    Contract.objects.filter(pk=contract.pk).update(
        sync_state="failed", sync_detail="Status “signed” not written: gave up after 8 tries: boom"
    )

    page = staff.get(reverse("admin:contracts_contract_change", args=[contract.pk])).content.decode()
    assert "Sync failed" in page and "gave up after 8 tries: boom" in page
    assert "changed 1, written to the CRM 0" in page

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:contracts_contract_changelist"),
            {"action": "push_status_again", "_selected_action": [str(contract.pk)]},
            follow=True,
        )
    assert "1 status(es) queued to be written to the CRM." in response.content.decode()
    contract.refresh_from_db()
    assert (contract.sync_state, contract.sync_detail, contract.status_pushed_version) == ("in_sync", "", 1)


# --- deal stage -> status mappings (contracts/stages.py, contracts/status_in.py) -----------------------


@pytest.mark.django_db(transaction=True)
def test_staff_map_a_deal_stage_to_a_status_in_the_browser(admin_page, live_server, hubspot_connection):
    page = admin_page
    page.goto(f"{live_server.url}/admin/contracts/stagestatus/add/")
    page.select_option("#id_connection", str(hubspot_connection.pk))
    page.fill("#id_stage", "Closed Lost")
    page.select_option("#id_status", "rejected")
    page.click("input[name=_save]")

    assert "was added successfully" in page.locator(".messagelist").inner_text()
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    assert len(rows) == 1 and "Closed Lost" in rows[0] and "closedlost" in rows[0] and "Rejected" in rows[0]

    page.goto(f"{live_server.url}/admin/contracts/stagestatus/add/")
    page.select_option("#id_connection", str(hubspot_connection.pk))
    page.fill("#id_stage", "Legal Reveiw")
    page.click("input[name=_save]")
    assert "The CRM has no deal stage “Legal Reveiw”" in page.locator(".errorlist").first.inner_text()


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("admin:staff", "staff, in the admin"),
        ("api:mia", "mia, through the API"),
        ("hubspot: CRM_UI userId:123", "HubSpot: CRM_UI userId:123"),
        ("", "—"),
    ],
)
def test_who_changed_the_status_reads_in_words(stored, shown):
    assert ContractAdmin(Contract, admin.site).changed_by(Contract(status_changed_by=stored)) == shown
