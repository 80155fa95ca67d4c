"""Workflow "Send a webhook" actions: POST a deal reaching a stage, signed v2 (or v1), with their retries."""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from typing import Any

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

        def build(attempt: int) -> tuple[bytes, dict[str, str]]:
            headers = {"Content-Type": "application/json", "User-Agent": "HubSpot Workflows (sandbox)"}
            if action.signatureVersion:
                headers.update(
                    signed_headers(action.signatureVersion, secret, "POST", action.targetUrl, body, now_ms())
                )
            return body, headers

        config = self._state.config
        delivery = Delivery(
            "workflow",
            portal_id,
            action.targetUrl,
            build,
            config.workflow_retry_delays,
            retry_workflow,
            config.workflow_timeout,
            {"workflowActionId": action.id},
        )
        self._deliverer.submit(delivery)
