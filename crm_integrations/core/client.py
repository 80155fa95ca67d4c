"""The provider contract (the seed's ICrmClient): what every CRM client implements.

``routing``, ``contracts`` and ``field_mapping`` program against this class and the types in
``crm_integrations.core.types``; errors are those of ``crm_integrations.core.errors``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from .errors import Unsupported
from .types import (
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

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration


class CrmClient(ABC):
    """A client bound to one organization's connection."""

    provider: ClassVar[str]
    #: Most records one batch call takes (HubSpot: 100; monday: 100 item ids; Salesforce: 200 a
    #: Collections call). The owner write-back (routing/writeback.py) claims this many rows a call.
    batch_size: ClassVar[int] = 100
    #: Records a poll asks ``changed_since`` for at a time (crm_integrations/intake/polling.py): as many
    #: as one call of the CRM's change feed returns (a provider may read it from its settings).
    poll_page_size: int = 100
    #: Whether ``changed_since`` returns records carrying every property asked for (``properties``,
    #: relationship fields included), so the intake takes a polled page as it is instead of reading
    #: it again by id (Salesforce's SOQL feed; HubSpot's search and monday's activity feed do not).
    feed_returns_records: ClassVar[bool] = False
    #: Optional capabilities: check these before calling the methods of the same name.
    supports_tasks: ClassVar[bool] = False
    supports_accounts: ClassVar[bool] = False
    supports_deals: ClassVar[bool] = False
    supports_property_history: ClassVar[bool] = False
    #: The deal property holding its stage (HubSpot ``dealstage``); "" without deals.
    deal_stage_property: ClassVar[str] = ""
    #: Whether ``ensure_status_property`` can create a missing property (a Salesforce org's custom
    #: fields are created by its admin: a missing one is ``InvalidRequest(code="status_property_missing")``).
    creates_status_property: ClassVar[bool] = True

    def __init__(self, connection: OrganizationIntegration) -> None:
        self.connection = connection

    @abstractmethod
    def changed_since(
        self, object_type: str, cursor: str | None, *, properties: Sequence[str] = (), limit: int = 100
    ) -> ChangedRecords:
        """Records created or changed since ``cursor`` (None: from the start), oldest first."""

    @abstractmethod
    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> list[CrmRecord]:
        """Read many records in as few calls as possible; unknown ids are left out.

        ``associations`` names associated object types (read with default properties) or gives
        ``Expand`` trees; the associated records land in ``CrmRecord.associated``, in batches.
        """

    @abstractmethod
    def batch_update(self, object_type: str, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        """Write properties on many records; per-record failures come back, not raised."""

    @abstractmethod
    def list_owners(self) -> list[CrmOwner]:
        """Everyone records can be assigned to, active or not."""

    @abstractmethod
    def list_fields(self, object_type: str) -> list[CrmField]:
        """The object's properties/columns with types and options (for the mapping wizard)."""

    @abstractmethod
    def get_record(
        self,
        object_type: str,
        record_id: str,
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> CrmRecord:
        """One record; raises ``NotFound`` when it does not exist."""

    def changed_by_us(self, record: CrmRecord) -> bool:
        """Whether the latest change of a record the feed returned was made by this connection's own
        user (Salesforce's ``LastModifiedById``): only then may a poll skip it as the echo of our own
        write (crm_integrations/intake/echoes.py). Default: the CRM does not say, nothing is skipped."""
        return False

    # -- optional capabilities (defaults: the CRM has no such thing) --------------------------

    def create_follow_up_tasks(self, object_type: str, tasks: Sequence[FollowUpTask]) -> BatchCreateResult:
        """Create one task per item, associated with its record, in as few calls as possible.

        ``object_type`` is the records' type (the connection's lead object type). Tasks the CRM
        rejects (unknown owner or record, invalid value) come back in ``failed`` under their
        ``record_id``; ``created`` holds the tasks made, each with ``associations[object_type]``
        naming its record. Raises ``Unsupported`` when ``supports_tasks`` is False.
        """
        raise self._no_tasks()

    def find_follow_up_tasks(self, object_type: str, tasks: Sequence[FollowUpTask]) -> dict[str, CrmRecord]:
        """The tasks already created for these items, by ``FollowUpTask.key``, each with
        ``associations[object_type]`` naming its record; items without one are left out.

        Read after a create whose outcome is unknown (``OutcomeUnknown``), so that no record gets
        a second task for one key; it reads the CRM itself, not a search index that lags behind.
        Raises ``Unsupported`` when ``supports_tasks`` is False.
        """
        raise self._no_tasks()

    def accounts_by_id(self, ids: Sequence[str]) -> list[CrmAccount]:
        """Accounts (companies) by id, in the order of ``ids``; unknown ids are left out."""
        return []

    def accounts_by_domain(self, domains: Sequence[str]) -> dict[str, CrmAccount]:
        """The account owning each domain, keyed by ``normalize_domain(domain)``, in as few calls
        as possible; unknown domains are left out. Domains are normalised first, so
        ``"WWW.Acme.com"``, ``"https://acme.com/"`` and ``"jane@acme.com"`` all mean ``"acme.com"``.

        Several accounts with one domain: the most recently modified one with an owner wins; when
        none has an owner, the most recently modified one.
        """
        return {}

    def read_deal(self, deal_id: str) -> CrmDeal:
        """One deal with its companies and contacts (primary first), in as few calls as possible.

        Raises ``NotFound`` when the deal does not exist (or is archived), ``Unsupported`` when
        ``supports_deals`` is False.
        """
        raise self._no_deals()

    def deal_files(self, deal_id: str) -> list[CrmFile]:
        """The files attached to a deal, oldest first, each once, with a fresh signed ``url``."""
        raise self._no_deals()

    def download_file(self, file: CrmFile, max_bytes: int) -> bytes:
        """The file's bytes. ``file.url`` is used while it is valid, else a new one is signed.

        Raises ``InvalidRequest(code="file_too_large")`` past ``max_bytes`` (before reading the
        body when the size is declared), ``RetryLater`` when the file host fails for now.
        """
        raise self._no_deals()

    def contract_stage_deals(self, deal_ids: Sequence[str]) -> list[str]:
        """Those of ``deal_ids`` that are at a stage whose deals become contracts when the CRM tells
        us of them (a change notification, a poll), read from the CRM now; in as few calls as possible.

        Default: none, at no cost (a HubSpot workflow sends the deals that become contracts itself).
        """
        return []

    def polls_deals(self) -> bool:
        """Whether this connection's deals are polled for ``contract_stage_deals`` (it names stages)."""
        return False

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
        """The single-choice property ``name`` on ``object_type`` records (e.g. the deal's contract
        status), created with ``options`` in its own group (``group_name``/``group_label``) when the
        CRM account lacks it; an existing one is returned as it is (its options are not changed).
        Creating it twice at once is fine. Write it with ``batch_update``.

        Raises ``Unsupported`` when the CRM has no such properties (``supports_deals`` is False), and
        ``InvalidRequest(code="status_property_missing")`` for a missing one when it cannot create it
        (``creates_status_property`` is False): the message says who must create it.
        """
        raise self._no_deals()

    def property_history(
        self, object_type: str, ids: Sequence[str], properties: Sequence[str]
    ) -> dict[str, PropertyHistory]:
        """Each record's past values of ``properties`` (newest first, with time and source), by
        record id, in as few calls as possible; unknown ids are left out.

        Raises ``Unsupported`` when ``supports_property_history`` is False.
        """
        raise Unsupported(
            f"{self.provider} connections keep no property history (supports_property_history is False).",
            code="unsupported",
        )

    def _no_tasks(self) -> Unsupported:
        return Unsupported(
            f"{self.provider} connections cannot create follow-up tasks (supports_tasks is False).",
            code="unsupported",
        )

    def _no_deals(self) -> Unsupported:
        return Unsupported(
            f"{self.provider} connections have no deals (supports_deals is False).", code="unsupported"
        )
