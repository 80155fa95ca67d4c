"""Deals at a contract stage become contracts when the CRM tells us of them (contracts/stage_intake.py),
whatever the CRM: its client names them (``contract_stage_deals``); a deal with a contract is never
asked about again, and a CRM whose workflows send deals (the default) costs nothing more."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts import stage_intake
from contracts.models import Contract
from contracts.receivers import on_records_changed
from crm_integrations.core.client import CrmClient
from crm_integrations.core.types import CrmDeal, CrmRecord
from crm_integrations.services import upsert_organization_integration

pytestmark = pytest.mark.django_db


class StageClient:
    """What the services ask of a client whose CRM says which deals are at a contract stage."""

    supports_deals = True
    supports_property_history = False
    deal_stage_property = "stage"

    def __init__(self, at_stage: set[str]) -> None:
        self.at_stage = at_stage
        self.asked: list[list[str]] = []

    def contract_stage_deals(self, deal_ids):
        self.asked.append(list(deal_ids))
        return [deal_id for deal_id in deal_ids if deal_id in self.at_stage]

    def polls_deals(self) -> bool:
        return True

    def read_deal(self, deal_id: str) -> CrmDeal:
        record = CrmRecord("deals", deal_id, {"stage": "won"})
        return CrmDeal(deal_id, f"Deal {deal_id}", Decimal("10"), "EUR", "won", "", "", None, (), (), record)

    def deal_files(self, deal_id: str) -> list:
        return []


@pytest.fixture
def connection(organization):
    return upsert_organization_integration(
        organization,
        "hubspot",
        "sandbox",
        status="connected",
        external_account_id="24000001",
        access_token="t",
    )


@pytest.fixture
def client(monkeypatch, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    fake = StageClient({"1", "3"})
    monkeypatch.setattr(stage_intake.registry, "get_client", lambda connection: fake)
    monkeypatch.setattr("contracts.services.registry.get_client", lambda connection: fake)
    monkeypatch.setattr("contracts.files.registry.get_client", lambda connection: fake)
    monkeypatch.setattr("contracts.status_in.registry.get_client", lambda connection: fake)
    return fake


def test_changed_deals_at_a_contract_stage_become_contracts_and_the_others_are_left(connection, client):
    outcomes = on_records_changed(
        None, connection=connection, object_type="deals", external_ids=["1", "2", "3"]
    )

    assert {deal_id: outcome.outcome for deal_id, outcome in outcomes.items()} == {
        "1": "ingested",
        "2": "ignored",
        "3": "ingested",
    }
    assert "reached a contract stage" in outcomes["1"].detail
    assert sorted(Contract.objects.values_list("external_id", flat=True)) == ["1", "3"]
    assert Contract.objects.get(external_id="1").title == "Deal 1"


def test_a_deal_with_a_contract_is_not_asked_about_again(connection, client):
    on_records_changed(None, connection=connection, object_type="deals", external_ids=["1"])

    on_records_changed(None, connection=connection, object_type="deals", external_ids=["1", "2"])

    assert client.asked == [["1"], ["2"]]
    assert Contract.objects.count() == 1


def test_by_default_a_client_names_no_deal_and_polls_none(connection):
    class Workflows(CrmClient):  # a CRM whose workflows send the deals (HubSpot's way)
        provider = "test"
        changed_since = batch_read = batch_update = list_owners = list_fields = get_record = None

    Workflows.__abstractmethods__ = frozenset()
    client = Workflows(connection)

    assert client.contract_stage_deals(["1"]) == [] and client.polls_deals() is False
