"""Deals for the contract workflow: one deal with its companies and contacts, its files, their bytes.

A deal read costs five calls (the deal, then per associated type one associations call and one
batch read); its files two (notes on the deal, then the notes) plus one signed URL per file.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from crm_integrations.core.downloads import content_type
from crm_integrations.core.errors import NotFound
from crm_integrations.core.types import CrmContact, CrmDeal, CrmFile, CrmRecord, Expand

from .accounts import ACCOUNT_PROPERTIES, account
from .expand import Expander
from .files import FilesApi, SignedFile
from .objects import ObjectsApi

DEAL_READ_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",  # only in portals with several currencies; HubSpot ignores it elsewhere
    "dealstage",
    "pipeline",
    "closedate",
    "hubspot_owner_id",
    "hs_lastmodifieddate",
)
DEAL_CONTACT_PROPERTIES = ("email", "firstname", "lastname", "jobtitle", "phone")
#: A signed URL this close to its expiry is signed again before a download.
URL_MARGIN = timedelta(seconds=60)


def _amount(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _contact(record: CrmRecord) -> CrmContact:
    properties = record.properties
    return CrmContact(
        id=record.id,
        email=str(properties.get("email") or ""),
        first_name=str(properties.get("firstname") or ""),
        last_name=str(properties.get("lastname") or ""),
    )


def deal_from(record: CrmRecord) -> CrmDeal:
    properties = record.properties
    return CrmDeal(
        id=record.id,
        name=str(properties.get("dealname") or ""),
        amount=_amount(properties.get("amount")),
        currency=str(properties.get("deal_currency_code") or "").upper(),
        stage=str(properties.get("dealstage") or ""),
        pipeline=str(properties.get("pipeline") or ""),
        owner_id=str(properties.get("hubspot_owner_id") or ""),
        updated_at=record.updated_at,
        companies=tuple(account(company) for company in record.associated.get("companies", ())),
        contacts=tuple(_contact(contact) for contact in record.associated.get("contacts", ())),
        record=record,
    )


def _file(signed: SignedFile, attached_at: datetime | None) -> CrmFile:
    name = f"{signed.name}.{signed.extension}" if signed.extension else signed.name
    return CrmFile(
        id=signed.file_id,
        name=name or f"file-{signed.file_id}",
        content_type=content_type(name),
        size=signed.size,
        url=signed.url,
        expires_at=signed.expires_at,
        attached_at=attached_at,
    )


class DealsApi:
    def __init__(self, objects: ObjectsApi, expander: Expander, files: FilesApi) -> None:
        self.objects = objects
        self.expander = expander
        self.files = files

    def read(self, deal_id: str) -> CrmDeal:
        record = self.objects.get("deals", str(deal_id), properties=DEAL_READ_PROPERTIES)
        context = (Expand("companies", ACCOUNT_PROPERTIES), Expand("contacts", DEAL_CONTACT_PROPERTIES))
        return deal_from(self.expander.expand([record], context)[0])

    def files_of(self, deal_id: str) -> list[CrmFile]:
        """Each attached file once (a file on two notes is one file), with a fresh signed URL.
        A file HubSpot no longer has comes back without a URL (its download says NotFound)."""
        found: dict[str, CrmFile] = {}
        for attachment in self.files.deal_attachments(str(deal_id)):
            if attachment.file_id in found:
                continue
            try:
                signed = self.files.signed_url(attachment.file_id)
            except NotFound:
                name = f"file-{attachment.file_id}"
                found[attachment.file_id] = CrmFile(
                    attachment.file_id, name, "", None, attached_at=attachment.attached_at
                )
                continue
            found[attachment.file_id] = _file(signed, attachment.attached_at)
        return list(found.values())

    def download(self, file: CrmFile, max_bytes: int) -> bytes:
        url = file.url
        if not url or (file.expires_at is not None and file.expires_at - URL_MARGIN < datetime.now(UTC)):
            url = self.files.signed_url(file.id).url
        return self.files.download(url, max_bytes)
