"""``SalesforceClient``: the provider contract over Salesforce's REST API, for Leads first.

Each concern lives in its own module (``api`` the HTTP client at the instance URL with usage readings,
``objects`` reads by id and sObject Collections writes, ``feed`` the change feed on SystemModstamp,
``owners`` users and queues, ``describe`` fields for the wizard, ``accounts`` account matching,
``follow_ups`` Tasks, ``statuses`` Lead Status); this class wires them to one connection and is what
``crm_integrations.core.registry.get_client`` hands out for Salesforce connections.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

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

from . import describe, follow_ups, limits, statuses
from .accounts import AccountsApi
from .api import SalesforceApi
from .config import USER_ID_SETTING, poll_page_size
from .contract_stages import chosen_stages
from .deals import DEALS, STAGE, DealsApi
from .feed import ChangeFeed
from .files import FilesApi
from .objects import BATCH_LIMIT, ObjectsApi
from .owners import list_owners

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration


class SalesforceClient(CrmClient):
    provider: ClassVar[str] = "salesforce"
    batch_size: ClassVar[int] = BATCH_LIMIT
    #: A SOQL feed query returns every field asked for, relationship fields included: the intake
    #: takes a polled page as it is (crm_integrations/intake/polling.py), with no read by id.
    feed_returns_records: ClassVar[bool] = True
    supports_tasks: ClassVar[bool] = True
    supports_accounts: ClassVar[bool] = True
    #: Opportunities are the contract workflow's deals (``deals``, ``files``, ``contract_status``).
    supports_deals: ClassVar[bool] = True
    supports_property_history: ClassVar[bool] = True
    deal_stage_property: ClassVar[str] = STAGE
    creates_status_property: ClassVar[bool] = False

    def __init__(self, connection: OrganizationIntegration) -> None:
        super().__init__(connection)
        self.poll_page_size = poll_page_size()
        self.api = SalesforceApi(connection)
        self.objects = ObjectsApi(self.api)
        self.feed = ChangeFeed(self.objects)
        self.accounts = AccountsApi(self.api)
        self.deals = DealsApi(
            self.objects,
            user_id=str((connection.settings or {}).get(USER_ID_SETTING) or ""),
            contract_stages=chosen_stages(connection),
        )
        self.files = FilesApi(self.api)

    # -- the provider contract ---------------------------------------------------------------------

    def changed_since(
        self, object_type: str, cursor: str | None, *, properties: Sequence[str] = (), limit: int = 100
    ) -> ChangedRecords:
        """SOQL on ``SystemModstamp`` with a small overlap, de-duplicated (see ``feed``)."""
        return self.feed.changed_since(object_type, cursor, properties=properties, limit=limit)

    def changed_by_us(self, record: CrmRecord) -> bool:
        """``LastModifiedById`` is the connection's user (15- and 18-character ids alike)."""
        by = str(record.properties.get("LastModifiedById") or "")
        user_id = str((self.connection.settings or {}).get(USER_ID_SETTING) or "")
        return bool(by) and bool(user_id) and by[:15] == user_id[:15]

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> list[CrmRecord]:
        """One SOQL query per 200 ids; relationship fields (``Owner.Type``) come in the same query."""
        if object_type == DEALS:
            return self.deals.batch_read(ids, properties=properties)
        return self.objects.batch_read(object_type, ids, properties=properties)

    def batch_update(self, object_type: str, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        """sObject Collections, 200 a call, ``allOrNone: false``, ``Sforce-Auto-Assign: FALSE``."""
        if object_type == DEALS:
            return self.deals.batch_update(updates)
        return self.objects.batch_update(object_type, updates)

    def list_owners(self) -> list[CrmOwner]:
        return list_owners(self.api)

    def list_fields(self, object_type: str) -> list[CrmField]:
        return describe.list_fields(self.api, object_type, self.list_owners())

    def get_record(
        self,
        object_type: str,
        record_id: str,
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> CrmRecord:
        return self.objects.get(object_type, record_id, properties=properties)

    def create_follow_up_tasks(self, object_type: str, tasks: Sequence[FollowUpTask]) -> BatchCreateResult:
        """Tasks with ``WhoId`` = the lead and ``OwnerId`` = the rep, 200 a call (see ``follow_ups``)."""
        return follow_ups.create_follow_up_tasks(self.api, object_type, tasks)

    def find_follow_up_tasks(self, object_type: str, tasks: Sequence[FollowUpTask]) -> dict[str, CrmRecord]:
        return follow_ups.find_follow_up_tasks(self.api, object_type, tasks)

    def accounts_by_id(self, ids: Sequence[str]) -> list[CrmAccount]:
        return self.accounts.by_id(ids)

    def accounts_by_domain(self, domains: Sequence[str]) -> dict[str, CrmAccount]:
        return self.accounts.by_domain(domains)

    # -- opportunities as deals, for contracts (``deals``, ``files``) ------------------------------

    def read_deal(self, deal_id: str) -> CrmDeal:
        return self.deals.read(deal_id)

    def deal_files(self, deal_id: str) -> list[CrmFile]:
        return self.files.of_opportunity(deal_id)

    def download_file(self, file: CrmFile, max_bytes: int) -> bytes:
        return self.files.download(file, max_bytes)

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
        """The ``LexiContract_Status__c`` picklist when the org has it; ``InvalidRequest`` naming the
        setup step when not (the admin creates it: crm_integrations/salesforce/SETUP.md)."""
        return self.deals.ensure_status_field(name, label, self.list_fields(object_type))

    def property_history(
        self, object_type: str, ids: Sequence[str], properties: Sequence[str]
    ) -> dict[str, PropertyHistory]:
        """The polled status with who last modified the opportunity (see ``deals``)."""
        return self.deals.property_history(ids, properties)

    def contract_stage_deals(self, deal_ids: Sequence[str]) -> list[str]:
        return self.deals.at_contract_stage(deal_ids)

    def polls_deals(self) -> bool:
        """Opportunities are polled when the connection names contract stages."""
        return bool(self.deals.contract_stages)

    # -- Salesforce-specific -----------------------------------------------------------------------

    def lead_statuses(self) -> list[statuses.LeadStatus]:
        """The org's Lead Status values, in its order (``LeadStatus``)."""
        return statuses.lead_statuses(self.api)

    def api_usage(self) -> limits.ApiUsage | None:
        """The org's daily API allocation used, as the last answer said."""
        return limits.usage(self.api.account)

    def non_urgent_paused(self) -> bool:
        """Whether backfills should stop: the org used ``SALESFORCE_NON_URGENT_SHARE`` of its allocation."""
        return limits.non_urgent_paused(self.api.account)
