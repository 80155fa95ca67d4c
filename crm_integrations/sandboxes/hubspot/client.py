"""A small client for the control API (``/_sandbox``), for tests, scripts and benchmarks."""

from __future__ import annotations

from typing import Any

import requests


class SandboxControl:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(method, f"{self.base_url}/_sandbox{path}", timeout=self.timeout, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

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

    def seed_leads(self, count: int, portal_id: int | None = None) -> dict:
        return self._call("POST", "/seed/leads", json={"count": count, "portalId": portal_id})

    def reset(self, **body: Any) -> dict:
        return self._call("POST", "/reset", json=body)

    def requests(
        self, since: int = 0, path_prefix: str | None = None, method: str | None = None
    ) -> list[dict]:
        params = {"since": since, "pathPrefix": path_prefix, "method": method}
        return self._call("GET", "/requests", params={k: v for k, v in params.items() if v is not None})[
            "results"
        ]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def set_faults(self, **settings: Any) -> dict:
        return self._call("PUT", "/faults", json=settings)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def configure(self, **changes: Any) -> dict:
        return self._call("PATCH", "/config", json=changes)

    def configure_webhooks(self, **settings: Any) -> dict:
        return self._call("PUT", "/webhooks", json=settings)

    def configure_workflows(self, **settings: Any) -> dict:
        return self._call("PUT", "/workflows", json=settings)

    def deliveries(self, kind: str | None = None) -> list[dict]:
        return self._call("GET", "/webhooks/deliveries", params={"kind": kind} if kind else None)["results"]

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        response = requests.post(
            f"{self.base_url}/_sandbox/webhooks/wait",
            json={"timeout": timeout},
            timeout=timeout + self.timeout,
        )
        return bool(response.json().get("idle"))

    def create_record(self, object_type: str, properties: dict[str, str], **extra: Any) -> dict:
        """Create a record as a HubSpot user would (changeSource CRM_UI; triggers webhooks)."""
        return self._call("POST", f"/objects/{object_type}", json={"properties": properties, **extra})

    def update_record(
        self, object_type: str, record_id: str, properties: dict[str, str], **extra: Any
    ) -> dict:
        return self._call(
            "PATCH", f"/objects/{object_type}/{record_id}", json={"properties": properties, **extra}
        )
