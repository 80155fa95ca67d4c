"""No forged webhook in production: only secrets of enabled environments verify, never a public default.

The local sandbox app's secret is in this repository (config/settings/base.py's default), so with
DEBUG off a request signed with it must be refused, and the sandbox environment as a whole is off
unless ``CRM_SANDBOXES_ENABLED`` (crm_integrations/core/environments.py). The environment whose
secret verified a request also decides which connection it is for.
"""

from __future__ import annotations

import json
import time

import jwt
import pytest

from crm_integrations.core.environments import enabled_environment_choices
from crm_integrations.hubspot.config import PUBLIC_SANDBOX_SECRETS, client_secrets, hubspot_settings
from crm_integrations.hubspot.webhooks import signature_v3
from crm_integrations.intake import processing
from crm_integrations.models import WebhookDelivery, WebhookEvent
from crm_integrations.monday.config import DEFAULTS as MONDAY_DEFAULTS
from crm_integrations.monday.config import signing_secrets
from crm_integrations.services import upsert_organization_integration

from .test_hubspot_events import URL, event, post

PUBLIC = next(iter(PUBLIC_SANDBOX_SECRETS))
PRODUCTION_SECRET = "production-app-secret-from-the-developer-account"


@pytest.fixture
def apps(settings):
    """A production app configured, and the sandbox app left on its public default secret."""
    settings.HUBSPOT = {
        "production": {**hubspot_settings("production"), "CLIENT_SECRET": PRODUCTION_SECRET},
        "sandbox": {**hubspot_settings("sandbox"), "CLIENT_SECRET": PUBLIC},
    }
    settings.DEBUG = False
    return settings


@pytest.mark.django_db
def test_a_batch_signed_with_the_public_sandbox_secret_is_refused_outside_debug(client, connection, apps):
    response = post(client, [event(1)], secret=PUBLIC)

    assert response.status_code == 401
    assert WebhookDelivery.objects.get().signature == "invalid"


@pytest.mark.django_db
def test_the_public_sandbox_secret_counts_with_debug_on(client, connection, apps):
    apps.DEBUG = True
    assert post(client, [event(1)], secret=PUBLIC).status_code == 200


@pytest.mark.django_db
def test_a_disabled_sandbox_environment_verifies_nothing_and_is_not_offered(client, connection, settings):
    settings.CRM_SANDBOXES_ENABLED = False
    secret = hubspot_settings("sandbox")["CLIENT_SECRET"]  # a real, non-public secret

    assert post(client, [event(1)], secret=secret).status_code == 401
    assert [environment for environment, _ in client_secrets()] == []
    assert [value for value, _ in enabled_environment_choices()] == ["production"]


def test_monday_never_accepts_its_public_signing_secret_outside_debug(settings):
    settings.DEBUG, settings.CRM_SANDBOXES_ENABLED = False, True
    settings.MONDAY = {"sandbox": {"SIGNING_SECRET": MONDAY_DEFAULTS["sandbox"]["SIGNING_SECRET"]}}
    assert signing_secrets() == []
    settings.MONDAY = {"sandbox": {"SIGNING_SECRET": "generated-for-this-machine"}}
    assert signing_secrets() == [("sandbox", "generated-for-this-machine")]


@pytest.mark.django_db
def test_a_monday_webhook_is_taken_for_the_environment_whose_secret_signed_it(client, organization, settings):
    settings.CRM_SANDBOXES_ENABLED = True
    settings.MONDAY = {
        "production": {"SIGNING_SECRET": "monday-production-signing-secret-32b"},
        "sandbox": {"SIGNING_SECRET": "monday-sandbox-signing-secret-of-32b"},
    }
    url = "http://testserver/api/v1/integrations/monday/events"
    claims = {"accountId": 77, "aud": url, "exp": int(time.time()) + 60}
    body = {"event": {"type": "create_pulse", "boardId": 5, "pulseId": 9, "triggerUuid": "u1"}}

    response = client.post(
        url,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=jwt.encode(claims, "monday-production-signing-secret-32b", algorithm="HS256"),
    )

    assert response.status_code == 200
    assert WebhookDelivery.objects.get().environment == "production"


@pytest.mark.django_db
def test_a_request_signed_by_one_environment_never_reaches_the_other_environments_connection(
    client, organization, intake, apps
):
    """The same account id connected in production; the request is verified by the sandbox app."""
    apps.HUBSPOT = {**apps.HUBSPOT, "sandbox": {**apps.HUBSPOT["sandbox"], "CLIENT_SECRET": "sandbox-here"}}
    upsert_organization_integration(
        organization, "hubspot", "production", status="connected", external_account_id="24000001"
    )
    raw = json.dumps([event(1)]).encode()
    timestamp = str(int(time.time() * 1000))
    response = post(
        client,
        raw,
        headers={
            "HTTP_X_HUBSPOT_SIGNATURE_V3": signature_v3("sandbox-here", "POST", URL, raw, timestamp),
            "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": timestamp,
        },
    )
    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.environment == "sandbox"

    processing.process(delivery.pk)

    row = WebhookEvent.objects.get()
    assert (row.connection, row.outcome) == (None, "rejected")
    assert intake[0] == []
