"""``HubSpotClient``: the provider contract over HubSpot's CRM APIs, batch first.

Each concern lives in its own module (``objects``, ``batch_create``, ``search``, ``associations``,
``expand``, ``owners``, ``properties``, ``files``, ``tasks``, ``accounts``, ``deals``); this class
wires them to one connection and is what ``crm_integrations.core.registry.get_client`` hands out for
HubSpot connections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from crm_integrations.core.client import CrmClient
from crm_integrations.core.types import (
    BatchCreateResult,
    BatchUpdateResult,
    ChangedRecords,
    CrmAccount,
    CrmDeal,
    CrmField,
    CrmFile,
    CrmOwner,
    CrmRecord,
    Expand,
    FieldOption,
    FollowUpTask,
    PropertyHistory,
    RecordUpdate,
)

from .accounts import AccountsApi
from .api import HubSpotApi
from .associations import AssociationsApi
from .deals import DealsApi
from .expand import Expander
from .files import Attachment, FilesApi, SignedFile
from .follow_ups import create_follow_up_tasks, find_follow_up_tasks
from .objects import BATCH_LIMIT, ObjectsApi
from .owners import list_owners
from .properties import PropertiesApi, PropertySpec, options_from
from .search import ChangeFeed

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

LEAD_PROPERTIES = (
    "hs_lead_name",
    "hubspot_owner_id",
    "hs_pipeline",
    "hs_pipeline_stage",
    "hs_lead_type",
    "hs_lead_label",
)
CONTACT_PROPERTIES = (
    "firstname",
    "lastname",
    "email",
    "phone",
    "company",
    "jobtitle",
    "country",
    "city",
    "lifecyclestage",
    "hs_lead_status",
    "hubspot_owner_id",
)
COMPANY_PROPERTIES = (
    "name",
    "domain",
    "industry",
    "country",
    "city",
    "numberofemployees",
    "annualrevenue",
    "hubspot_owner_id",
)
DEAL_PROPERTIES = ("dealname", "amount", "pipeline", "dealstage", "closedate", "hubspot_owner_id")


def lead_context(
    *,
    contact_properties: Sequence[str] = CONTACT_PROPERTIES,
    company_properties: Sequence[str] = COMPANY_PROPERTIES,
    deal_properties: Sequence[str] = DEAL_PROPERTIES,
) -> tuple[Expand, ...]:
    """A lead's contact with its company and deals, and the lead's own company."""
    company = Expand("companies", tuple(company_properties))
    deals = Expand("deals", tuple(deal_properties))
    return (Expand("contacts", tuple(contact_properties), (company, deals)), company)


def as_expansions(associations: Sequence[str | Expand]) -> list[Expand]:
    return [item if isinstance(item, Expand) else Expand(item) for item in associations]


class HubSpotClient(CrmClient):
    provider: ClassVar[str] = "hubspot"
    batch_size: ClassVar[int] = BATCH_LIMIT
    supports_tasks: ClassVar[bool] = True
    supports_accounts: ClassVar[bool] = True
    supports_deals: ClassVar[bool] = True
    supports_property_history: ClassVar[bool] = True
    deal_stage_property: ClassVar[str] = "dealstage"

    def __init__(self, connection: OrganizationIntegration) -> None:
        super().__init__(connection)
        self.api = HubSpotApi(connection)
        self.objects = ObjectsApi(self.api)
        self.associations = AssociationsApi(self.api)
        self.expander = Expander(self.objects, self.associations)
        self.feed = ChangeFeed(self.api)
        self.properties = PropertiesApi(self.api)
        self.files = FilesApi(self.api, self.objects, self.associations)
        self.accounts = AccountsApi(self.api, self.objects)
        self.deals = DealsApi(self.objects, self.expander, self.files)

    # -- the provider contract ---------------------------------------------------------------

    def changed_since(
        self, object_type: str, cursor: str | None, *, properties: Sequence[str] = (), limit: int = 100
    ) -> ChangedRecords:
        """Search on the last-modified property; the cursor is opaque JSON (a datetime works to start)."""
        return self.feed.changed_since(object_type, cursor, properties=properties, limit=limit)

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> list[CrmRecord]:
        """Records by id; with ``associations``, their associated records (default properties) too."""
        return self.expander.read(object_type, ids, properties, as_expansions(associations))

    def batch_update(self, object_type: str, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        return self.objects.batch_update(object_type, updates)

    def list_owners(self) -> list[CrmOwner]:
        return list_owners(self.api)

    def list_fields(self, object_type: str) -> list[CrmField]:
        return self.properties.list_fields(object_type)

    def get_record(
        self,
        object_type: str,
        record_id: str,
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> CrmRecord:
        record = self.objects.get(object_type, record_id, properties=properties)
        return self.expander.expand([record], as_expansions(associations))[0]

    def create_follow_up_tasks(self, object_type: str, tasks: Sequence[FollowUpTask]) -> BatchCreateResult:
        """HubSpot tasks (batch create, 100 per call), each associated inline with its record."""
        return create_follow_up_tasks(self.api, object_type, tasks)

    def find_follow_up_tasks(self, object_type: str, tasks: Sequence[FollowUpTask]) -> dict[str, CrmRecord]:
        """The records' associated tasks carrying the items' keys (see ``tasks``): two calls or so."""
        return find_follow_up_tasks(self.associations, self.objects, object_type, tasks)

    def accounts_by_id(self, ids: Sequence[str]) -> list[CrmAccount]:
        """Companies by id (batch read, 100 per call)."""
        return self.accounts.by_id(ids)

    def accounts_by_domain(self, domains: Sequence[str]) -> dict[str, CrmAccount]:
        """Companies by domain: one search per 50 domains (see ``accounts``)."""
        return self.accounts.by_domain(domains)

    def read_deal(self, deal_id: str) -> CrmDeal:
        """The deal with its companies and contacts: five calls (see ``deals``)."""
        return self.deals.read(deal_id)

    def deal_files(self, deal_id: str) -> list[CrmFile]:
        """Files on the deal's notes (``hs_attachment_ids``), each with a signed URL."""
        return self.deals.files_of(deal_id)

    def download_file(self, file: CrmFile, max_bytes: int) -> bytes:
        """From the file's signed URL (signed again when it is about to expire)."""
        return self.deals.download(file, max_bytes)

    def ensure_status_property(
        self,
        object_type: str,
        name: str,
        label: str,
        options: Sequence[FieldOption],
        *,
        group_name: str,
        group_label: str,
        description: str = "",
    ) -> CrmField:
        """An enumeration (select) property with its group: one call when it exists, three when not."""
        spec = PropertySpec(name, label, group_name, group_label, options_from(options), description)
        return self.properties.ensure(object_type, spec)

    def property_history(
        self, object_type: str, ids: Sequence[str], properties: Sequence[str]
    ) -> dict[str, PropertyHistory]:
        """Batch read with ``propertiesWithHistory``: one call per 100 records."""
        return self.objects.history(object_type, ids, properties)

    # -- HubSpot-specific ----------------------------------------------------------------------

    def create(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        associations: Mapping[str, Sequence[str]] | None = None,
    ) -> CrmRecord:
        """Create a record, associated inline (``{"contacts": ["201"]}``; the first gets the primary type)."""
        return self.objects.create(object_type, properties, associations)

    def read_expanded(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str] = (),
        expand: Sequence[Expand] = (),
    ) -> list[CrmRecord]:
        """Batch-read records and the records associated with them, as deep as ``expand`` says."""
        return self.expander.read(object_type, ids, properties, expand)

    def expand(self, records: Sequence[CrmRecord], expand: Sequence[Expand]) -> list[CrmRecord]:
        """Attach associated records to records already read (e.g. a ``changed_since`` page)."""
        return self.expander.expand(records, expand)

    def read_leads_with_context(
        self, lead_ids: Sequence[str], *, lead_properties: Sequence[str] = LEAD_PROPERTIES
    ) -> list[CrmRecord]:
        """Leads with ``associated["contacts"]`` (each with its ``companies`` and ``deals``) and
        ``associated["companies"]``: about 3 calls per 100 leads, plus one per 1,000 per link."""
        return self.read_expanded("leads", lead_ids, properties=lead_properties, expand=lead_context())

    def ensure_deal_property(
        self,
        name: str,
        label: str,
        options: Sequence[FieldOption | tuple[str, str] | str] = (),
        group_name: str = "lead_routing",
        group_label: str = "Lead routing",
        *,
        description: str = "",
    ) -> CrmField:
        """The deal property our app writes, created with its group when missing (409 counts as done)."""
        return self.ensure_status_property(
            "deals",
            name,
            label,
            options_from(options),
            group_name=group_name,
            group_label=group_label,
            description=description,
        )

    def deal_attachments(self, deal_id: str) -> list[Attachment]:
        return self.files.deal_attachments(deal_id)

    def file_signed_url(self, file_id: str, *, expiration_seconds: int | None = None) -> SignedFile:
        return self.files.signed_url(file_id, expiration_seconds=expiration_seconds)

    def download(self, url: str, max_bytes: int) -> bytes:
        return self.files.download(url, max_bytes)
