import pytest
from django.db import connection
from django.test import override_settings

from crm_integrations.core.crypto import envelope
from crm_integrations.core.crypto.envelope import DecryptionError
from crm_integrations.models import Organization, OrganizationIntegration
from crm_integrations.services import upsert_organization_integration

OLD_KEY = "old:" + "A" * 43
NEW_KEY = "new:" + "B" * 43


def raw_column(connection_id, field: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {field} FROM crm_integrations_organizationintegration WHERE id = %s",  # noqa: S608
            [connection_id.hex if connection.vendor == "sqlite" else connection_id],
        )
        return cursor.fetchone()[0]


def write_raw(connection_id, field: str, value: str) -> None:
    OrganizationIntegration.objects.filter(pk=connection_id).update(**{field: value})


@pytest.fixture
def hubspot(organization):
    return upsert_organization_integration(
        organization,
        "hubspot",
        "production",
        access_token="access-PLAINTEXT-1",
        refresh_token="refresh-PLAIN-2",
    )


def test_plaintext_never_reaches_the_database(hubspot):
    stored = raw_column(hubspot.pk, "access_token")
    assert stored.startswith("enc1$test-2$")
    assert "PLAINTEXT" not in stored
    assert OrganizationIntegration.objects.get(pk=hubspot.pk).access_token == "access-PLAINTEXT-1"


def test_each_value_gets_a_fresh_nonce(hubspot):
    hubspot.access_token = "access-PLAINTEXT-1"
    hubspot.save()
    first = raw_column(hubspot.pk, "access_token")
    hubspot.access_token = "access-PLAINTEXT-1"
    hubspot.save()
    assert raw_column(hubspot.pk, "access_token") != first


def test_a_value_copied_into_another_row_fails(hubspot, db):
    other_org = Organization.objects.create(name="Other", slug="other")
    other = upsert_organization_integration(other_org, "hubspot", "production", access_token="theirs")
    write_raw(other.pk, "access_token", raw_column(hubspot.pk, "access_token"))
    with pytest.raises(DecryptionError, match=f"row {other.pk}"):
        OrganizationIntegration.objects.get(pk=other.pk).access_token  # noqa: B018


def test_a_value_copied_into_another_field_fails(hubspot):
    write_raw(hubspot.pk, "refresh_token", raw_column(hubspot.pk, "access_token"))
    with pytest.raises(DecryptionError, match="refresh_token"):
        OrganizationIntegration.objects.get(pk=hubspot.pk).refresh_token  # noqa: B018


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda v: v[:-1] + ("A" if v[-1] != "A" else "B"), id="flipped-last-char"),
        pytest.param(lambda v: v[:-8], id="truncated"),
        pytest.param(lambda v: v.split("$")[0] + "$test-2$" + "QUJD", id="too-short"),
        pytest.param(lambda v: v.replace("$test-2$", "$retired$"), id="unknown-key"),
    ],
)
def test_a_tampered_value_fails_loudly_naming_the_row(hubspot, damage):
    write_raw(hubspot.pk, "access_token", damage(raw_column(hubspot.pk, "access_token")))
    with pytest.raises(DecryptionError) as error:
        OrganizationIntegration.objects.get(pk=hubspot.pk).access_token  # noqa: B018
    assert str(hubspot.pk) in str(error.value)
    assert "access-PLAINTEXT" not in str(error.value)


def test_plaintext_cannot_be_smuggled_in_through_update(hubspot):
    with pytest.raises(ValueError, match="only accepts encrypted envelopes"):
        OrganizationIntegration.objects.filter(pk=hubspot.pk).update(access_token="plain")


def test_older_keys_still_decrypt_and_the_newest_encrypts(organization):
    with override_settings(ENCRYPTION_KEYS=[OLD_KEY]):
        row = upsert_organization_integration(organization, "hubspot", "production", access_token="kept")
    assert raw_column(row.pk, "access_token").startswith("enc1$old$")
    with override_settings(ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert OrganizationIntegration.objects.get(pk=row.pk).access_token == "kept"
        row = upsert_organization_integration(organization, "hubspot", "production", access_token="fresh")
        assert raw_column(row.pk, "access_token").startswith("enc1$new$")


def test_empty_values_are_stored_empty_and_read_empty(organization):
    row = upsert_organization_integration(organization, "hubspot", "sandbox")
    assert raw_column(row.pk, "access_token") == ""
    assert OrganizationIntegration.objects.get(pk=row.pk).access_token == ""


def test_envelope_round_trip_is_bound_to_its_associated_data():
    value = envelope.encrypt("secret", aad=b"table|1|field")
    assert envelope.decrypt(value, aad=b"table|1|field", where="x") == "secret"
    with pytest.raises(DecryptionError):
        envelope.decrypt(value, aad=b"table|2|field", where="x")
