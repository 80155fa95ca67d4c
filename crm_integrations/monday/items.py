"""Board items: pages (``items_page`` / ``next_items_page``), reads by id, batched writes, creation.

* ``items(ids:)`` silently returns 25 items unless ``limit`` is given (its default in monday's schema,
  copied in devtools/sandboxes/monday/schema/): every read by id
  passes ``limit`` = the number of ids, in chunks of 100 (monday's maximum).
* Writes: one ``change_multiple_column_values`` per item (several columns in one mutation), up to
  ``MUTATIONS_PER_CALL`` of them aliased in one GraphQL document, so N updates take about N/25 calls.
  A field error names its alias: that item fails, the others are written. A 500 for a whole document
  (monday's docs: "board or item IDs that don't exist", "malformatted JSON column values") is split in
  halves until the failing item is alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from crm_integrations.core.errors import CrmError, InvalidRequest, NotFound, ProviderUnavailable
from crm_integrations.core.types import BatchUpdateResult, CrmRecord, RecordFailure, RecordUpdate

from . import normalize
from .api import COMPLEXITY_FIELD, MondayApi
from .columns import ColumnsApi
from .complexity import item_read_price, mutation_price
from .errors import field_errors

READ_CHUNK = 100  # items(ids:) takes at most 100 ids
PAGE_MAX = 500  # items_page / next_items_page limit maximum
MUTATIONS_PER_CALL = 25
SPECIAL_PROPERTIES = frozenset({"name", normalize.GROUP_PROPERTY, normalize.RAW_PROPERTY})

COLUMN_VALUE_FIELDS = """id type text value
      ... on StatusValue { index label }
      ... on PeopleValue { persons_and_teams { id kind } }
      ... on NumbersValue { number }
      ... on EmailValue { email }
      ... on PhoneValue { phone }
      ... on DateValue { date time }
      ... on DropdownValue { values { id label } }
      ... on CheckboxValue { checked }
      ... on LinkValue { url }
      ... on LastUpdatedValue { updated_at }"""

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(str(item) for item in ids))


@dataclass(frozen=True)
class ItemSelection:
    """Which column values to read: ``columns`` None = every column."""

    columns: tuple[str, ...] | None

    @classmethod
    def of(cls, properties: Sequence[str]) -> ItemSelection:
        if not properties:
            return cls(None)
        return cls(tuple(dict.fromkeys(p for p in properties if p not in SPECIAL_PROPERTIES)))

    def fields(self) -> str:
        """The ``Item`` selection; ``$columns`` only when used (GraphQL refuses unused variables)."""
        head = "id name state created_at updated_at board { id } group { id }"
        if self.columns is None:
            return f"{head}\n    column_values {{ {COLUMN_VALUE_FIELDS} }}"
        if not self.columns:
            return head
        return f"{head}\n    column_values(ids: $columns) {{ {COLUMN_VALUE_FIELDS} }}"

    def declare(self) -> str:
        return ", $columns: [String!]" if self.columns else ""

    def variables(self) -> dict[str, Any]:
        return {"columns": list(self.columns)} if self.columns else {}

    def price(self, total_columns: int | None) -> int:
        return item_read_price(len(self.columns) if self.columns is not None else total_columns)


@dataclass(frozen=True)
class Page:
    records: tuple[CrmRecord, ...]
    cursor: str | None


class ItemsApi:
    def __init__(self, api: MondayApi, columns: ColumnsApi) -> None:
        self.api = api
        self.columns = columns

    # -- pages ------------------------------------------------------------------------------------

    def first_page(
        self,
        board_id: str,
        selection: ItemSelection,
        *,
        limit: int,
        query_params: Mapping[str, Any] | None = None,
    ) -> Page:
        """``boards(ids:) { items_page(limit:, query_params:) }`` (not at the root: monday refuses it)."""
        size = max(1, min(PAGE_MAX, limit))
        query = f"""
