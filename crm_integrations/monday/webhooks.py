"""monday webhooks, as pure functions: the challenge handshake, the JWT check, the event payload.

Facts (monday's "Webhooks" doc: URL verification, authenticating requests, payloads, retry policy):

* Creating a webhook makes monday POST ``{"challenge": "..."}``; the endpoint must answer HTTP 200
  with the same JSON, else ``create_webhook`` fails (:func:`challenge_response`).
* Webhooks created with an app's OAuth token carry ``Authorization: <JWT>``; board webhooks are
  signed with the app's **signing secret** (app lifecycle webhooks with the client secret). Claims:
  ``accountId``, ``userId``, ``aud`` (the endpoint URL), ``exp``, ``shortLivedToken``. Webhooks created
  with a personal token carry **no** header: protect those with an unguessable secret in the URL
  (:func:`verify_jwt`, :func:`url_secret_matches`). HS256 only: the algorithm is never taken from the token.
* The body is ``{"event": {...}}`` with monday's older type names (``create_pulse``,
  ``update_column_value``, ``update_name``...); ids may be ints or strings; retries (once a minute for
  30 minutes) carry ``isRetry`` / ``originalTriggerUuid``, so the dedupe key is built on the original
  trigger (:func:`parse_payload`).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt

from crm_integrations.core.webhooks import (
    InboundEvent,
    MalformedWebhook,
    bounded_text,
    dedupe_key,
    event_moment,
    external_id,
)
from crm_integrations.models import SignatureVerdict

from .normalize import OBJECT_TYPE, parse_datetime

ALGORITHMS = ["HS256"]
#: Clock skew allowed on ``exp``/``iat`` (seconds).
LEEWAY = 30
MAX_VALUE_LENGTH = 2000
#: Payload ``type`` (monday's older names) -> the subscription's event name (``WebhookEventType``).
EVENT_TYPES = {
    "create_pulse": "create_item",
    "update_column_value": "change_column_value",
    "update_name": "change_name",
    "change_name": "change_name",
    "delete_pulse": "item_deleted",
    "archive_pulse": "item_archived",
    "restore_pulse": "item_restored",
    "move_pulse_into_group": "item_moved_to_any_group",
    "create_update": "create_update",
    "create_subitem": "create_subitem",
    "update_subitem_column_value": "change_subitem_column_value",
}
#: Events about an item of the lead board itself: only these name a record the intake takes in.
#: Updates (comments), subitems and event types monday may add later carry no lead: ignored without
#: a fetch.
ITEM_EVENTS = frozenset(
    {
        "create_item",
        "change_column_value",
        "change_specific_column_value",
        "change_status_column_value",
        "change_name",
        "item_archived",
        "item_deleted",
        "item_restored",
        "item_moved_to_any_group",
        "item_moved_to_specific_group",
    }
)


# --- the challenge handshake --------------------------------------------------------------------


def challenge_response(body: bytes | str | Mapping[str, Any]) -> dict[str, str] | None:
    """``{"challenge": x}`` to answer (HTTP 200, JSON) to monday's URL verification; else None."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return None
    if isinstance(body, Mapping) and "event" not in body and isinstance(body.get("challenge"), str):
        return {"challenge": body["challenge"]}
    return None


# --- authentication -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JwtCheck:
    verdict: str  # a SignatureVerdict value
    detail: str = ""
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: The position in ``secrets`` of the secret that verified the token (-1: none did).
    matched: int = -1

    @property
    def valid(self) -> bool:
        return self.verdict == SignatureVerdict.VALID

    @property
    def account_id(self) -> str:
        value = self.claims.get("accountId")
        return "" if value is None else str(value)


def _audiences(audience: str | Sequence[str] | None) -> list[str] | None:
    if audience is None:
        return None
    values = [audience] if isinstance(audience, str) else list(audience)
    found = []
    for value in values:
        found += [value, value.split("?", 1)[0]]  # monday's aud is "your endpoint URL", query or not
    return list(dict.fromkeys(found))


