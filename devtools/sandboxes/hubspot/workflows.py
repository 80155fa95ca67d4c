"""Workflow "Send a webhook" actions: POST a deal reaching a stage, signed v2 (or v1), with their retries.

As in HubSpot's workflow "Send a webhook" action, an action may add static query parameters to its URL
(``queryParams``; the v2 signature covers the whole URL) and authenticate with an API key instead of
(or besides) a signature: ``apiKey`` = ``{"name", "value", "location": "header" | "query"}``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from . import records
from .delivery import Deliverer, Delivery, retry_workflow
from .object_types import object_type
from .signing import signed_headers
from .state import RecordChange, SandboxState
from .timeutil import now_ms


@dataclass
class WorkflowAction:
    """Enrolls deals entering ``stageId`` (optionally only in ``pipelineId``); POSTs them to ``targetUrl``."""

    id: int
    targetUrl: str
    stageId: str
    pipelineId: str | None = None
    signatureVersion: str | None = "v2"
    name: str = "Send a webhook"
    queryParams: dict[str, str] | None = None
    apiKey: dict[str, str] | None = None

    def url(self) -> str:
        """The URL called: ``targetUrl`` with the static query parameters (and a query API key)."""
        params = dict(self.queryParams or {})
        if self.apiKey and self.apiKey.get("location") == "query":
            params[self.apiKey["name"]] = self.apiKey["value"]
        if not params:
            return self.targetUrl
        return f"{self.targetUrl}{'&' if '?' in self.targetUrl else '?'}{urlencode(params)}"

    def key_header(self) -> dict[str, str]:
        if self.apiKey and self.apiKey.get("location", "header") == "header":
            return {self.apiKey["name"]: self.apiKey["value"]}
        return {}


class Workflows:
    def __init__(self, state: SandboxState, deliverer: Deliverer) -> None:
        self._state = state
        self._deliverer = deliverer
        self._ids = itertools.count(1)
        self.actions: list[WorkflowAction] = []
        state.subscribe(self.on_change)

    def view(self) -> dict[str, Any]:
        config = self._state.config
        return {
            "actions": [asdict(action) for action in self.actions],
            "retryDelays": list(config.workflow_retry_delays),
            "timeout": config.workflow_timeout,
        }

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        config = self._state.config
        if "actions" in body:
            self.actions = [
                WorkflowAction(
                    next(self._ids),
                    item["targetUrl"],
                    item["stageId"],
                    item.get("pipelineId"),
                    item.get("signatureVersion", "v2"),
                    item.get("name", "Send a webhook"),
                    _strings(item.get("queryParams")),
                    _api_key(item.get("apiKey")),
                )
                for item in body["actions"]
            ]
        if "retryDelays" in body:
            config.workflow_retry_delays = tuple(float(delay) for delay in body["retryDelays"])
        if "timeout" in body:
            config.workflow_timeout = float(body["timeout"])
        return self.view()

    def restore(self, actions: list[WorkflowAction]) -> None:
        """Hold exactly ``actions`` (a restored state) with their ids; new ones are numbered after them."""
        self.actions = list(actions)
        self._ids = itertools.count(max((action.id for action in actions), default=0) + 1)

    def on_change(self, change: RecordChange) -> None:
        """Called under the state lock when any record changes."""
        if change.object_type != "deals" or change.kind == "deletion" or not self.actions:
            return
        if change.kind == "propertyChange" and change.property_name != "dealstage":
            return
        portal = self._state.portals[change.portal_id]
        deals = object_type("deals")
        record = portal.records["deals"][change.object_id]
        for action in self.actions:
            stage_ok = record.properties.get("dealstage") == action.stageId
            pipeline_ok = action.pipelineId in (None, record.properties.get("pipeline"))
            if stage_ok and pipeline_ok:
                shown = [name for name, value in record.properties.items() if value]
                snapshot = records.serialize(portal, deals, record, shown)
                self._send(change.portal_id, action, json.dumps(snapshot, separators=(",", ":")).encode())

    def _send(self, portal_id: int, action: WorkflowAction, body: bytes) -> None:
        secret = self._state.config.client_secret

        url = action.url()

        def build(attempt: int) -> tuple[bytes, dict[str, str]]:
            headers = {"Content-Type": "application/json", "User-Agent": "HubSpot Workflows (sandbox)"}
            headers.update(action.key_header())
            if action.signatureVersion:
                headers.update(signed_headers(action.signatureVersion, secret, "POST", url, body, now_ms()))
            return body, headers

        config = self._state.config
        delivery = Delivery(
            "workflow",
            portal_id,
            url,
            build,
            config.workflow_retry_delays,
            retry_workflow,
            config.workflow_timeout,
            {"workflowActionId": action.id},
        )
        self._deliverer.submit(delivery)


def _strings(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("queryParams must be an object of names to values")
    return {str(name): str(item) for name, item in value.items()}


def _api_key(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("name") or "value" not in value:
        raise ValueError('apiKey must be {"name", "value", "location": "header" | "query"}')
    location = str(value.get("location") or "header")
    if location not in ("header", "query"):
        raise ValueError('apiKey.location must be "header" or "query"')
    return {"name": str(value["name"]), "value": str(value["value"]), "location": location}
