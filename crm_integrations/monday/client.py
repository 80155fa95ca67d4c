"""``MondayClient``: the provider contract over monday's GraphQL API, for the items of one board.

The object type is ``items``; the board is ``connection.settings["board_id"]``. Each concern lives in its
own module (``api`` GraphQL over the HTTP layer, ``items`` pages/reads/writes, ``feed`` the change feed,
``columns`` fields and value encoding, ``users`` owners, ``boards`` the wizard's board list,
``normalize`` monday JSON to the contract's types); this class wires them to one connection and is what
``crm_integrations.core.registry.get_client`` hands out for monday connections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from crm_integrations.core.client import CrmClient
from crm_integrations.core.errors import InvalidRequest, NotFound
from crm_integrations.core.types import (
    BatchUpdateResult,
    ChangedRecords,
    CrmField,
    CrmOwner,
    CrmRecord,
    Expand,
    RecordUpdate,
)

from .api import MondayApi
from .boards import BoardSummary, list_boards
from .columns import ColumnsApi
from .feed import ChangeFeed
from .items import READ_CHUNK, ItemsApi
from .normalize import OBJECT_TYPE
from .users import list_owners

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

BOARD_SETTING = "board_id"


class MondayClient(CrmClient):
    provider: ClassVar[str] = "monday"
    batch_size: ClassVar[int] = READ_CHUNK

    def __init__(self, connection: OrganizationIntegration) -> None:
        super().__init__(connection)
        self.api = MondayApi(connection)
        self.columns = ColumnsApi(self.api)
        self.items = ItemsApi(self.api, self.columns)
        self.feed = ChangeFeed(self.items)

    @property
    def board_id(self) -> str:
        board = (self.connection.settings or {}).get(BOARD_SETTING)
        if not board or not str(board).isdigit():
            raise InvalidRequest(
                "This monday connection has no board yet: set connection.settings['board_id'].",
                code="no_board",
            )
        return str(board)

    def _board(self, object_type: str) -> str:
        if object_type != OBJECT_TYPE:
            raise InvalidRequest(
                f"monday connections hold '{OBJECT_TYPE}', not '{object_type}'.", code="object_type"
            )
        return self.board_id

    # -- the provider contract ---------------------------------------------------------------------

    def changed_since(
        self, object_type: str, cursor: str | None, *, properties: Sequence[str] = (), limit: int = 100
    ) -> ChangedRecords:
        """Items by ``__last_updated__``; the cursor is opaque JSON (an ISO datetime works to start)."""
        return self.feed.changed_since(self._board(object_type), cursor, properties=properties, limit=limit)

    def batch_read(
        self,
        object_type: str,
        ids: Sequence[str],
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> list[CrmRecord]:
        """Items by id (100 per call); monday items have no associations, so those are ignored."""
        return self.items.batch_read(self._board(object_type), ids, properties=properties)

    def batch_update(self, object_type: str, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        """``change_multiple_column_values`` per item, 25 aliased per call; failures per item."""
        return self.items.batch_update(self._board(object_type), updates)

    def list_owners(self) -> list[CrmOwner]:
        return list_owners(self.api)

    def list_fields(self, object_type: str) -> list[CrmField]:
        """The board's columns (status/dropdown labels as options; people columns offer the users)."""
        board = self._board(object_type)
        return self.columns.list_fields(board, self.list_owners())

    def get_record(
        self,
        object_type: str,
        record_id: str,
        *,
        properties: Sequence[str] = (),
        associations: Sequence[str | Expand] = (),
    ) -> CrmRecord:
        found = self.items.batch_read(self._board(object_type), [record_id], properties=properties)
        if not found:
            raise NotFound(f"monday item {record_id} does not exist on board {self.board_id}.")
        return found[0]

    # -- monday-specific ---------------------------------------------------------------------------

    def list_boards(self) -> list[BoardSummary]:
        """Boards the token can see (for choosing ``settings["board_id"]``)."""
        return list_boards(self.api)

    def create_item(
        self, name: str, properties: Mapping[str, Any] | None = None, *, group_id: str | None = None
    ) -> CrmRecord:
        return self.items.create(self.board_id, name, properties or {}, group_id=group_id)
