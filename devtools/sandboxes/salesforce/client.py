"""A small client for the control API (``/_sandbox``) and raw REST calls, for tests and scripts."""

from __future__ import annotations

from typing import Any

import requests

from ..common import ControlClient

API_VERSION = "66.0"


class SandboxControl(ControlClient):
    def access_token(self, user_id: str | None = None, scope: str | None = None) -> str:
        return self.tokens(user_id, scope)["access_token"]

    def tokens(self, user_id: str | None = None, scope: str | None = None) -> dict[str, Any]:
        """A token answer (access and refresh token, ``instance_url``, ``id``) without the consent page."""
        return self._call("POST", "/tokens", json={"userId": user_id, "scope": scope})

    def revoke_token(self, token: str) -> None:
        self._call("POST", "/tokens/revoke", json={"token": token})

    def seeded(self) -> dict[str, Any]:
        return self._call("GET", "/seeded")

    def seed_leads(self, count: int, owner_id: str | None = None, notify: bool = False) -> list[str]:
        return self._call(
            "POST", "/seed/leads", json={"count": count, "ownerId": owner_id, "notify": notify}
        )["ids"]

    def record(self, object_name: str, record_id: str) -> dict[str, Any]:
        return self._call("GET", f"/records/{object_name}/{record_id}")

    def create_record(self, object_name: str, fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """As a person (or web-to-lead) would: the assignment rule runs unless ``autoAssign=False``."""
        return self._call("POST", f"/records/{object_name}", json={"fields": fields, **extra})

    def update_record(self, object_name: str, record_id: str, fields: dict[str, Any], **extra: Any) -> dict:
        return self._call("PATCH", f"/records/{object_name}/{record_id}", json={"fields": fields, **extra})

    def convert_lead(self, lead_id: str, account_id: str | None = None) -> dict[str, Any]:
        return self._call("POST", f"/leads/{lead_id}/convert", json={"accountId": account_id})

    def usage(self) -> dict[str, int]:
        return self._call("GET", "/usage")

    def set_usage(self, used: int) -> dict[str, int]:
        return self._call("PUT", "/usage", json={"used": used})

    def requests(
        self, since: int = 0, path_prefix: str | None = None, method: str | None = None
    ) -> list[dict]:
        params = {"since": since, "pathPrefix": path_prefix, "method": method}
        return self._call("GET", "/requests", params={k: v for k, v in params.items() if v is not None})[
            "results"
        ]

    def configure_outbound(self, **settings: Any) -> dict[str, Any]:
        """``url``, ``leadEvents``, ``opportunityStage``, ``timeout``, ``retryBase``, ``retryMax``,
        ``retryWindow`` (control.py ``OUTBOUND_OPTIONS``)."""
        return self._call("PUT", "/outbound", json=settings)

    def outbound(self) -> dict[str, Any]:
        return self._call("GET", "/outbound")

    def outbound_deliveries(self) -> list[dict[str, Any]]:
        return self._call("GET", "/outbound/deliveries")["results"]

    def wait_for_outbound(self, timeout: float = 10.0) -> bool:
        """Until no Outbound Message is pending or due (a retry scheduled later does not count)."""
        response = requests.post(
            f"{self.base_url}/_sandbox/outbound/wait",
            json={"timeout": timeout},
            timeout=timeout + self.timeout,
        )
        return bool(response.json().get("idle"))

    def rest(self, method: str, path: str, *, token: str, **kwargs: Any) -> requests.Response:
        """One raw REST call: ``path`` under ``/services/data/v66.0/`` unless it starts with ``/``."""
        url = path if path.startswith("/") else f"/services/data/v{API_VERSION}/{path}"
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.base_url}{url}", headers=headers, timeout=self.timeout, **kwargs
        )
