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


#: What the lead intake needs to hear about: new items and any column change (owner, status...).
LEAD_EVENTS = ("create_item", "change_column_value")
CREATE_WEBHOOK = """
mutation Subscribe($board: ID!, $url: String!, $event: WebhookEventType!) {
  create_webhook(board_id: $board, url: $url, event: $event) { id board_id }
}"""
WEBHOOKS_QUERY = """
query Hooks($board: ID!) { webhooks(board_id: $board, app_webhooks_only: true) { id event } }"""


def subscribe_lead_webhooks(api: MondayApi, board_id: str, url: str) -> list[str]:
    """Subscribe ``url`` to the board's lead events not yet subscribed; the ids of the new webhooks.

    monday first POSTs a challenge to ``url``, which must echo it (our events endpoint does), or the
    mutation fails. Only webhooks made with an app's OAuth token carry the JWT our endpoint requires.
    """
    estimate = api.meter.estimate("webhooks", 1, 2)
    existing = api.query(WEBHOOKS_QUERY, {"board": board_id}, estimate=estimate).get("webhooks") or []
    have = {str(hook.get("event")) for hook in existing}
    created = []
    for event in LEAD_EVENTS:
        if event in have:
            continue
        data = api.query(
            CREATE_WEBHOOK,
            {"board": board_id, "url": url, "event": event},
            estimate=api.meter.estimate("create_webhook", 1, 2),
        )
        created.append(str((data.get("create_webhook") or {}).get("id")))
    return created
