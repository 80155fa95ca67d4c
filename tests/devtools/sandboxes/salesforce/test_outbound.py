"""Outbound Messages (devtools/sandboxes/salesforce/outbound.py, outbound_xml.py): SOAP ``notifications``
sent when a lead is created or changed or an opportunity reaches the stage, at most 100 a message, and
retried with backoff on the sandbox's clock until the receiver answers ``Ack`` true."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devtools.sandboxes.salesforce.outbound_xml import OUTBOUND_NS, SOAP_NS, ack_response

from .conftest import api

SF = "urn:sobject.enterprise.soap.sforce.com"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NACK = ack_response().replace(b"<Ack>true</Ack>", b"<Ack>false</Ack>")


class Receiver:
    """The product's endpoint stand-in: answers from ``script`` (then acks), keeps every body it gets."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.script: list[tuple[int, bytes]] = []

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        self.bodies.append(request.get_data())
        self.headers.append(dict(request.headers))
        status, body = self.script.pop(0) if self.script else (200, ack_response())
        return Response(body, status=status, content_type="text/xml")(environ, start_response)

    def notifications(self, index: int = -1) -> tuple[Element, list[Element]]:
        root = ElementTree.fromstring(self.bodies[index])
        message = root.find(f"{{{SOAP_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
        assert message is not None
        return message, message.findall(f"{{{OUTBOUND_NS}}}Notification")


@pytest.fixture
def receiver(sandbox) -> Iterator[Receiver]:
    app = Receiver()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    sandbox.control.configure_outbound(
        url=f"http://127.0.0.1:{server.server_port}/api/v1/integrations/salesforce/outbound"
    )
    yield app
    sandbox.control.configure_outbound(url=None)
    server.shutdown()
    thread.join(timeout=5)


def _sobject_ids(notifications: list[Element]) -> list[str]:
    return [n.find(f"{{{OUTBOUND_NS}}}sObject/{{{SF}}}Id").text for n in notifications]  # type: ignore[union-attr]


def test_a_created_lead_is_sent_as_a_soap_notification(sandbox, receiver):
    lead = sandbox.control.create_record("Lead", {"LastName": "Ode", "Company": "Ode Ltd"})
    assert sandbox.control.wait_for_outbound()
    message, notifications = receiver.notifications()
    assert message.findtext(f"{{{OUTBOUND_NS}}}OrganizationId") == sandbox.org_id
    assert message.findtext(f"{{{OUTBOUND_NS}}}ActionId").startswith("04k")
    assert message.find(f"{{{OUTBOUND_NS}}}SessionId").get(f"{{{XSI}}}nil") == "true"
    [notification] = notifications
    sobject = notification.find(f"{{{OUTBOUND_NS}}}sObject")
    assert sobject.get(f"{{{XSI}}}type") == "sf:Lead"
    assert sobject.findtext(f"{{{SF}}}Id") == lead["Id"]
    assert sobject.findtext(f"{{{SF}}}OwnerId") == lead["OwnerId"]  # the assignment rule's queue
    assert notification.findtext(f"{{{OUTBOUND_NS}}}Id").startswith("04l")
    assert (
        receiver.headers[-1]["Content-Type"] == "text/xml; charset=utf-8"
        and receiver.headers[-1]["Soapaction"] == '""'
    )
    [delivery] = sandbox.control.outbound_deliveries()
    assert (delivery["acked"], delivery["attempt"], delivery["ids"]) == (True, 1, [lead["Id"]])


def test_unacknowledged_messages_are_retried_with_backoff_until_acked(sandbox, receiver):
    receiver.script = [(500, b"oops"), (200, b"<not-soap/>"), (200, NACK)]
    sandbox.control.create_record("Lead", {"LastName": "Retry", "Company": "R"})
    assert sandbox.control.wait_for_outbound()
    assert len(receiver.bodies) == 1
    sandbox.control.advance_clock(14)
    assert sandbox.control.wait_for_outbound() and len(receiver.bodies) == 1  # not due yet
    for step in (1, 30, 60):  # 15 s after the first try, then doubling
        sandbox.control.advance_clock(step)
        assert sandbox.control.wait_for_outbound()
    deliveries = sandbox.control.outbound_deliveries()
    assert [(d["status"], d["acked"]) for d in deliveries] == [
        (500, False),
        (200, False),
        (200, False),
        (200, True),
    ]
    gaps = [round(b["at"] - a["at"]) for a, b in itertools.pairwise(deliveries)]
    assert gaps == [15, 30, 60]
    assert [m["state"] for m in sandbox.control.outbound()["messages"]] == ["acked"]
    sandbox.control.advance_clock(3600)
    assert sandbox.control.wait_for_outbound() and len(receiver.bodies) == 4  # nothing after the Ack


def test_a_message_is_dropped_after_the_retry_window(sandbox, receiver):
    receiver.script = [(503, b"")] * 10
    sandbox.control.configure_outbound(retryWindow=100)
    sandbox.control.create_record("Lead", {"LastName": "Never", "Company": "N"})
    for step in (0, 15, 30, 60, 120):
        sandbox.control.advance_clock(step)
        assert sandbox.control.wait_for_outbound()
    assert len(receiver.bodies) == 3  # at 0, 15 and 45 s; the next (105 s) would be past the window
    assert [m["state"] for m in sandbox.control.outbound()["messages"]] == ["dropped"]


def test_at_most_100_notifications_a_message_and_the_latest_state_only(sandbox, receiver):
    ids = sandbox.control.seed_leads(250, notify=True)
    assert sandbox.control.wait_for_outbound()
    sizes = [len(receiver.notifications(index)[1]) for index in range(len(receiver.bodies))]
    # Packed (the sender may take the first ones while the rest are still being queued: how they
    # split between messages depends on the moment it looks, as at Salesforce), 100 at most a message.
    assert max(sizes) <= 100 and 3 <= len(sizes) <= 10
    sent = [
        i for index in range(len(receiver.bodies)) for i in _sobject_ids(receiver.notifications(index)[1])
    ]
    assert sorted(sent) == sorted(ids)


def test_opportunities_reaching_the_stage_and_lead_event_settings(sandbox, receiver, token):
    opportunity = next(
        o["Id"] for o in sandbox.control.seeded()["Opportunity"] if o["Name"].startswith("Initech")
    )
    api(sandbox, "PATCH", f"sobjects/Opportunity/{opportunity}", token, json={"Amount": 1.0})
    assert sandbox.control.wait_for_outbound() and receiver.bodies == []  # not at the stage
    api(sandbox, "PATCH", f"sobjects/Opportunity/{opportunity}", token, json={"StageName": "Closed Won"})
    assert sandbox.control.wait_for_outbound()
    _, notifications = receiver.notifications()
    assert _sobject_ids(notifications) == [opportunity]
    assert notifications[0].find(f"{{{OUTBOUND_NS}}}sObject").get(f"{{{XSI}}}type") == "sf:Opportunity"
    api(
        sandbox,
        "PATCH",
        f"sobjects/Opportunity/{opportunity}",
        token,
        json={"LexiContract_Status__c": "Signed"},
    )
    sandbox.control.configure_outbound(leadEvents="create")
    lead = sandbox.control.seeded()["Lead"][0]
    sandbox.control.update_record("Lead", lead, {"Rating": "Hot"})
    assert sandbox.control.wait_for_outbound() and len(receiver.bodies) == 1  # neither sent a message
