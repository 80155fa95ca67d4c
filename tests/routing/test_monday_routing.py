"""monday.com through the same routing: an item taken in is routed and its person column written."""

import pytest

from crm_integrations.core import registry
from devtools.demo.rules import starter_rules
from field_mapping import receivers
from routing.models import Decision, OwnerWrite, RepIdentity
from routing.reps_sync import sync_reps
from tests.field_mapping.test_monday_receivers import create_monday_lead


@pytest.mark.django_db(transaction=True)
def test_a_monday_item_is_routed_and_its_person_column_written(monday_connection, monday_sandbox, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    starter_rules(monday_connection.organization)
    assert sync_reps(monday_connection).created > 0
    item_id = create_monday_lead(monday_sandbox, "grace@compilers.example")

    receivers.take_in(monday_connection, "items", [item_id], "webhook")

    decision = Decision.objects.get(lead__external_id=item_id, is_current=True)
    write = OwnerWrite.objects.get(decision=decision)
    assert write.status == "written" and write.owner_property == "people_owner"
    identity = RepIdentity.objects.get(rep=decision.rep, connection=monday_connection)
    assert write.owner_external_id == identity.external_id
    assert (
        monday_sandbox.control.item(item_id)["values"]["people_owner"] == identity.name
    )  # as monday shows it
    read_back = registry.get_client(monday_connection).get_record(
        "items", item_id, properties=["people_owner"]
    )
    assert read_back.properties["people_owner"] == identity.external_id
