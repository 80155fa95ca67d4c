"""A small client for the control API (``/_sandbox``) and the GraphQL endpoint, for tests and scripts."""

from __future__ import annotations

from typing import Any

import requests

from ..common import ControlClient


class SandboxControl(ControlClient):
    def seed_items(self, count: int) -> dict:
        return self._call("POST", "/seed/items", json={"count": count})

    def token(
        self,
        kind: str = "personal",
        scopes: list[str] | None = None,
        user_id: int | None = None,
        expires_in: float | None = None,
    ) -> str:
        body: dict[str, Any] = {"kind": kind, "scopes": scopes, "userId": user_id}
        if expires_in is not None:
            body["expiresIn"] = expires_in
        return self._call("POST", "/tokens", json=body)["access_token"]

    def revoke_token(self, token: str) -> None:
        self._call("POST", "/tokens/revoke", json={"token": token})

    def item(self, item_id: str | int) -> dict:
        return self._call("GET", f"/items/{item_id}")

    def create_item(self, name: str, column_values: dict[str, Any] | None = None, **extra: Any) -> dict:
        """Create an item as a person in monday would (triggers create_item webhooks)."""
        return self._call("POST", "/items", json={"name": name, "columnValues": column_values or {}, **extra})

    def update_item(self, item_id: str | int, column_values: dict[str, Any], **extra: Any) -> dict:
        return self._call("PATCH", f"/items/{item_id}", json={"columnValues": column_values, **extra})

    def delete_item(self, item_id: str | int) -> None:
        self._call("DELETE", f"/items/{item_id}")

    def expire_cursors(self) -> int:
        return self._call("POST", "/cursors/expire")["expired"]

    def requests(self, since: int = 0) -> list[dict]:
        return self._call("GET", "/requests", params={"since": since})["results"]

    def deliveries(self) -> list[dict]:
        return self._call("GET", "/webhooks/deliveries")["results"]

    def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str, version: str = "2026-10"
    ) -> requests.Response:
        """One raw API call, as monday's own clients send it (bare token in ``Authorization``)."""
        return requests.post(
            f"{self.base_url}/v2",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": token, "API-Version": version},
            timeout=self.timeout,
        )
