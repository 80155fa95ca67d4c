"""Opportunities as deals against answers scripted with ``responses``: the opportunity read, its files
and their download under the size cap, the status picklist written and read back, who changed it,
the contract stages, and newest-wins through contracts/status_in.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.models import Contract
from contracts.status_in import contract_statuses_from_crm
from crm_integrations.core import registry
from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import CrmFile, RecordUpdate
from crm_integrations.salesforce import contract_status
from crm_integrations.salesforce.files import file_name
from crm_integrations.services import upsert_organization_integration

from .conftest import COLLECTIONS_URL, DATA, QUERY_URL, USER_ID, query_page, sent, soql_of

OPPORTUNITY = "006000000000001AAA"
PERSON = "005000000000009AAA"
VERSION = "068000000000001AAA"
VERSION_DATA = f"{DATA}/sobjects/ContentVersion/{VERSION}/VersionData"


def opportunity(**fields: object) -> dict:
    return {
        "attributes": {"type": "Opportunity"},
        "Id": OPPORTUNITY,
        "SystemModstamp": "2026-11-20T10:00:00.000+0000",
        **fields,
    }


def link(version: str = VERSION, title: str = "Order form", extension: str = "pdf", size: int = 1234) -> dict:
    return {
        "attributes": {"type": "ContentDocumentLink"},
        "Id": "06A000000000001AAA",
        "SystemModstamp": "2026-11-20T09:00:00.000+0000",
        "ContentDocumentId": "069000000000001AAA",
        "ContentDocument": {
            "attributes": {"type": "ContentDocument"},
            "Title": title,
            "FileExtension": extension,
            "ContentSize": size,
            "LatestPublishedVersionId": version,
        },
    }


@pytest.mark.parametrize(
    ("code", "value"), [("draft", "Draft"), ("in_review", "In Review"), ("cancelled", "Cancelled"), ("", "")]
)
def test_a_status_code_is_written_as_its_words_and_read_back_as_the_code(code, value):
    assert contract_status.to_picklist(code) == value
    assert contract_status.from_picklist(value) == code
    assert contract_status.from_picklist(code) == code  # an org whose API names are the codes


def test_an_opportunity_is_read_with_its_account_in_one_query(offline_client, mocked):
    account = {
        "attributes": {"type": "Account"},
        "Name": "Globex",
        "Website": "https://www.globex.example/",
        "OwnerId": "005000000000002AAA",
    }
    mocked.get(
        QUERY_URL,
        json=query_page(
            [
                opportunity(
                    Name="Globex - Rollout",
                    Amount=85000.0,
                    StageName="Closed Won",
                    OwnerId="005000000000002AAA",
                    AccountId="001000000000001AAA",
                    Account=account,
                )
            ]
        ),
    )

    deal = offline_client.read_deal(OPPORTUNITY)

    soql = soql_of(mocked.calls[0])
    assert "Account.Name" in soql and " FROM Opportunity " in soql
    assert "LexiContract_Status__c" not in soql  # a contract is made before the admin creates the field
    assert (deal.name, str(deal.amount), deal.stage, deal.currency) == (
        "Globex - Rollout",
        "85000.0",
        "Closed Won",
        "",
    )
    [company] = deal.companies
    assert (company.id, company.name, company.domain) == ("001000000000001AAA", "Globex", "globex.example")
    assert deal.record.associated["companies"][0].properties["Name"] == "Globex"


def test_a_missing_opportunity_is_not_found(offline_client, mocked):
    mocked.get(QUERY_URL, json=query_page([]))

    with pytest.raises(NotFound):
        offline_client.read_deal(OPPORTUNITY)


def test_files_are_listed_once_per_version_with_name_type_and_size(offline_client, mocked):
    mocked.get(
        QUERY_URL,
        json=query_page([link(), link(), link("068000000000002AAA", "setup.exe", "exe", 20)]),
    )

    files = offline_client.deal_files(OPPORTUNITY)

    soql = soql_of(mocked.calls[0])
    assert f"FROM ContentDocumentLink WHERE LinkedEntityId = '{OPPORTUNITY}'" in soql
    assert [(f.id, f.name, f.content_type, f.size) for f in files] == [
        (VERSION, "Order form.pdf", "application/pdf", 1234),
        ("068000000000002AAA", "setup.exe", "application/octet-stream", 20),
    ]


def test_a_file_name_keeps_its_extension_once():
    assert file_name("Contract.PDF", "pdf", VERSION) == "Contract.PDF"
    assert file_name("", "docx", VERSION) == f"file-{VERSION}.docx"


def test_a_download_sends_the_token_and_returns_the_bytes(offline_client, mocked):
    mocked.get(VERSION_DATA, body=b"%PDF-1.7 contract")

    content = offline_client.download_file(CrmFile(VERSION, "a.pdf", "application/pdf", 17), 1000)

    assert content == b"%PDF-1.7 contract"
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer offline-access-token"


@pytest.mark.parametrize("declared", [True, False])
def test_a_download_past_the_cap_is_refused(offline_client, mocked, declared):
    body = b"x" * 5000
    mocked.get(
        VERSION_DATA,
        body=body,
        headers={"Content-Length": "5000"} if declared else {},
        auto_calculate_content_length=False,
    )

    with pytest.raises(InvalidRequest) as refused:
        offline_client.download_file(CrmFile(VERSION, "a.pdf", "application/pdf", None), 1000)

    assert refused.value.code == "file_too_large"


def test_a_version_salesforce_no_longer_has_is_not_found(offline_client, mocked):
    mocked.get(
        VERSION_DATA,
        status=404,
        json=[{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
    )

    with pytest.raises(NotFound):
        offline_client.download_file(CrmFile(VERSION, "a.pdf", "application/pdf", 1), 1000)


def test_the_status_is_written_as_the_picklist_value_and_answered_in_our_terms(offline_client, mocked):
    mocked.patch(COLLECTIONS_URL, json=[{"id": OPPORTUNITY, "success": True, "errors": []}])

    result = offline_client.batch_update(
        "deals", [RecordUpdate(OPPORTUNITY, {"lexicontract_status": "in_review"})]
    )

    assert sent(mocked.calls[0])["records"] == [
        {"attributes": {"type": "Opportunity"}, "id": OPPORTUNITY, "LexiContract_Status__c": "In Review"}
    ]
    assert mocked.calls[0].request.headers["Sforce-Auto-Assign"] == "FALSE"
    assert result.updated[0].properties == {"lexicontract_status": "in_review"}


def test_a_value_the_picklist_lacks_fails_for_that_opportunity(offline_client, mocked):
    error = {
        "statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "message": "bad value for restricted picklist",
    }
    mocked.patch(COLLECTIONS_URL, json=[{"success": False, "errors": [error]}])

    result = offline_client.batch_update(
        "deals", [RecordUpdate(OPPORTUNITY, {"lexicontract_status": "signed"})]
    )

    assert [(f.id, f.code) for f in result.failed] == [
        (OPPORTUNITY, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
    ]


def describe(fields: list[dict]) -> dict:
    return {"name": "Opportunity", "fields": fields}


def test_the_status_field_is_found_or_its_setup_step_named(offline_client, mocked):
    users = query_page([])
    mocked.get(QUERY_URL, json=users)
    mocked.get(QUERY_URL, json=users)
    mocked.get(
        f"{DATA}/sobjects/Opportunity/describe", json=describe([{"name": "StageName", "type": "picklist"}])
    )

    with pytest.raises(InvalidRequest) as missing:
        offline_client.ensure_status_property(
            "deals", "lexicontract_status", "LexiContract status", (), group_name="g", group_label="G"
        )

    assert missing.value.code == "status_property_missing"
    assert "LexiContract_Status__c" in missing.value.message and "setup guide" in missing.value.message


def stage_row(stage: str, at: str, by: str = PERSON, number: int = 1) -> dict:
    return {
        "attributes": {"type": "OpportunityHistory"},
        "Id": f"008{number:012d}AAA",
        "OpportunityId": OPPORTUNITY,
        "StageName": stage,
        "CreatedDate": at,
        "CreatedById": by,
    }


def history_of(mocked, client, stages: list[dict] | None = None, **fields: object):
    mocked.get(QUERY_URL, json=query_page([opportunity(**fields)]))
    mocked.get(QUERY_URL, json=query_page(stages or []))
    return client.property_history("deals", [OPPORTUNITY], ["lexicontract_status", "StageName"])


def test_a_persons_change_comes_back_with_who_and_when(offline_client, mocked):
    history = history_of(
        mocked,
        offline_client,
        LexiContract_Status__c="Approved",
        LastModifiedById=PERSON,
        LastModifiedDate="2026-11-20T10:00:00.000+0000",
    )

    [change] = history[OPPORTUNITY]["lexicontract_status"]
    assert (change.value, change.source_id, change.changed_at.isoformat()) == (
        "approved",
        PERSON,
        "2026-11-20T10:00:00+00:00",
    )
    assert history[OPPORTUNITY]["StageName"] == ()  # no stage history: no stage move to report
    assert "FROM OpportunityHistory WHERE OpportunityId IN" in soql_of(mocked.calls[1])


def test_a_stage_move_is_dated_when_the_opportunity_entered_the_stage(offline_client, mocked):
    """Newest first: an amount change in the same stage later does not make the stage move look new."""
    history = history_of(
        mocked,
        offline_client,
        stages=[
            stage_row("Closed Lost", "2026-11-20T12:00:00.000+0000", USER_ID, 3),  # e.g. the amount changed
            stage_row("Closed Lost", "2026-11-20T11:00:00.000+0000", PERSON, 2),
            stage_row("Closed Won", "2026-11-20T09:00:00.000+0000", PERSON, 1),
        ],
        LexiContract_Status__c="Approved",
        LastModifiedById=USER_ID,
        LastModifiedDate="2026-11-20T12:00:00.000+0000",
    )

    [move] = history[OPPORTUNITY]["StageName"]
    assert (move.value, move.changed_at.isoformat(), move.source_id) == (
        "Closed Lost",
        "2026-11-20T11:00:00+00:00",
        PERSON,
    )
    assert history[OPPORTUNITY]["lexicontract_status"] == ()  # last modified by us: our value


def test_the_value_last_written_by_the_connections_user_is_ours(offline_client, mocked):
    history = history_of(
        mocked,
        offline_client,
        LexiContract_Status__c="Approved",
        LastModifiedById=USER_ID[:15],  # a 15-character id names the same user
        LastModifiedDate="2026-11-20T10:00:00.000+0000",
    )

    assert history == {OPPORTUNITY: {"lexicontract_status": (), "StageName": ()}}


def test_an_org_without_the_status_field_has_no_status_to_take(offline_client, mocked):
    mocked.get(
        QUERY_URL,
        status=400,
        json=[
            {
                "errorCode": "INVALID_FIELD",
                "message": "No such column 'LexiContract_Status__c' on entity 'Opportunity'",
            }
        ],
    )

    history = offline_client.property_history("deals", [OPPORTUNITY], ["lexicontract_status"])

    assert history == {OPPORTUNITY: {"lexicontract_status": ()}}


def test_without_contract_stages_nothing_is_polled_or_read(offline_client):
    assert offline_client.polls_deals() is False
    assert offline_client.contract_stage_deals([OPPORTUNITY]) == []  # no call: responses is not active


def test_only_opportunities_at_a_contract_stage_are_named(offline_connection, mocked):
    connection = upsert_organization_integration(
        offline_connection.organization,
        "salesforce",
        "sandbox",
        settings={**offline_connection.settings, "contract_stages": ["Closed Won"]},
    )
    other = "006000000000002AAA"
    mocked.get(
        QUERY_URL,
        json=query_page(
            [opportunity(StageName="Closed Won"), {**opportunity(StageName="Prospecting"), "Id": other}]
        ),
    )

    client = registry.get_client(connection)

    assert client.polls_deals() and client.contract_stage_deals([OPPORTUNITY, other]) == [OPPORTUNITY]
    assert "StageName" in soql_of(mocked.calls[0])


@pytest.mark.django_db
def test_a_persons_change_older_than_the_contracts_own_is_kept_out(offline_connection, mocked):
    """Newest wins: the contract changed after the person did; the person's value does not come back."""
    contract = Contract.objects.create(
        organization=offline_connection.organization,
        connection=offline_connection,
        provider="salesforce",
        external_id=OPPORTUNITY,
        title="Globex - Rollout",
    )
    older = (contract.created_at - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    mocked.get(
        QUERY_URL,
        json=query_page(
            [opportunity(LexiContract_Status__c="Approved", LastModifiedById=PERSON, LastModifiedDate=older)]
        ),
    )

    [outcome] = contract_statuses_from_crm(offline_connection, [OPPORTUNITY]).values()

    contract.refresh_from_db()
    assert outcome.outcome == "ignored" and "newer" in outcome.detail
    assert contract.negotiation_status == "draft"


@pytest.mark.django_db
def test_a_persons_newer_change_is_taken_and_not_written_back(offline_connection, mocked):
    contract = Contract.objects.create(
        organization=offline_connection.organization,
        connection=offline_connection,
        provider="salesforce",
        external_id=OPPORTUNITY,
        title="Globex - Rollout",
    )
    newer = (contract.created_at + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    mocked.get(
        QUERY_URL,
        json=query_page(
            [opportunity(LexiContract_Status__c="Approved", LastModifiedById=PERSON, LastModifiedDate=newer)]
        ),
    )

    [outcome] = contract_statuses_from_crm(offline_connection, [OPPORTUNITY]).values()

    contract.refresh_from_db()
    assert outcome.outcome == "ingested"
    assert (contract.negotiation_status, contract.status_changed_by) == (
        "approved",
        f"salesforce: user {PERSON}",
    )
    assert contract.status_in_sync and len(mocked.calls) == 1  # the opportunity shows it: no write
