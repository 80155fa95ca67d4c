"""Workflow webhooks: a CRM workflow action asks for one record (HubSpot: a deal reached a stage).

``POST /api/v1/integrations/<provider>/webhook``. The request is stored first (the webhook
debugger shows it), then authenticated (our per-connection secret header, else the provider's
signature), then the organization it names is checked against the connection that owns the CRM
account: never trusted on its own. Answers, chosen for HubSpot's retry rules (no retry on a 4xx
other than 429, retries for 3 days on 5xx and timeouts): 200 queued, 400 malformed, 401 not
authenticated, 403 another organization's account, 404 a CRM without workflows, 413 too
large. A queued request is processed
by the ``process_webhook_delivery`` task: recorded as one event (deduplicated: the same request
twice is one event) and handed to the app above through ``workflow_record_requested``.
"""

from __future__ import annotations

import hashlib

from crm_integrations import selectors
from crm_integrations.core import registry
from crm_integrations.core.provider import CrmProvider
from crm_integrations.core.webhooks import (
    InboundEvent,
    MalformedWebhook,
    SignatureCheck,
    dedupe_key,
)
from crm_integrations.models import EventOutcome, OrganizationIntegration, SignatureVerdict, WebhookDelivery

from . import deliveries, workflow_secrets
from .deliveries import WORKFLOW, InboundRequest, WebhookAnswer
from .events import record_events
from .handover import hand_over_workflow


def receive_workflow(request: InboundRequest) -> WebhookAnswer:
    """Authenticate the request in memory, then store it (whole only when it is authenticated)."""
    if request.oversized:
        return deliveries.refuse(request, WORKFLOW, 413, "The body is larger than WEBHOOK_MAX_BODY_BYTES.")
    source = registry.get_provider(request.provider)
    if not source.workflow_webhooks:
        return deliveries.refuse(
            request, WORKFLOW, 404, f"{source.name} workflows do not call this endpoint."
        )
    check, connection = _authenticate(
        source, method=request.method, url=request.url, headers=request.headers, body=request.body
    )
    if connection is None:
        return deliveries.refuse(
            request, WORKFLOW, 401, f"Signature refused: {check.detail}.", signature=check.verdict
        )
    delivery = deliveries.store_request(
        request, kind=WORKFLOW, whole=True, signature=check.verdict, account_id=check.account_id,
        environment=check.environment,
    )  # fmt: skip
    try:
        asked = source.parse_workflow_webhook(url=request.url, body=request.body)
    except MalformedWebhook as error:
        return deliveries.reject(delivery, 400, f"Malformed request: {error}.")
    owner, status, refusal = _owner(source, asked.account_id, asked.organization_id, connection)
    if owner is None:
        return deliveries.reject(delivery, status, refusal)
    delivery.account_id, delivery.organization_id = owner.external_account_id, owner.organization_id
    return deliveries.accept(delivery, f"{asked.object_type} {asked.object_id} queued.")


def _authenticate(
    source: CrmProvider, *, method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[SignatureCheck, OrganizationIntegration | None]:
    """The connection whose workflow secret the request carries (header or query parameter).

    The secret is required: the app's signature is the same for every portal that installed the
    app, and a portal admin can type any app id into a workflow, so a signature alone cannot say
    which organization a request is for. A signature that is present must verify as well.
    """
    secret = workflow_secrets.given_secret(headers, url)
    if secret is None:
        detail = (
            f"no {workflow_secrets.SECRET_HEADER} (header or query parameter): a workflow request must "
            "carry the secret issued for its connection"
        )
        return SignatureCheck(SignatureVerdict.MISSING, detail), None
    check, connection = workflow_secrets.check_workflow_secret(source.key, secret)
    if connection is None:
        return check, None
    signed = source.verify_workflow_webhook(method=method, url=url, headers=headers, body=body)
    if signed.verdict != SignatureVerdict.MISSING and not signed.valid:
        return signed, None
    return check, connection


def _owner(
    source: CrmProvider, account_id: str, organization_id: str, connection: OrganizationIntegration
) -> tuple[OrganizationIntegration | None, int, str]:
    """The secret's connection when the request names it, or the answer (status, why) refusing it."""
    if account_id and account_id != connection.external_account_id:
        account = f"{source.name} account {account_id}"
        return None, 403, f"The request names {account}, which is not the secret's account."
    if str(connection.organization_id) != organization_id:
        owned = f"{source.name} account {connection.external_account_id}"
        return None, 403, f"Organization {organization_id} does not own {owned}."
    return connection, 200, ""


def process_workflow(delivery: WebhookDelivery, source: str) -> None:
    """The request as one event (the same body again is a duplicate), handed to the app above."""
    body = delivery.body.encode()
    request = registry.get_provider(delivery.provider).parse_workflow_webhook(url=delivery.url, body=body)
    connection = selectors.connection_for_account(
        delivery.provider, delivery.account_id, environment=delivery.environment
    )
    event = InboundEvent(
        dedupe_key=dedupe_key(
            delivery.provider,
            WORKFLOW,
            delivery.account_id,
            request.object_type,
            request.object_id,
            hashlib.sha256(body).hexdigest(),
        ),
        account_id=delivery.account_id,
        event_id="",
        event_type=f"{WORKFLOW}.{request.object_type}",
        object_type=request.object_type,
        object_id=request.object_id,
        occurred_at=None,
    )
    [row] = record_events(delivery, [event], {delivery.account_id: connection})
    if row.outcome != EventOutcome.PENDING or row.connection is None:
        return
    result = hand_over_workflow(
        row.connection, row.object_type, row.object_id, delivery_id=delivery.pk, source=source
    )
    row.outcome, row.outcome_detail, row.result_ref = result.outcome, result.detail, result.result_ref
    row.save(update_fields=["outcome", "outcome_detail", "result_ref"])
