"""A per-connection secret a CRM workflow action may send in a header instead of a signature.

HubSpot's workflow action can authenticate with "an API key in a request header" instead of the
app's v2 signature. The key is ours: issued once per connection, shown once, and stored only as
its SHA-256 digest in ``connection.settings`` (a 256-bit random secret needs no slow hash). The
secret names its connection, so it also says which organization and CRM account the request is for.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qs, urlsplit

from crm_integrations.core.webhooks import SignatureCheck
from crm_integrations.models import ConnectionStatus, OrganizationIntegration, SignatureVerdict
from crm_integrations.services import upsert_organization_integration

SECRET_HEADER = "X-Workflow-Secret"  # noqa: S105 - a header name, not a secret
SETTING = "workflow_secret_sha256"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_workflow_secret(connection: OrganizationIntegration) -> str:
    """A new secret for ``connection`` (the previous one stops working); returned once, never stored."""
    secret = secrets.token_urlsafe(32)
    upsert_organization_integration(
        connection.organization,
        connection.provider,
        connection.environment,
        settings={**connection.settings, SETTING: digest(secret)},
    )
    return secret


def given_secret(headers: dict[str, str], url: str = "") -> str | None:
    """The secret from its header, else from a query parameter of the same name (HubSpot's action
    can put an API key in either), or None when the request carries neither. The stored URL has it
    masked (crm_integrations/core/redaction.py: ``redact_url``)."""
    wanted = SECRET_HEADER.lower()
    header = next((value for key, value in headers.items() if key.lower() == wanted), None)
    if header is not None:
        return header
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return next((values[0] for name, values in query.items() if name.lower() == wanted), None)


def check_workflow_secret(
    provider: str, secret: str
) -> tuple[SignatureCheck, OrganizationIntegration | None]:
    """The connection whose secret this is. Looked up by digest (equality on a hash of a random
    secret leaks nothing useful), then compared once more in constant time."""
    wanted = digest(secret)
    connection = (
        OrganizationIntegration.objects.select_related("organization", "integration")
        .filter(integration__provider=provider, **{f"settings__{SETTING}": wanted})
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .first()
    )
    if secret and connection is not None and hmac.compare_digest(connection.settings[SETTING], wanted):
        account = connection.external_account_id
        check = SignatureCheck(
            SignatureVerdict.VALID, SECRET_HEADER, account, environment=connection.environment
        )
        return check, connection
    return SignatureCheck(SignatureVerdict.INVALID, f"{SECRET_HEADER} matches no connection"), None
