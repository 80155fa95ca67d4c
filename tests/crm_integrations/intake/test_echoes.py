"""Our own writes coming back as webhooks are recognised (same record, property and value, close to
our write, within the window) and nothing else is."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_integrations.intake import echoes
from crm_integrations.intake.echoes import Change
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
            Change("leads", "1", "hubspot_owner_id", "70000001"),  # ours
            Change("leads", "2", "hubspot_owner_id", "70000002"),  # ours (values compare as text)
            Change("leads", "1", "hubspot_owner_id", "70000009"),  # someone reassigned it in HubSpot
            Change("leads", "3", "hubspot_owner_id", "70000001"),  # another record
            Change("contacts", "1", "hubspot_owner_id", "70000001"),  # another object
            Change("leads", "1", "", ""),  # a creation: not a property change
        ],
    )

    assert found == {
        Change("leads", "1", "hubspot_owner_id", "70000001"),
        Change("leads", "2", "hubspot_owner_id", "70000002"),
    }


@pytest.mark.django_db
def test_the_same_value_set_again_well_after_our_write_is_theirs(hubspot_connection):
    echoes.remember(hubspot_connection.pk, "deals", [("9", "lexicontract_status", "approved")])
    written_at = OwnWrite.objects.get().written_at

    def change(after: timedelta) -> Change:
        return Change("deals", "9", "lexicontract_status", "approved", written_at + after)

    landed, skewed = change(timedelta(seconds=1)), change(-echoes.CLOCK_SKEW + timedelta(seconds=1))
    later = change(echoes.ECHO_LAG + timedelta(seconds=1))  # a user put it back to "approved"
    before = change(-echoes.CLOCK_SKEW - timedelta(seconds=1))  # a user's, before we wrote

    assert echoes.echoes(hubspot_connection.pk, [landed, skewed, later, before]) == {landed, skewed}


@pytest.mark.django_db
def test_old_writes_no_longer_count_and_are_forgotten(hubspot_connection):
    echoes.remember(hubspot_connection.pk, "leads", [("1", "hubspot_owner_id", "7")])
    OwnWrite.objects.update(written_at=timezone.now() - echoes.ECHO_WINDOW - timedelta(seconds=1))
    echoes.remember(hubspot_connection.pk, "leads", [("2", "hubspot_owner_id", "7")])

    assert echoes.echoes(hubspot_connection.pk, [Change("leads", "1", "hubspot_owner_id", "7")]) == set()
    assert echoes.forget_old() == 1
    assert list(OwnWrite.objects.values_list("object_id", flat=True)) == ["2"]
