"""Boards the token can see, for the connection wizard's "which board holds the leads?" step."""

from __future__ import annotations

from dataclasses import dataclass

from .api import COMPLEXITY_FIELD, MondayApi

PAGE_SIZE = 100
BOARDS_QUERY = f"""
query Boards($limit: Int, $page: Int) {{
  {COMPLEXITY_FIELD}
  boards(limit: $limit, page: $page, state: active, board_kind: public, order_by: used_at) {{
    id name items_count workspace_id
  }}
}}"""


@dataclass(frozen=True)
class BoardSummary:
    id: str
    name: str
    items_count: int | None
    workspace_id: str | None


def list_boards(api: MondayApi, *, max_pages: int = 10) -> list[BoardSummary]:
    """Active public boards, most recently used first (at most ``max_pages`` x 100)."""
    found: dict[str, BoardSummary] = {}
    for page in range(1, max_pages + 1):
        estimate = api.meter.estimate("boards", PAGE_SIZE, 6)
        rows = (
            api.query(BOARDS_QUERY, {"limit": PAGE_SIZE, "page": page}, estimate=estimate).get("boards") or []
        )
        for row in rows:
            workspace = row.get("workspace_id")
            found.setdefault(
                str(row["id"]),
                BoardSummary(
                    str(row["id"]),
                    str(row.get("name") or ""),
                    row.get("items_count"),
                    None if workspace is None else str(workspace),
                ),
            )
        if len(rows) < PAGE_SIZE:
            break
    return list(found.values())
