"""Our own writes coming back as webhooks are recognised (same record, property and value, within
the window) and nothing else is."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations import echoes
from crm_integrations.models import OwnWrite


@pytest.mark.django_db
def test_only_the_value_we_wrote_on_that_record_is_an_echo(hubspot_connection):
    echoes.remember(
        hubspot_connection.pk,
        "leads",
        [("1", "hubspot_owner_id", "70000001"), ("2", "hubspot_owner_id", 70000002)],
    )

    found = echoes.echoes(
        hubspot_connection.pk,
        [
            ("leads", "1", "hubspot_owner_id", "70000001"),  # ours
            ("leads", "2", "hubspot_owner_id", "70000002"),  # ours (values compare as text)
            ("leads", "1", "hubspot_owner_id", "70000009"),  # someone reassigned it in HubSpot
            ("leads", "3", "hubspot_owner_id", "70000001"),  # another record
            ("contacts", "1", "hubspot_owner_id", "70000001"),  # another object
            ("leads", "1", "", ""),  # a creation: not a property change
        ],
    )

    assert found == {
        ("leads", "1", "hubspot_owner_id", "70000001"),
        ("leads", "2", "hubspot_owner_id", "70000002"),
    }


@pytest.mark.django_db
def test_old_writes_no_longer_count_and_are_forgotten(hubspot_connection):
    echoes.remember(hubspot_connection.pk, "leads", [("1", "hubspot_owner_id", "7")])
    OwnWrite.objects.update(written_at=timezone.now() - echoes.ECHO_WINDOW - timedelta(seconds=1))
    echoes.remember(hubspot_connection.pk, "leads", [("2", "hubspot_owner_id", "7")])

    assert echoes.echoes(hubspot_connection.pk, [("leads", "1", "hubspot_owner_id", "7")]) == set()
    assert echoes.forget_old() == 1
    assert list(OwnWrite.objects.values_list("object_id", flat=True)) == ["2"]