def verify_jwt(
    authorization: str | None,
    secrets: Sequence[str],
    *,
    audience: str | Sequence[str] | None = None,
    leeway: float = LEEWAY,
) -> JwtCheck:
    """Check the ``Authorization`` header's JWT against each secret (HS256, ``exp`` required).

    ``audience``: the URL the request came to; when given, the token's ``aud`` must be it (with or
    without its query string). Verdicts: VALID, MISSING (no header: a personal-token webhook), STALE
    (expired), INVALID (bad signature, wrong audience, not a JWT, no secret configured).
    """
    token = (authorization or "").strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        return JwtCheck(
            SignatureVerdict.MISSING, "no Authorization header (a webhook created with a personal token?)"
        )
    if not secrets:
        return JwtCheck(SignatureVerdict.INVALID, "no monday signing secret is configured")
    audiences = _audiences(audience)
    options = {"require": ["exp"], "verify_aud": audiences is not None}
    expired = False
    last = "signature does not match"
    for index, secret in enumerate(secrets):
        try:
            claims = jwt.decode(
                token, secret, algorithms=ALGORITHMS, audience=audiences, leeway=leeway, options=options
            )
        except jwt.ExpiredSignatureError:
            expired = True
        except jwt.InvalidAudienceError:
            last = "aud is not this endpoint's URL"
        except jwt.MissingRequiredClaimError as error:
            last = f"the token has no {error.claim} claim"
        except jwt.InvalidTokenError as error:
            last = f"not a valid JWT ({type(error).__name__})"
        else:
            return JwtCheck(SignatureVerdict.VALID, "jwt", claims, matched=index)
    if expired:
        return JwtCheck(SignatureVerdict.STALE, "the JWT has expired")
    return JwtCheck(SignatureVerdict.INVALID, last)


def url_secret_matches(provided: str | None, expected: str) -> bool:
    """For personal-token webhooks (no JWT): the secret put in the webhook URL, compared in constant time."""
    return bool(expected) and hmac.compare_digest((provided or "").encode(), expected.encode())


# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MondayEvent:
    """One webhook event, normalized. ``event_type`` is the subscription name (``create_item``,
    ``change_column_value``...), ``raw_type`` the payload's (``create_pulse``...); ``value`` is the
    plain new value (status label, person ids, date...), ``raw_value`` monday's JSON."""

    dedupe_key: str
    event_type: str
    raw_type: str
    board_id: str
    item_id: str
    triggered_at: datetime | None
    column_id: str = ""
    column_type: str = ""
    value: str | None = None
    previous_value: str | None = None
    item_name: str = ""
    group_id: str = ""
    user_id: str = ""
    trigger_uuid: str = ""
    subscription_id: str = ""
    is_retry: bool = False
    parent_item_id: str = ""
    raw_value: Any = field(default=None, repr=False)
    column_values: Mapping[str, str | None] = field(default_factory=dict, repr=False)

    def to_inbound(self, account_id: str = "") -> InboundEvent:
        """The shared intake's event (``account_id`` from the verified JWT's ``accountId``)."""
        return InboundEvent(
            dedupe_key=self.dedupe_key,
            account_id=account_id,
            event_id=self.trigger_uuid,
            event_type=self.event_type,
            object_type=OBJECT_TYPE if self.is_item_event else "",
            object_id=self.item_id,
            occurred_at=self.triggered_at,
            property_name=self.column_id,
            property_value=(self.value or "")[:MAX_VALUE_LENGTH],
            deleted=self.event_type == "item_deleted",
        )

    @property
    def is_item_event(self) -> bool:
        """About an item of the lead board (not a subitem, not an update, not an unknown type)."""
        return self.event_type in ITEM_EVENTS and not self.parent_item_id


