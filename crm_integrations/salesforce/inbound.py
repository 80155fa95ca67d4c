"""An Outbound Message in: checked in memory, stored, answered with Salesforce's ``Ack``.

Built on the intake's deliveries (crm_integrations/intake/deliveries.py), so these requests show in the
webhook debugger like every other CRM's and are processed the same way (``parse_webhook_events`` turns
the stored body into events; the records are then read through the API). What is refused is recorded
briefly (its first bytes and the SHA-256 of all of it), never half-stored: an oversize body (413),
malformed XML or an XML bomb (400), a message from an org no organization connected (403). Only a
message from a connected org is stored whole and answered ``Ack``; Salesforce retries the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_integrations import selectors
from crm_integrations.core.webhooks import MalformedWebhook, SignatureCheck
from crm_integrations.intake.deliveries import EVENTS, InboundRequest, accept, refuse, store_request
from crm_integrations.models import SignatureVerdict

from . import outbound
from .config import KEY


@dataclass(frozen=True)
class OutboundAnswer:
    status: int
    xml: str
    delivery_id: int | None


def check_sender(body: bytes) -> SignatureCheck:
    """Outbound Messages carry no signature: the ``OrganizationId`` must be a connected org's."""
    try:
        message = outbound.parse(body)
    except MalformedWebhook as error:
        return SignatureCheck(SignatureVerdict.INVALID, f"not an Outbound Message: {error}")
    return sender_check(message)


def sender_check(message: outbound.OutboundMessage) -> SignatureCheck:
    connection = selectors.connection_for_account(KEY, message.organization_id)
    if connection is None:
        return SignatureCheck(
            SignatureVerdict.INVALID, f"OrganizationId {message.organization_id} is not a connected org"
        )
    return SignatureCheck(
        SignatureVerdict.VALID,
        f"OrganizationId {message.organization_id} is connected",
        account_id=message.organization_id,
        environment=connection.environment,
    )


def _refused(request: InboundRequest, status: int, message: str, **verdict: object) -> OutboundAnswer:
    answer = refuse(request, EVENTS, status, message, **verdict)
    return OutboundAnswer(answer.status, outbound.fault(message), answer.delivery_id)


def receive(request: InboundRequest) -> OutboundAnswer:
    if request.oversized:
        return _refused(request, 413, "The body is larger than SALESFORCE_OUTBOUND_MAX_BYTES.")
    try:
        message = outbound.parse(request.body)
    except MalformedWebhook as error:
        return _refused(request, 400, f"Malformed Outbound Message: {error}.")
    check = sender_check(message)
    if not check.valid:
        return _refused(request, 403, f"Refused: {check.detail}.", signature=check.verdict)
    delivery = store_request(
        request,
        kind=EVENTS,
        whole=True,
        signature=check.verdict,
        account_id=check.account_id,
        environment=check.environment,
    )
    answer = accept(delivery, f"{len(message.notifications)} notification(s) queued.")
    return OutboundAnswer(answer.status, outbound.ACK, answer.delivery_id)
