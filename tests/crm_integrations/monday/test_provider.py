"""MondayProvider: its OAuth app per flow, the account of a token, connecting with a personal API token."""

from __future__ import annotations

import pytest

from crm_integrations.core import registry
from crm_integrations.core.errors import AuthRevoked
from crm_integrations.core.oauth import TokenSet
from crm_integrations.monday.client import MondayClient
from crm_integrations.monday.connect import connect_with_api_token
from crm_integrations.monday.provider import MondayProvider
from crm_integrations.services import AccountAlreadyConnected

from .conftest import monday_settings


def test_the_legacy_flow_has_no_refresh_or_revoke_and_2_1_has_both(settings):
    settings.MONDAY = {
        "production": {"CLIENT_ID": "id", "CLIENT_SECRET": "secret"},
        **monday_settings("http://127.0.0.1:8101", OAUTH_FLOW="2.1"),
    }
    provider = MondayProvider()

    legacy = provider.oauth_app("production")
    assert legacy.authorize_url == "https://auth.monday.com/oauth2/authorize"
    assert legacy.token_url == "https://auth.monday.com/oauth2/token"
    assert legacy.revoke_url == "" and legacy.configured
    assert {"boards:read", "boards:write", "users:read", "webhooks:write"} <= set(legacy.scopes)
    oauth21 = provider.oauth_app("sandbox")
    assert oauth21.token_url == "http://127.0.0.1:8101/oauth_ms/oauth/token"
    assert oauth21.revoke_url == "http://127.0.0.1:8101/oauth_ms/oauth/revoke"


def test_identify_account_reads_the_account_of_a_fresh_token(db, sandbox_settings, sandbox):
    account = MondayProvider().identify_account(
        "sandbox", TokenSet(sandbox.api_token, "", None, ("boards:read",))
    )

    assert account.account_id == str(sandbox.account_id)
    assert account.scopes == ("boards:read",)
    with pytest.raises(AuthRevoked):
        MondayProvider().identify_account("sandbox", TokenSet("not-a-token", "", None))


def test_a_personal_api_token_connects_without_oauth_and_the_registry_hands_out_a_client(
    sandbox_settings, sandbox, organization
):
    connection = connect_with_api_token(
        organization=organization,
        environment="sandbox",
        api_token=sandbox.api_token,
        board_id=str(sandbox.board_id),
    )

    assert connection.external_account_id == str(sandbox.account_id)
    assert (connection.refresh_token, connection.expires_at) == ("", None)
    assert connection.settings["board_id"] == str(sandbox.board_id)
    client = registry.get_client(connection)
    assert isinstance(client, MondayClient)
    assert len(client.batch_read("items", [str(min(sandbox.state.board.items))])) == 1


def test_the_same_monday_account_cannot_serve_two_organizations(sandbox_settings, sandbox, organization):
    from crm_integrations.models import Organization

    connect_with_api_token(
        organization=organization,
        environment="sandbox",
        api_token=sandbox.api_token,
        board_id=str(sandbox.board_id),
    )
    other = Organization.objects.create(name="Other", slug="other")

    with pytest.raises(AccountAlreadyConnected):
        connect_with_api_token(
            organization=other,
            environment="sandbox",
            api_token=sandbox.api_token,
            board_id=str(sandbox.board_id),
        )
