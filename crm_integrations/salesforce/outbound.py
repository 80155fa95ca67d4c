"""Outbound Messages: Salesforce's SOAP notifications, parsed safely and read as a nudge.

A Salesforce admin points a flow or workflow rule at ``POST /api/v1/integrations/salesforce/outbound``
(crm_integrations/salesforce/SETUP.md). A message carries ``OrganizationId``, ``ActionId`` and up to 100
``Notification`` elements, each with its own id and an ``sObject`` whose ``Id`` we take; its field
values are never trusted (the records are read through the API). It carries no signature: the
``OrganizationId`` must be a connected org (``inbound``). The XML is parsed with defusedxml (no DTD,
no entities, no external references) after the size cap, so an XML bomb is refused, not expanded.
Salesforce retries a message until it gets the ``Ack`` below (for 24 hours), each retry with the same
notification ids: the events' dedupe keys come from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from crm_integrations.core.webhooks import InboundEvent, MalformedWebhook, bounded_text, dedupe_key

from . import soql
from .deals import DEALS
from .normalize import LEADS, SOBJECTS

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND = "http://soap.sforce.com/2005/09/outbound"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_NOTIFICATIONS = 100
#: The contract's object type of each sObject a notification may name and we take in (others are
#: recorded and ignored): leads, and opportunities as deals (contracts, crm_integrations/salesforce/deals.py).
OBJECT_TYPES = {SOBJECTS[LEADS]: LEADS, SOBJECTS[DEALS]: DEALS}

ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP}">'
    "<soapenv:Body>"
    f'<notificationsResponse xmlns="{OUTBOUND}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body>"
    "</soapenv:Envelope>"
)


def fault(message: str) -> str:
    """A SOAP fault: Salesforce keeps the message queued and retries it."""
    text = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>soapenv:Client</faultcode><faultstring>{text}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


@dataclass(frozen=True)
class Notification:
    notification_id: str
    sobject: str
    record_id: str


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str
    notifications: tuple[Notification, ...]


def _text(parent: Element, tag: str) -> str:
    child = parent.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _sf_id(value: str, name: str) -> str:
    if not soql.is_id(value):
        raise MalformedWebhook(f"{name} is not a Salesforce id")
    return value


def org_key(organization_id: str) -> str:
    """Org ids compared on their first 15 characters (the 18-character form adds a checksum)."""
    return organization_id[:15]


def parse(body: bytes) -> OutboundMessage:
    """The message in ``body``; ``MalformedWebhook`` for anything else (bad XML, a DTD, entities)."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise MalformedWebhook(f"not a safe XML document ({type(error).__name__})") from None
    notifications = root.find(f"{{{SOAP}}}Body/{{{OUTBOUND}}}notifications")
    if root.tag != f"{{{SOAP}}}Envelope" or notifications is None:
        raise MalformedWebhook("not an Outbound Message (no soapenv:Body/notifications)")
    items = notifications.findall(f"{{{OUTBOUND}}}Notification")
    if len(items) > MAX_NOTIFICATIONS:
        raise MalformedWebhook(f"more than {MAX_NOTIFICATIONS} notifications")
    parsed = []
    for item in items:
        sobject = item.find(f"{{{OUTBOUND}}}sObject")
        if sobject is None:
            raise MalformedWebhook("a notification without an sObject")
        kind = bounded_text(sobject.get(f"{{{XSI}}}type", ""), "sObject type", 80).rpartition(":")[2]
        record_id = next((child.text or "" for child in sobject if child.tag.rpartition("}")[2] == "Id"), "")
        parsed.append(
            Notification(
                notification_id=_sf_id(_text(item, f"{{{OUTBOUND}}}Id"), "Notification Id"),
                sobject=kind,
                record_id=_sf_id(record_id.strip(), "sObject Id"),
            )
        )
    return OutboundMessage(
        organization_id=_sf_id(_text(notifications, f"{{{OUTBOUND}}}OrganizationId"), "OrganizationId"),
        action_id=bounded_text(_text(notifications, f"{{{OUTBOUND}}}ActionId"), "ActionId", 18),
        notifications=tuple(parsed),
    )


def events(message: OutboundMessage, account_id: str = "") -> list[InboundEvent]:
    """One event per notification: a nudge to read that record (``sobject.changed``)."""
    account = account_id or message.organization_id
    return [
        InboundEvent(
            dedupe_key=dedupe_key("salesforce", org_key(account), item.notification_id, item.record_id),
            account_id=account,
            event_id=item.notification_id,
            event_type=f"{item.sobject.lower()}.outbound_message",
            object_type=OBJECT_TYPES.get(item.sobject, ""),
            object_id=item.record_id,
            occurred_at=None,
        )
        for item in message.notifications
    ]
