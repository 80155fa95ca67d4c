"""Pipelines v3 (read): deal and lead pipelines with their stages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from .errors import not_found
from .guard import guard, sandbox
from .http import reply
from .object_types import object_type
from .timeutil import iso

blueprint = Blueprint("pipelines", __name__)

DEAL_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
    ("contractsent", "Contract Sent", "0.9", "false"),
    ("closedwon", "Closed Won", "1.0", "true"),
    ("closedlost", "Closed Lost", "0.0", "true"),
)
LEAD_STAGES = (
    ("new-stage-id", "New", None, "false"),
    ("attempting-stage-id", "Attempting", None, "false"),
    ("connected-stage-id", "Connected", None, "false"),
    ("qualified-stage-id", "Qualified", None, "true"),
    ("unqualified-stage-id", "Disqualified", None, "true"),
)


def build_pipeline(pipeline_id: str, label: str, stages: tuple, created_ms: int) -> dict[str, Any]:
    """A ``Pipeline`` in API shape; stage metadata holds ``isClosed`` and (deals) ``probability``."""
    when = iso(created_ms)
    return {
        "id": pipeline_id,
        "label": label,
        "displayOrder": 0,
        "archived": False,
        "createdAt": when,
        "updatedAt": when,
        "stages": [
            {
                "id": stage_id,
                "label": stage_label,
                "displayOrder": index,
                "metadata": {"isClosed": closed, **({"probability": probability} if probability else {})},
                "archived": False,
                "createdAt": when,
                "updatedAt": when,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            }
            for index, (stage_id, stage_label, probability, closed) in enumerate(stages)
        ],
    }


def default_pipelines(created_ms: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "deals": [build_pipeline("default", "Sales Pipeline", DEAL_STAGES, created_ms)],
        "leads": [build_pipeline("lead-pipeline-id", "Lead pipeline", LEAD_STAGES, created_ms)],
    }


@blueprint.get("/<object_type_key>")
def list_pipelines(object_type_key: str) -> Response:
    otype = object_type(object_type_key)
    portal = guard(otype.read_scopes).portal
    with sandbox().lock:
        return reply({"results": portal.pipelines.get(otype.name, [])})


def _pipeline(object_type_key: str, pipeline_id: str) -> dict[str, Any]:
    otype = object_type(object_type_key)
    portal = guard(otype.read_scopes).portal
    with sandbox().lock:
        found = next((p for p in portal.pipelines.get(otype.name, []) if p["id"] == pipeline_id), None)
    if found is None:
        raise not_found()
    return found


@blueprint.get("/<object_type_key>/<pipeline_id>")
def get_pipeline(object_type_key: str, pipeline_id: str) -> Response:
    return reply(_pipeline(object_type_key, pipeline_id))


@blueprint.get("/<object_type_key>/<pipeline_id>/stages")
def list_stages(object_type_key: str, pipeline_id: str) -> Response:
    return reply({"results": _pipeline(object_type_key, pipeline_id)["stages"]})
