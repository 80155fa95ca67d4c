"""The sandbox's state as versioned JSON-ready data, and back again (for ``--state-file``).

Kept: every portal (records with their history, next ids and lead batches, associations, owners, properties,
property groups, pipelines, files as their content recipe), access and refresh tokens with their expiry and
revocation, the key that signs file URLs, the seed, app webhook settings (with the next event id) and
workflow actions. Not kept: authorization codes, pending consents, rate-limit windows, faults, the request
log and webhook deliveries (retries still queued are dropped).

Bump :data:`FORMAT_VERSION` whenever the shape below changes; an older file is then moved aside and the
sandbox seeds afresh.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from ..persistence import IncompatibleState, decode_versioned
from .association_store import AssociationStore
from .config import SandboxConfig
from .property_defs import PropertyDef
from .state import GeneratedBytes, HistoryEntry, Owner, Portal, Record, SandboxState, StoredFile
from .timeutil import iso
from .tokens import AccessToken, Grant, RefreshToken
from .webhooks import AppWebhooks, Subscription
from .workflows import WorkflowAction, Workflows

FORMAT = "hubspot-sandbox-state"
FORMAT_VERSION = 1


# --- capture --------------------------------------------------------------------------------------
def capture(state: SandboxState, webhooks: AppWebhooks, workflows: Workflows) -> dict[str, Any]:
    """Everything worth keeping, copied. Call under ``state.lock``; encode the result after releasing it."""
    access, refresh = state.tokens.tokens()
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "savedAt": iso(state.clock.now_ms()),
        "seed": state.config.seed,
        "seedLeads": state.config.seed_leads,
        "signingKey": state.signing_key.hex(),
        "portals": [_portal_data(portal) for portal in state.portals.values()],
        "tokens": {
            "access": [_access_data(token) for token in access],
            "refresh": [_refresh_data(token) for token in refresh],
        },
        "webhooks": {**webhooks.settings(), "nextEventId": webhooks.next_event_id},
        "workflows": workflows.view(),
    }


def _portal_data(portal: Portal) -> dict[str, Any]:
    return {
        "portalId": portal.portal_id,
        "nextIds": dict(portal.next_ids),
        "leadBatches": portal.lead_batches,
        "records": {
            kind: [_record_data(record) for record in items.values()]
            for kind, items in portal.records.items()
        },
        "associations": [list(link) for link in portal.associations.links()],
        "owners": [dataclasses.asdict(owner) for owner in portal.owners.values()],
        "properties": {
            kind: [dataclasses.asdict(prop) for prop in props.values()]
            for kind, props in portal.properties.items()
        },
        "groups": copy.deepcopy(portal.groups),
        "pipelines": copy.deepcopy(portal.pipelines),
        "files": [_file_data(stored) for stored in portal.files.values()],
    }


def _record_data(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "properties": dict(record.properties),
        "createdMs": record.created_ms,
        "updatedMs": record.updated_ms,
        "archived": record.archived,
        "archivedMs": record.archived_ms,
        # [value, timestamp ms, source type, source id], newest first
        "history": {
            name: [[e.value, e.timestamp_ms, e.source_type, e.source_id] for e in entries]
            for name, entries in record.history.items()
        },
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _file_data(stored: StoredFile) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": stored.id,
        "name": stored.name,
        "extension": stored.extension,
        "type": stored.type,
        "size": stored.size,
        "createdMs": stored.created_ms,
        "access": stored.access,
    }
    recipe = stored.make_content
    if isinstance(recipe, GeneratedBytes):
        body["generated"] = {
            "seed": recipe.seed,
            "head": _b64(recipe.head),
            "size": recipe.size,
            "tail": _b64(recipe.tail),
        }
    else:
        body["content"] = _b64(stored.content())
    return body


def _grant_data(grant: Grant) -> dict[str, Any]:
    return {
        "portalId": grant.portal_id,
        "userId": grant.user_id,
        "userEmail": grant.user_email,
        "scopes": list(grant.scopes),
        "clientId": grant.client_id,
    }


def _access_data(token: AccessToken) -> dict[str, Any]:
    return {
        "token": token.token,
        "grant": _grant_data(token.grant),
        "expiresAt": token.expires_at,
        "refreshToken": token.refresh_token,
        "revoked": token.revoked,
    }


def _refresh_data(token: RefreshToken) -> dict[str, Any]:
    return {"token": token.token, "grant": _grant_data(token.grant), "revoked": token.revoked}


# --- restore --------------------------------------------------------------------------------------
@dataclass
class Restored:
    """A decoded state, not yet applied."""

    seed: int
    seed_leads: int
    signing_key: bytes
    portals: dict[int, Portal]
    access: list[AccessToken]
    refresh: list[RefreshToken]
    webhooks: dict[str, Any]
    subscriptions: list[Subscription]
    next_event_id: int
    workflow_actions: list[WorkflowAction]
    workflow_retry_delays: tuple[float, ...]
    workflow_timeout: float


def decode(data: Any, config: SandboxConfig) -> Restored:
    """Check and decode saved data; :class:`IncompatibleState` says why it cannot be used."""
    restored = decode_versioned(data, FORMAT, FORMAT_VERSION, _decode)
    if list(restored.portals) != list(config.portal_ids):
        saved, wanted = list(restored.portals), list(config.portal_ids)
        raise IncompatibleState(f"it holds portals {saved}, the sandbox is configured for {wanted}")
    return restored


def _decode(data: dict[str, Any]) -> Restored:
    webhooks, workflows = data["webhooks"], data["workflows"]
    portals = [_portal(item) for item in data["portals"]]
    return Restored(
        seed=int(data["seed"]),
        seed_leads=int(data["seedLeads"]),
        signing_key=bytes.fromhex(data["signingKey"]),
        portals={portal.portal_id: portal for portal in portals},
        access=[_access(item) for item in data["tokens"]["access"]],
        refresh=[_refresh(item) for item in data["tokens"]["refresh"]],
        webhooks={
            "targetUrl": webhooks["targetUrl"],
            "timeout": float(webhooks["timeout"]),
            "retryDelays": tuple(float(delay) for delay in webhooks["retryDelays"]),
            "retryTimeScale": float(webhooks["retryTimeScale"]),
        },
        subscriptions=[Subscription(**item) for item in webhooks["subscriptions"]],
        next_event_id=int(webhooks["nextEventId"]),
        workflow_actions=[WorkflowAction(**item) for item in workflows["actions"]],
        workflow_retry_delays=tuple(float(delay) for delay in workflows["retryDelays"]),
        workflow_timeout=float(workflows["timeout"]),
    )


def _portal(data: dict[str, Any]) -> Portal:
    portal = Portal(int(data["portalId"]))
    portal.next_ids = {str(kind): int(value) for kind, value in data["nextIds"].items()}
    portal.lead_batches = int(data["leadBatches"])
    portal.records = {
        kind: {record.id: record for record in (_record(kind, item) for item in items)}
        for kind, items in data["records"].items()
    }
    portal.associations = AssociationStore.from_links([tuple(link) for link in data["associations"]])
    portal.owners = {owner.id: owner for owner in (Owner(**item) for item in data["owners"])}
    portal.properties = {
        kind: {prop.name: prop for prop in (_property(item) for item in items)}
        for kind, items in data["properties"].items()
    }
    portal.groups = {kind: dict(groups) for kind, groups in data["groups"].items()}
    portal.pipelines = {kind: list(pipelines) for kind, pipelines in data["pipelines"].items()}
    portal.files = {stored.id: stored for stored in (_file(item) for item in data["files"])}
    return portal


def _record(kind: str, data: dict[str, Any]) -> Record:
    return Record(
        id=int(data["id"]),
        object_type=kind,
        properties={str(name): str(value) for name, value in data["properties"].items()},
        created_ms=int(data["createdMs"]),
        updated_ms=int(data["updatedMs"]),
        history={
            name: [
                HistoryEntry(str(value), int(ms), str(source), source_id)
                for value, ms, source, source_id in items
            ]
            for name, items in data["history"].items()
        },
        archived=bool(data["archived"]),
        archived_ms=None if data["archivedMs"] is None else int(data["archivedMs"]),
    )


def _property(data: dict[str, Any]) -> PropertyDef:
    options = tuple((str(value), str(label)) for value, label in data["options"])
    return PropertyDef(**{**data, "options": options, "extra": dict(data["extra"])})


def _file(data: dict[str, Any]) -> StoredFile:
    if "generated" in data:
        spec = data["generated"]
        head, tail = base64.b64decode(spec["head"]), base64.b64decode(spec["tail"])
        make: Any = GeneratedBytes(str(spec["seed"]), head, int(spec["size"]), tail)
    else:
        content = base64.b64decode(data["content"])
        make = lambda: content  # noqa: E731 - the bytes themselves were saved
    return StoredFile(
        int(data["id"]),
        str(data["name"]),
        str(data["extension"]),
        str(data["type"]),
        int(data["size"]),
        int(data["createdMs"]),
        make,
        access=str(data["access"]),
    )


def _grant(data: dict[str, Any]) -> Grant:
    return Grant(
        int(data["portalId"]),
        int(data["userId"]),
        str(data["userEmail"]),
        tuple(str(scope) for scope in data["scopes"]),
        str(data["clientId"]),
    )


def _access(data: dict[str, Any]) -> AccessToken:
    return AccessToken(
        str(data["token"]),
        _grant(data["grant"]),
        float(data["expiresAt"]),
        data["refreshToken"],
        bool(data["revoked"]),
    )


def _refresh(data: dict[str, Any]) -> RefreshToken:
    return RefreshToken(str(data["token"]), _grant(data["grant"]), bool(data["revoked"]))


def apply(restored: Restored, state: SandboxState, webhooks: AppWebhooks, workflows: Workflows) -> None:
    """Make ``state`` (and the webhook/workflow settings) the restored one. A ``--webhook-url`` given at start
    wins over the saved target URL; the other start options (token TTL, limits, ...) keep their values."""
    config = state.config
    settings = restored.webhooks
    with state.lock:
        config.seed, config.seed_leads = restored.seed, restored.seed_leads
        state.signing_key = restored.signing_key
        state.portals = restored.portals
        state.tokens.replace_tokens(restored.access, restored.refresh)
        config.webhook_target_url = config.webhook_target_url or settings["targetUrl"]
        config.webhook_timeout = settings["timeout"]
        config.webhook_retry_delays = settings["retryDelays"]
        config.retry_time_scale = settings["retryTimeScale"]
        webhooks.subscriptions = restored.subscriptions
        webhooks.next_event_id = restored.next_event_id
        workflows.restore(restored.workflow_actions)
        config.workflow_retry_delays = restored.workflow_retry_delays
        config.workflow_timeout = restored.workflow_timeout