def _id(value: Any) -> str:
    """Ids come as ints in monday's samples and as strings in newer payloads (at most 100 characters:
    trigger ids are UUIDs; a longer one is cut, as it only serves to tell events apart)."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()[:100]


def plain_value(value: Any) -> str | None:
    """A webhook column value -> the plain value ``CrmRecord.properties`` would hold."""
    if value in (None, "", {}, []):
        return None
    if not isinstance(value, Mapping):
        return str(value)
    label = value.get("label")
    if isinstance(label, Mapping):  # status: {"label": {"index", "text", "style"}, "post_id"}
        return str(label.get("text") or "") or None
    if "personsAndTeams" in value:
        people = value.get("personsAndTeams") or []
        ids = [
            _id(p.get("id"))
            for p in (people if isinstance(people, list) else [])
            if isinstance(p, Mapping) and p.get("kind", "person") == "person"
        ]
        return ",".join(ids) or None
    if "date" in value:
        if not value.get("date"):
            return None
        return f"{value['date']}T{value['time']}Z" if value.get("time") else str(value["date"])
    if "chosenValues" in value:
        chosen = value.get("chosenValues") or []
        names = [str(v.get("name")) if isinstance(v, Mapping) else str(v) for v in chosen]
        return ", ".join(names if isinstance(chosen, list) else [str(chosen)]) or None
    for key in ("email", "phone", "url", "name", "countryName", "text", "value", "checked"):
        if key in value and value[key] not in (None, ""):
            return str(value[key])
    return json.dumps(value, sort_keys=True)


def _moment(event: Mapping[str, Any]) -> datetime | None:
    """``triggerTime`` (ISO 8601), else ``changedAt`` (epoch seconds), range-checked."""
    trigger_time = event.get("triggerTime")
    if isinstance(trigger_time, str) and trigger_time:
        try:
            moment = parse_datetime(trigger_time)
        except ValueError:
            raise MalformedWebhook("triggerTime is not a valid time") from None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return event_moment(moment.timestamp(), "triggerTime", per_second=1)
    if isinstance(event.get("changedAt"), int | float):
        return event_moment(event["changedAt"], "changedAt", per_second=1)
    return None


def parse_event(event: Mapping[str, Any]) -> MondayEvent:
    raw_type = str(event.get("type") or "")
    event_type = EVENT_TYPES.get(raw_type, raw_type)
    board_id = external_id(event.get("boardId"), "boardId")
    item_id = external_id(event.get("pulseId") or event.get("itemId"), "pulseId")
    if not raw_type or not board_id or not item_id:
        raise MalformedWebhook("a monday event needs type, boardId and pulseId")
    column_id = bounded_text(event.get("columnId") or "", "columnId", 200)
    original = _id(event.get("originalTriggerUuid")) or _id(event.get("triggerUuid"))
    value = plain_value(event.get("value"))
    column_values = event.get("columnValues") if isinstance(event.get("columnValues"), Mapping) else {}
    key_parts: tuple[Any, ...] = ("monday", board_id, item_id, event_type, column_id)
    if original:
        key_parts += (original,)
    else:  # no trigger id: the change itself identifies the event
        key_parts += (
            event.get("triggerTime") or event.get("changedAt"),
            json.dumps(event.get("value"), sort_keys=True),
        )
    return MondayEvent(
        dedupe_key=dedupe_key(*key_parts),
        event_type=event_type,
        raw_type=raw_type,
        board_id=board_id,
        item_id=item_id,
        triggered_at=_moment(event),
        column_id=column_id,
        column_type=str(event.get("columnType") or ""),
        value=value,
        previous_value=plain_value(event.get("previousValue")),
        item_name=str(event.get("pulseName") or ""),
        group_id=str(event.get("groupId") or ""),
        user_id=_id(event.get("userId")),
        trigger_uuid=_id(event.get("triggerUuid")),
        subscription_id=_id(event.get("subscriptionId")),
        is_retry=bool(event.get("isRetry")),
        parent_item_id=_id(event.get("parentItemId")),
        raw_value=event.get("value"),
        column_values={str(k): plain_value(v) for k, v in column_values.items()},
    )


def parse_payload(body: bytes | str | Mapping[str, Any]) -> list[MondayEvent]:
    """The events of a verified body (one per delivery); ``[]`` for a challenge; else ``MalformedWebhook``."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise MalformedWebhook(f"the body is not JSON: {type(error).__name__}") from None
    if not isinstance(body, Mapping):
        raise MalformedWebhook("monday sends a JSON object")
    if challenge_response(body) is not None:
        return []
    event = body.get("event")
    if not isinstance(event, Mapping):
        raise MalformedWebhook('monday sends {"event": {...}}')
    return [parse_event(event)]
