"""When a Salesforce access token expires: the token answer has no ``expires_in``, so we ask token
introspection (``POST {login host}/services/oauth2/introspect`` with the token, ``token_type_hint``
and the app's client credentials; an RFC 7662 answer whose ``exp`` is in epoch seconds).

Introspection may be refused (an External Client App without the right to introspect: 400, 401 or
403, or ``{"active": false}``) or unreachable. Then the expiry stays unknown and a ``401
INVALID_SESSION_ID`` refreshes the token instead (crm_integrations/salesforce/api.py). Neither the
token nor the answer's other fields reach a log line, an exception or a span: the line logged names
only the kind of refusal and its HTTP status.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from crm_integrations.core.errors import CrmError
from crm_integrations.core.http import ProviderHttpClient
from crm_integrations.core.oauth import OAuthApp

from . import config
from .errors import parse_salesforce_error

logger = logging.getLogger(__name__)

INTROSPECT_PATH = "/services/oauth2/introspect"
#: An ``exp`` above this is in milliseconds (13 digits), not the RFC's seconds.
MILLISECONDS_FROM = 10**11


def introspect(app: OAuthApp, login_url: str, access_token: str) -> Mapping[str, Any] | None:
    """The introspection answer for ``access_token``, or None when Salesforce would not give one."""
    http = ProviderHttpClient(config.KEY, "oauth", login_url, error_parser=parse_salesforce_error)
    try:
        answer = http.request(
            "POST",
            INTROSPECT_PATH,
            data={
                "token": access_token,
                "token_type_hint": "access_token",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
            },
            idempotent=True,
        ).json()
    except CrmError as error:
        logger.info(
            "Salesforce token introspection refused (%s%s): the token's expiry stays unknown; "
            "it is refreshed on a 401",
            type(error).__name__,
            f", HTTP {error.status}" if error.status else "",
        )
        return None
    except ValueError:
        logger.info("Salesforce token introspection answered no JSON: the token's expiry stays unknown")
        return None
    return answer if isinstance(answer, Mapping) else None


def expiry(answer: Mapping[str, Any] | None) -> datetime | None:
    """``exp`` of an active answer as an aware datetime; None when inactive, absent or not ahead."""
    if not answer or answer.get("active") is not True:
        if answer is not None:
            logger.info("Salesforce token introspection said the token is not active: expiry unknown")
        return None
    try:
        exp = float(answer.get("exp"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        logger.info("Salesforce token introspection gave no expiry: the token's expiry stays unknown")
        return None
    moment = datetime.fromtimestamp(exp / 1000 if exp > MILLISECONDS_FROM else exp, tz=UTC)
    if moment <= timezone.now():
        logger.info("Salesforce token introspection gave an expiry already past: ignored")
        return None
    return moment
