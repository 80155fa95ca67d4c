"""A small client for the control API (``/_sandbox``), for tests, scripts and benchmarks."""

from __future__ import annotations

from typing import Any

from ..common import ControlClient


class SandboxControl(ControlClient):
    def token(
        self, scopes: list[str] | None = None, portal_id: int | None = None, expires_in: int | None = None
    ) -> dict:
        body: dict[str, Any] = {"scopes": scopes, "portalId": portal_id}
        if expires_in is not None:
            body["expiresIn"] = expires_in
        return self._call("POST", "/tokens", json=body)

    def access_token(self, **kwargs: Any) -> str:
        return self.token(**kwargs)["access_token"]

    def expire_tokens(self, access_token: str | None = None, portal_id: int | None = None) -> int:
        return self._call(
            "POST", "/tokens/expire", json={"accessToken": access_token, "portalId": portal_id}
        )["expired"]

    def revoke_refresh_token(self, refresh_token: str) -> None:
        self._call("POST", "/tokens/revoke", json={"refreshToken": refresh_token})

    def seed_leads(
        self, count: int, portal_id: int | None = None, *, fresh: bool = False, unowned: bool = False
    ) -> dict:
        """``fresh``: created now by a user, so each creation sends its webhook; ``unowned``: no owners."""
        body = {"count": count, "portalId": portal_id, "fresh": fresh, "unowned": unowned}
        return self._call("POST", "/seed/leads", json=body)

    def requests(
        self, since: int = 0, path_prefix: str | None = None, method: str | None = None
    ) -> list[dict]:
        params = {"since": since, "pathPrefix": path_prefix, "method": method}
        return self._call("GET", "/requests", params={k: v for k, v in params.items() if v is not None})[
            "results"
        ]

    def configure_workflows(self, **settings: Any) -> dict:
        return self._call("PUT", "/workflows", json=settings)

    def deliveries(self, kind: str | None = None) -> list[dict]:
        return self._call("GET", "/webhooks/deliveries", params={"kind": kind} if kind else None)["results"]

    def create_record(self, object_type: str, properties: dict[str, str], **extra: Any) -> dict:
        """Create a record as a HubSpot user would (changeSource CRM_UI; triggers webhooks)."""
        return self._call("POST", f"/objects/{object_type}", json={"properties": properties, **extra})

    def update_record(
        self, object_type: str, record_id: str, properties: dict[str, str], **extra: Any
    ) -> dict:
        return self._call(
            "PATCH", f"/objects/{object_type}/{record_id}", json={"properties": properties, **extra}
        )
