"""Outbound Messages on the wire: the SOAP ``notifications`` envelope Salesforce posts (the outbound
messaging WSDL: ``OrganizationId``, ``ActionId``, ``SessionId``, ``EnterpriseUrl``, ``PartnerUrl``, 1..100
``Notification``s with ``Id`` and ``sObject``) and reading the receiver's ``Ack``."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from defusedxml import ElementTree

OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
#: The fields each message's sObjects carry (the "fields to send" of its outbound message action).
FIELDS = {
    "Lead": (
        "Id",
        "OwnerId",
        "FirstName",
        "LastName",
        "Company",
        "Email",
        "Status",
        "IsConverted",
        "SystemModstamp",
    ),
    "Opportunity": ("Id", "Name", "StageName", "AccountId", "LexiContract_Status__c", "SystemModstamp"),
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _sobject(object_name: str, record: dict[str, Any]) -> str:
    parts = [f'<sObject xsi:type="sf:{object_name}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">']
    for name in FIELDS[object_name]:
        value = record.get(name)
        if value is not None:
            parts.append(f"<sf:{name}>{_value(value)}</sf:{name}>")
    parts.append("</sObject>")
    return "".join(parts)


def envelope(
    org_id: str, action_id: str, base_url: str, notifications: list[tuple[str, str, dict[str, Any]]]
) -> bytes:
    """``notifications``: ``(notification id, object name, record)`` each."""
    body = "".join(
        f"<Notification><Id>{nid}</Id>{_sobject(name, record)}</Notification>"
        for nid, name, record in notifications
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<soapenv:Body><notifications xmlns="{OUTBOUND_NS}">'
        f"<OrganizationId>{org_id}</OrganizationId><ActionId>{action_id}</ActionId>"
        '<SessionId xsi:nil="true"/>'
        f"<EnterpriseUrl>{base_url}/services/Soap/c/66.0/{org_id[:15]}</EnterpriseUrl>"
        f"<PartnerUrl>{base_url}/services/Soap/u/66.0/{org_id[:15]}</PartnerUrl>"
        f"{body}</notifications></soapenv:Body></soapenv:Envelope>"
    )
    return text.encode("utf-8")


def acked(body: bytes) -> bool:
    """Whether a receiver's answer is a SOAP envelope whose ``notificationsResponse`` says ``Ack`` true."""
    try:
        root = ElementTree.fromstring(body)
    except Exception:  # not XML, or XML defusedxml refuses (entities, DTDs)
        return False
    ack = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notificationsResponse/{{{OUTBOUND_NS}}}Ack")
    return ack is not None and (ack.text or "").strip().lower() == "true"


def ack_response() -> bytes:
    """The answer a receiver gives (for tests and fakes)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_NS}"><soapenv:Body>'
        f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()
