from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings

from crm_integrations.core.crypto import envelope
from crm_integrations.core.crypto.rotation import encrypted_columns, rotate_column, stale_rows
from crm_integrations.models import Integration, Organization, OrganizationIntegration

OLD_KEY = "old:" + "A" * 43
NEW_KEY = "new:" + "B" * 43
ROWS = 10_000


@pytest.fixture
def ten_thousand_connections_on_the_old_key(db):
    hubspot = Integration.objects.get(provider="hubspot")
    with override_settings(ENCRYPTION_KEYS=[OLD_KEY]):
        orgs = Organization.objects.bulk_create(
            Organization(name=f"Org {i}", slug=f"org-{i}") for i in range(ROWS)
        )
        OrganizationIntegration.objects.bulk_create(
            (
                OrganizationIntegration(
                    organization=org,
                    integration=hubspot,
                    access_token=f"access-{i}",
                    refresh_token=f"refresh-{i}",
                )
                for i, org in enumerate(orgs)
            ),
            batch_size=1000,
        )


class Interrupted(Exception):
    pass


def _stop_after(calls: int):
    real = envelope.reencrypt
    seen = {"n": 0}

    def reencrypt(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] > calls:
            raise Interrupted
        return real(*args, **kwargs)

    return reencrypt


def _values_by_key_id() -> dict[str, int]:
    counts: dict[str, int] = {}
    for token, refresh in OrganizationIntegration.objects.values_list("access_token", "refresh_token"):
        for value in (token, refresh):
            key_id = envelope.key_id_of(value)
            counts[key_id] = counts.get(key_id, 0) + 1
    return counts


@override_settings(ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY])
def test_rotation_interrupted_and_resumed_leaves_every_value_readable_with_the_new_key(
    ten_thousand_connections_on_the_old_key,
):
    assert _values_by_key_id() == {"old": 2 * ROWS}

    with (
        mock.patch.object(envelope, "reencrypt", _stop_after(7_250)),
        pytest.raises(Interrupted),
    ):
        call_command("rotate_encryption_keys", "--batch-size", "500", verbosity=0)

    # Stopped part-way: finished batches are on the new key, the rest untouched, all readable.
    halfway = _values_by_key_id()
    assert halfway == {"new": 7_000, "old": 2 * ROWS - 7_000}
    assert sum(stale_rows(c).count() for c in encrypted_columns()) == 2 * ROWS - 7_000

    call_command("rotate_encryption_keys", "--batch-size", "500", verbosity=0)

    assert _values_by_key_id() == {"new": 2 * ROWS}
    with override_settings(ENCRYPTION_KEYS=[NEW_KEY]):  # the old key can now be retired
        for i, row in enumerate(
            OrganizationIntegration.objects.order_by("organization__slug").select_related("organization")
        ):
            n = row.organization.slug.removeprefix("org-")
            assert (row.access_token, row.refresh_token) == (f"access-{n}", f"refresh-{n}"), i


@override_settings(ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY])
def test_a_value_the_application_changes_during_rotation_is_left_as_the_application_wrote_it(db):
    """The compare-and-swap of ``rotation._swap``: a token refreshed between the batch's read and its
    write keeps the refreshed value and is not counted; the other rows of the batch are rewritten."""
    hubspot = Integration.objects.get(provider="hubspot")
    with override_settings(ENCRYPTION_KEYS=[OLD_KEY]):
        connections = [
            OrganizationIntegration.objects.create(
                organization=Organization.objects.create(name=f"Org {i}", slug=f"org-{i}"),
                integration=hubspot,
                access_token=f"access-{i}",
                refresh_token=f"refresh-{i}",
            )
            for i in range(3)
        ]
    refreshed = connections[1]
    real = envelope.reencrypt
    calls = {"n": 0}

    def reencrypt_while_a_refresh_lands(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:  # the batch is read; the app now saves a new token under the newest key
            refreshed.access_token = "access-refreshed"
            refreshed.save(update_fields=["access_token"])
        return real(*args, **kwargs)

    with mock.patch.object(envelope, "reencrypt", reencrypt_while_a_refresh_lands):
        access = next(
            c
            for c in encrypted_columns()
            if (c.model, c.field.name) == (OrganizationIntegration, "access_token")
        )
        assert rotate_column(access, batch_size=10) == 2

    assert calls["n"] == 3
    rows = {row.pk: row for row in OrganizationIntegration.objects.all()}
    assert rows[refreshed.pk].access_token == "access-refreshed"
    assert [rows[c.pk].access_token for c in (connections[0], connections[2])] == ["access-0", "access-2"]
    assert {
        envelope.key_id_of(OrganizationIntegration.access_token.field.stored_value(r)) for r in rows.values()
    } == {"new"}
