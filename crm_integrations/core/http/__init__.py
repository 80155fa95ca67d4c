"""The resilient HTTP layer under every CRM provider client.

    from crm_integrations.core.http import ProviderHttpClient

    http = ProviderHttpClient("hubspot", portal_id, "https://api.hubapi.com",
                              auth=bearer_hook, rate_limit_key="hubspot")
    response = http.request("GET", "/crm/v3/objects/{objectType}/{objectId}",
                            path_params={"objectType": "leads", "objectId": "7"})

Modules: ``policy`` (settings), ``session`` (timeouts), ``retry`` (tenacity loop), ``limiter``
(shared rate limiter), ``breaker`` (shared circuit breaker), ``mapping`` (responses to errors),
``recording`` (call records and logs), ``client`` (all of it together).
"""

from .client import AuthHook, ProviderHttpClient
from .limiter import Admission, SharedRateLimiter
from .mapping import ErrorDetails, ErrorParser, ResponseHook, parse_error_body, parse_retry_after
from .policy import HttpPolicy
from .session import TimeoutSession, build_session

__all__ = [
    "Admission",
    "AuthHook",
    "ErrorDetails",
    "ErrorParser",
    "HttpPolicy",
    "ProviderHttpClient",
    "ResponseHook",
    "SharedRateLimiter",
    "TimeoutSession",
    "build_session",
    "parse_error_body",
    "parse_retry_after",
]
