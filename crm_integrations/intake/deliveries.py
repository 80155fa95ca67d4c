"""A request becomes a delivery: the request as the view read it, stored (whole when correctly
signed, briefly when refused), and the answer the CRM gets.

A leaf of the intake package: ``webhooks`` (app webhook batches) and ``workflows`` (a CRM workflow
asking for one record) both build on it, and it imports neither.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.db import transaction

from crm_integrations.core.redaction import redact_mapping, redact_url
from crm_integrations.models import DeliveryStatus, WebhookDelivery

from . import refusals

logger = logging.getLogger(__name__)

#: ``WebhookDelivery.kind``: a batch of app webhook events, or a CRM workflow action's request
#: asking for one record (``crm_integrations/intake/workflows.py``).
EVENTS, WORKFLOW = "events", "workflow"


#: What ``receive`` decides about a stored request (the body and headers are written once, first).
VERDICT_FIELDS = [
    "signature", "account_id", "environment", "organization", "status", "status_detail", "response_status",
]  # fmt: skip


#: How much of a refused request's body is kept: enough for the debugger to show why it was refused.
REFUSED_BODY_KEPT = 4096


@dataclass(frozen=True)
class InboundRequest:
    """A webhook request as the view read it: at most the size cap of its body, already in memory."""

    provider: str
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    oversized: bool = False
    #: The client's address, for the refused-request budget (crm_integrations/intake/refusals.py).
    client: str = ""
    #: The size the client declared (Content-Length), else the bytes read.
    size: int | None = None


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    message: str
    delivery_id: int | None
    #: When set, the exact JSON to answer (a URL-verification challenge echoed back).
    payload: dict[str, str] | None = None
    #: Seconds, for a 429 past the refused-request budget (nothing was stored).
    retry_after: int | None = None


def store_request(request: InboundRequest, *, kind: str, whole: bool, **verdict: object) -> WebhookDelivery:
    """The request as received, credentials in headers and the URL masked: the whole body when it is
    correctly signed, else only its first bytes with the SHA-256 of all of it (a refusal is cheap)."""
    body = request.body if whole else request.body[:REFUSED_BODY_KEPT]
    return WebhookDelivery.objects.create(
        provider=request.provider,
        kind=kind,
        method=request.method,
        url=redact_url(request.url),
        headers=redact_mapping(request.headers),
        body=body.decode("utf-8", errors="replace"),
        body_size=request.size if request.size is not None else len(request.body),
        body_sha256=hashlib.sha256(request.body).hexdigest(),
        body_truncated=len(body) < len(request.body) or request.oversized,
        **verdict,
    )


def refuse(
    request: InboundRequest,
    kind: str,
    answer: int,
    message: str,
    *,
    payload: dict[str, str] | None = None,
    **verdict: object,
) -> WebhookAnswer:
    """A request we do not take, answered ``answer``: recorded briefly (past the client's budget of
    refusals, not at all: 429)."""
    admission = refusals.admit_refusal(request.client)
    if not admission.admitted:
        return WebhookAnswer(
            429, "Too many refused requests from this address.", None, retry_after=admission.retry_after
        )
    fields = {"status": DeliveryStatus.REJECTED, **verdict}
    delivery = store_request(
        request, kind=kind, whole=False, status_detail=message, response_status=answer, **fields
    )
    if answer >= 400:
        logger.warning("Rejected %s webhook %s: %s", request.provider, delivery.pk, message)
    return WebhookAnswer(answer, message, delivery.pk, payload=payload)


def accept(delivery: WebhookDelivery, detail: str, *, account: str = "", queue: bool = True) -> WebhookAnswer:
    """Answer 200 and queue the delivery for processing (once the transaction commits); ``account``:
    the CRM account its events name, whose queue it goes to (config/task_routing.py). ``queue``
    False: nothing is left to process (the caller settles it)."""
    delivery.status, delivery.status_detail, delivery.response_status = DeliveryStatus.QUEUED, detail, 200
    delivery.save(update_fields=VERDICT_FIELDS)
    if queue:
        _enqueue(delivery.pk, f"{delivery.provider}:{account}" if account else "")
    return WebhookAnswer(200, "accepted", delivery.pk)


def reject(delivery: WebhookDelivery, status: int, message: str) -> WebhookAnswer:
    """A stored (correctly signed) delivery we refuse to process: malformed, or not its tenant's."""
    delivery.status = DeliveryStatus.REJECTED
    delivery.status_detail = message
    delivery.response_status = status
    delivery.save(update_fields=VERDICT_FIELDS)
    logger.warning("Rejected %s webhook %s: %s", delivery.provider, delivery.pk, message)
    return WebhookAnswer(status, message, delivery.pk)


#: A queued delivery's message header naming its account ("provider:account id"), for the task
#: router (config/task_routing.py): an app webhook's account is in its events, not yet stored.
ACCOUNT_HEADER = "crm_account"


def _enqueue(delivery_id: int, account: str = "") -> None:
    from .tasks import process_webhook_delivery  # imported where it is queued (README, house rules)

    if account:
        headers = {ACCOUNT_HEADER: account}
        transaction.on_commit(lambda: process_webhook_delivery.apply_async((delivery_id,), headers=headers))
    else:  # the router finds the account of a stored one (a workflow's is its signature's)
        transaction.on_commit(lambda: process_webhook_delivery.delay(delivery_id))