query ItemsPage($board: [ID!], $limit: Int!, $query: ItemsQuery{selection.declare()}) {{
  {COMPLEXITY_FIELD}
  boards(ids: $board) {{ items_page(limit: $limit, query_params: $query) {{ cursor items {{
    {selection.fields()}
  }} }} }}
}}"""
        estimate = self.api.meter.estimate(
            "items_page", size, selection.price(self.columns.column_count(board_id))
        )
        variables = {
            "board": [board_id],
            "limit": size,
            "query": dict(query_params or {}),
            **selection.variables(),
        }
        data = self.api.query(query, variables, estimate=estimate)
        boards = data.get("boards") or []
        if not boards:
            raise NotFound(f"monday board {board_id} does not exist or is not shared with this token.")
        page = boards[0].get("items_page") or {}
        return Page(tuple(normalize.record(item) for item in page.get("items") or []), page.get("cursor"))

    def next_page(self, cursor: str, selection: ItemSelection, *, limit: int, board_id: str) -> Page:
        """``next_items_page(cursor:, limit:)`` at the root; ``CursorExpired`` after 60 minutes."""
        size = max(1, min(PAGE_MAX, limit))
        query = f"""
query NextItemsPage($cursor: String!, $limit: Int!{selection.declare()}) {{
  {COMPLEXITY_FIELD}
  next_items_page(cursor: $cursor, limit: $limit) {{ cursor items {{
    {selection.fields()}
  }} }}
}}"""
        estimate = self.api.meter.estimate(
            "next_items_page", size, selection.price(self.columns.column_count(board_id))
        )
        data = self.api.query(
            query, {"cursor": cursor, "limit": size, **selection.variables()}, estimate=estimate
        )
        page = data.get("next_items_page") or {}
        return Page(tuple(normalize.record(item) for item in page.get("items") or []), page.get("cursor"))

    # -- reads by id --------------------------------------------------------------------------------

    def batch_read(
        self, board_id: str, ids: Sequence[str], *, properties: Sequence[str] = ()
    ) -> list[CrmRecord]:
        """Active items of ``board_id`` in the order of ``ids``; unknown, archived, deleted and other
        boards' items are left out. One call per 100 ids."""
        wanted = [item for item in unique(ids) if item.isdigit()]
        selection = ItemSelection.of(properties)
        query = f"""
query ItemsById($ids: [ID!], $limit: Int{selection.declare()}) {{
  {COMPLEXITY_FIELD}
  items(ids: $ids, limit: $limit, exclude_nonactive: true) {{
    {selection.fields()}
  }}
}}"""
        price = selection.price(self.columns.column_count(board_id)) if wanted else 0

        def read(chunk: Sequence[str]) -> list[CrmRecord]:
            estimate = self.api.meter.estimate("items_by_id", len(chunk), price)
            variables = {"ids": list(chunk), "limit": len(chunk), **selection.variables()}
            data = self.api.query(query, variables, estimate=estimate)
            records = [
                normalize.record(item)
                for item in data.get("items") or []
                if normalize.board_id_of(item) in (None, board_id)
            ]
            return [record for record in records if not record.archived]

        # The chunks go out a few at a time (crm_integrations/core/http/concurrent.py), each within
        # the complexity budget as before: monday answers a query in a few tenths of a second.
        calls = [partial(read, chunk) for chunk in chunks(wanted, READ_CHUNK)]
        answers = self.api.http.call_all(calls)
        found = {record.id: record for records in answers for record in records}
        return [found[item] for item in wanted if item in found]

    # -- writes ---------------------------------------------------------------------------------------

    def batch_update(self, board_id: str, updates: Sequence[RecordUpdate]) -> BatchUpdateResult:
        merged: dict[str, dict[str, Any]] = {}
        for update in updates:  # one id twice: the later values win
            merged.setdefault(str(update.id), {}).update(update.properties)
        updated: list[CrmRecord] = []
        failed: list[RecordFailure] = []
        pending: list[tuple[str, dict[str, Any], list[str]]] = []
        for item_id, properties in merged.items():
            if not item_id.isdigit():
                failed.append(RecordFailure(item_id, "monday item ids are numbers.", "invalid_id"))
                continue
            try:
                values = self.columns.encode(board_id, properties)
            except InvalidRequest as error:
                failed.append(RecordFailure(item_id, error.message, error.code or ""))
                continue
            columns = [name for name in properties if name not in SPECIAL_PROPERTIES]
            pending.append((item_id, values, columns))
        for chunk in chunks(pending, MUTATIONS_PER_CALL):
            done, errors = self._write(board_id, list(chunk))
            updated.extend(done)
            failed.extend(errors)
        return BatchUpdateResult(updated=tuple(updated), failed=tuple(failed))

    def _write(
        self, board_id: str, chunk: list[tuple[str, dict[str, Any], list[str]]]
    ) -> tuple[list[CrmRecord], list[RecordFailure]]:
        columns = sorted({column for _, _, names in chunk for column in names})
        selection = ItemSelection(tuple(columns))
        declarations = ["$board: ID!"] + [f"$i{n}: ID, $v{n}: JSON!" for n in range(len(chunk))]
        if selection.columns:
            declarations.append("$columns: [String!]")
        body = "\n".join(
            f"  u{n}: change_multiple_column_values(board_id: $board, item_id: $i{n}, column_values: $v{n}) "
            f"{{ {selection.fields()} }}"
            for n in range(len(chunk))
        )
        query = f"mutation UpdateItems({', '.join(declarations)}) {{\n  {COMPLEXITY_FIELD}\n{body}\n}}"
        variables: dict[str, Any] = {"board": board_id, **selection.variables()}
        for n, (item_id, values, _) in enumerate(chunk):
            # column_values is a JSON-encoded *string*, even through variables (monday's column-value
            # docs write it so for change_multiple_column_values).
            variables[f"i{n}"] = item_id
            variables[f"v{n}"] = json.dumps(values, separators=(",", ":"), default=str)
        estimate = self.api.meter.estimate("update_items", len(chunk), mutation_price(len(columns)))
        try:
            # Not repeated inline after a 5xx: a document of 25 writes is split instead (see below).
            result = self.api.execute(query, variables, estimate=estimate, idempotent=False)
        except ProviderUnavailable as error:
            # A timeout or a cut connection after sending (``OutcomeUnknown``, no status) goes up
            # as it is: the writes may have landed, the caller reads the items back.
            if error.status != 500 or error.code == "circuit_open":
                raise
            if len(chunk) == 1:
                return [], [RecordFailure(chunk[0][0], error.message, error.code or "http_500")]
            half = len(chunk) // 2
            first = self._write(board_id, chunk[:half])
            second = self._write(board_id, chunk[half:])
            return first[0] + second[0], first[1] + second[1]
        errors = field_errors(result.errors)
        updated, failed = [], []
        for n, (item_id, _, _) in enumerate(chunk):
            alias = f"u{n}"
            item = result.data.get(alias)
            if item:
                updated.append(normalize.record(item))
                continue
            error = errors.get(alias)
            if error is None:
                failed.append(RecordFailure(item_id, "monday did not return the updated item.", "missing"))
                continue
            crm = result.error_for(error)
            failed.append(RecordFailure(item_id, crm.message, error.code or type(crm).__name__))
        return updated, failed

    def create(
        self, board_id: str, name: str, properties: Mapping[str, Any], *, group_id: str | None = None
    ) -> CrmRecord:
        """``create_item`` (not repeated after a 5xx: it would create the item twice)."""
        values = self.columns.encode(board_id, {k: v for k, v in properties.items() if k != "name"})
        selection = ItemSelection(None)
        query = f"""
mutation CreateItem($board: ID!, $name: String!, $values: JSON, $group: String) {{
  {COMPLEXITY_FIELD}
  create_item(board_id: $board, item_name: $name, column_values: $values, group_id: $group) {{
    {selection.fields()}
  }}
}}"""
        variables = {
            "board": board_id,
            "name": name,
            "values": json.dumps(values, default=str),
            "group": group_id,
        }
        estimate = self.api.meter.estimate(
            "create_item", 1, mutation_price(self.columns.column_count(board_id))
        )
        result = self.api.execute(query, variables, estimate=estimate, idempotent=False)
        result.raise_for_errors()
        item = result.data.get("create_item")
        if not item:
            raise CrmError("monday did not return the created item.")
        return normalize.record(item)
