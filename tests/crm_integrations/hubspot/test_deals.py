"""Deals for contracts through the provider contract (read_deal, deal_files, download_file)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from crm_integrations.core.types import CrmFile
from crm_integrations.hubspot.deals import content_type

from .conftest import api_calls


def deal_with_files(sandbox, extensions: set[str]) -> tuple[str, list]:
    portal = sandbox.state.portal()
    for note in portal.records["notes"].values():
        files = [portal.files[int(i)] for i in note.properties.get("hs_attachment_ids", "").split(";") if i]
        if files and {f.extension for f in files} == extensions:
            return str(portal.associations.first_target("notes", note.id, "deals")), files
    raise AssertionError("no such deal in the seed")


def test_a_deal_comes_with_its_companies_and_contacts_in_five_calls(hubspot, sandbox):
    deal_id, _ = deal_with_files(sandbox, {"pdf"})
    stored = sandbox.state.portal().records["deals"][int(deal_id)].properties
    sandbox.control.clear_requests()

    deal = hubspot.read_deal(deal_id)

    assert len(api_calls(sandbox)) == 5
    assert (deal.id, deal.name, deal.stage, deal.pipeline) == (
        deal_id,
        stored["dealname"],
        stored["dealstage"],
        "default",
    )
    assert str(deal.amount) == stored["amount"] and deal.currency == ""  # one currency: none named
    assert deal.companies and deal.companies[0].name in deal.name
    assert deal.contacts and deal.contacts[0].email and deal.contacts[0].name
    assert deal.record.associated["companies"][0].id == deal.companies[0].id
    assert deal.updated_at is not None


def test_a_deals_files_come_once_each_with_a_signed_url_and_download(hubspot, sandbox):
    deal_id, files = deal_with_files(sandbox, {"exe", "pdf"})
    sandbox.control.clear_requests()

    found = hubspot.deal_files(deal_id)

    assert [(f.id, f.name, f.size) for f in found] == [
        (str(f.id), f"{f.name}.{f.extension}", f.size) for f in files
    ]
    assert [f.content_type for f in found] == ["application/octet-stream", "application/pdf"]
    assert all(f.url and f.expires_at for f in found) and "Signature" not in repr(found)
    assert len(api_calls(sandbox)) == 2 + len(files)  # notes, their batch read, one signed URL per file
    assert hubspot.download_file(found[1], max_bytes=1_000_000) == files[1].content()


def test_an_expiring_url_is_signed_again_before_the_download(hubspot, sandbox):
    deal_id, files = deal_with_files(sandbox, {"pdf"})
    [found] = hubspot.deal_files(deal_id)
    stale = dataclasses.replace(found, url="https://expired.invalid/x", expires_at=datetime.now(UTC))
    bare = CrmFile(found.id, found.name, found.content_type, found.size)

    assert hubspot.download_file(stale, max_bytes=1_000_000) == files[0].content()
    assert hubspot.download_file(bare, max_bytes=1_000_000) == files[0].content()
    fresh = dataclasses.replace(found, expires_at=datetime.now(UTC) + timedelta(hours=1))
    sandbox.control.clear_requests()
    hubspot.download_file(fresh, max_bytes=1_000_000)
    assert [entry["path"].split("/")[1] for entry in api_calls(sandbox)] == ["hubfs"]  # no new signature


def test_file_types_come_from_the_extension_the_same_everywhere():
    assert content_type("Contract.DOCX") == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert (content_type("scan.pdf"), content_type("noextension")) == (
        "application/pdf",
        "application/octet-stream",
    )


def test_a_deal_record_normalizes_amount_currency_and_parties():
    from crm_integrations.core.types import CrmRecord
    from crm_integrations.hubspot.deals import deal_from

    company = CrmRecord("companies", "7", {"name": "Acme", "domain": "WWW.acme.com", "hubspot_owner_id": "9"})
    contact = CrmRecord("contacts", "8", {"email": "ada@acme.com", "firstname": "Ada"})
    record = CrmRecord(
        "deals",
        "1",
        {"dealname": "Acme - Plan", "amount": "12.5", "deal_currency_code": "eur", "dealstage": "x"},
        associated={"companies": (company,), "contacts": (contact,)},
    )

    deal = deal_from(record)

    assert (str(deal.amount), deal.currency, deal.stage) == ("12.5", "EUR", "x")
    assert (deal.companies[0].name, deal.companies[0].domain, deal.contacts[0].name) == (
        "Acme",
        "acme.com",
        "Ada",
    )
    assert deal_from(CrmRecord("deals", "2", {"amount": "n/a"})).amount is None
