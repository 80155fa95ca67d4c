"""The provider contract (the seed's ICrmClient): what every CRM client implements.

``routing``, ``contracts`` and ``field_mapping`` program against this class and the types in
``crm_integrations.core.types``; errors are those of ``crm_integrations.core.errors``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from .types import BatchUpdateResult, ChangedRecords, CrmField, CrmOwner, CrmRecord, Expand, RecordUpdate

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration


class CrmClient(ABC):
    """A client bound to one organization's connection."""

    provider: ClassVar[str]
    #: Most records one batch call takes (HubSpot: 100; monday: 100 item ids).
    batch_size: ClassVar[int] = 100

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
