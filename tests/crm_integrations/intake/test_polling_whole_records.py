"""Polling a feed that returns whole records (``CrmClient.feed_returns_records``): the properties the apps
above read are asked for, the records are handed over with their ids (no read by id), pages are the
client's ``poll_page_size``, and records whose only change is our own write are skipped; a client
whose feed returns ids only keeps the old hand-over."""

from collections.abc import Sequence
from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.core import registry
from crm_integrations.core.types import ChangedRecords, CrmRecord
from crm_integrations.intake import echoes, polling
from crm_integrations.models import OwnWrite, SyncCursor
from crm_integrations.signals import Outcome, feed_properties_requested, records_changed
from tests.crm_integrations.test_registry import EchoClient

US, SOMEONE = "user-us", "user-someone"


class WholeFeedClient(EchoClient):
    feed_returns_records = True
    poll_page_size = 2000

    def __init__(self, connection) -> None:
        super().__init__(connection)
        self.page: Sequence[CrmRecord] = ()
        self.asked: list[dict] = []

    def changed_since(self, object_type: str, cursor: str | None, **kwargs: object) -> ChangedRecords:
        self.asked.append(kwargs)
        return ChangedRecords(records=tuple(self.page), next_cursor="next", has_more=False)

    def changed_by_us(self, record: CrmRecord) -> bool:
        return record.properties.get("modified_by") == US


def lead(record_id: str, owner: str, by: str, at=None) -> CrmRecord:
    properties = {"owner": owner, "modified_by": by, "industry": "Banking"}
    return CrmRecord("leads", record_id, properties, updated_at=at or timezone.now())


@pytest.fixture
def handed(without_lead_intake):
    calls = []

    def receiver(sender, connection, object_type, external_ids, source, **kwargs):
        calls.append((list(external_ids), kwargs.get("records")))
        return {external_id: Outcome("ingested") for external_id in external_ids}

    def properties(sender, connection, object_type, **kwargs):
        return ("industry", "owner")

    from field_mapping.receivers import on_feed_properties_requested

    feed_properties_requested.disconnect(dispatch_uid="field_mapping.feed")
    records_changed.connect(receiver, dispatch_uid="test-whole-records")
    feed_properties_requested.connect(properties, dispatch_uid="test-whole-records")
    yield calls
    records_changed.disconnect(dispatch_uid="test-whole-records")
    feed_properties_requested.disconnect(dispatch_uid="test-whole-records")
    feed_properties_requested.connect(on_feed_properties_requested, dispatch_uid="field_mapping.feed")


@pytest.mark.django_db
def test_whole_records_are_handed_over_and_our_own_echoes_skipped(connection, handed, monkeypatch):
    client = WholeFeedClient(connection)
    monkeypatch.setattr(registry, "get_client", lambda conn: client)
    echoes.remember(
        connection.pk, "leads", [("1", "owner", "rep-a"), ("2", "owner", "rep-b"), ("3", "owner", "rep-c")]
    )
    client.page = [
        lead("1", "rep-a", US),  # our owner write read back: skipped
        lead("2", "rep-b", SOMEONE),  # someone edited it after our write: taken in
        lead("3", "rep-x", US),  # not the value we wrote (we changed it again, or someone did): taken in
        lead("4", "queue", US, at=timezone.now() - timedelta(hours=1)),  # never written by us: taken in
    ]

    result = polling.poll(connection, "leads")

    assert client.asked == [{"properties": ("industry", "owner"), "limit": 2000}]
    assert result.records == 3
    [(ids, records)] = handed
    assert ids == ["2", "3", "4"] and [record.id for record in records] == ["2", "3", "4"]
    assert "1 echo(es) of our own writes skipped" in SyncCursor.objects.get(connection=connection).last_result


@pytest.mark.django_db
def test_a_write_of_ours_long_before_the_change_is_no_echo(connection, handed, monkeypatch):
    client = WholeFeedClient(connection)
    monkeypatch.setattr(registry, "get_client", lambda conn: client)
    echoes.remember(connection.pk, "leads", [("1", "owner", "rep-a")])
    OwnWrite.objects.update(written_at=timezone.now() - echoes.ECHO_LAG - timedelta(minutes=1))
    client.page = [lead("1", "rep-a", US)]  # changed now by our user, well after our write: not our write

    assert polling.poll(connection, "leads").records == 1


@pytest.mark.django_db
def test_a_feed_of_ids_only_is_read_again_as_before(connection, handed, monkeypatch):
    client = EchoClient(connection)
    seen = []
    monkeypatch.setattr(
        client,
        "changed_since",
        lambda object_type, cursor, **kwargs: (
            seen.append(kwargs)
            or ChangedRecords(records=(CrmRecord("leads", "7", {}),), next_cursor="n", has_more=False)
        ),
    )
    monkeypatch.setattr(registry, "get_client", lambda conn: client)

    polling.poll(connection, "leads")

    assert seen == [{"properties": (), "limit": 100}]
    assert handed == [(["7"], None)]  # no records: the intake reads them by id
