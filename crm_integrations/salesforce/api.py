"""The Salesforce REST API as the other modules call it: one connection's HTTP client, at its
``instance_url``, with its auth retry, its usage readings and SOQL paging.

Every call goes through ``ProviderHttpClient`` (breaker, limiter, retries, call records) and
``ConnectionAuth`` (bearer token; a ``401 INVALID_SESSION_ID`` refreshes once, through the
single-refresher lease, and tries again: the fallback when introspection gave no expiry,
crm_integrations/salesforce/introspection.py). Every write sends ``Sforce-Auto-Assign: FALSE``, so the
org's assignment rules cannot overwrite the owner we chose.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import requests

from crm_integrations.core.errors import CrmError, InvalidRequest
from crm_integrations.core.http import HttpPolicy, ProviderHttpClient
from crm_integrations.core.tokens import ConnectionAuth

from . import limits
from .config import INSTANCE_URL_SETTING, RATE_LIMIT_KEY, api_version
from .errors import parse_salesforce_error

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

QUERY = "/services/data/{version}/query"
QUERY_MORE = "/services/data/{version}/query/{locator}"
#: Sent on every write (Salesforce's default, TRUE, runs the org's active assignment rules).
WRITE_HEADERS = {"Sforce-Auto-Assign": "FALSE"}
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def instance_url(connection: OrganizationIntegration) -> str:
    url = str((connection.settings or {}).get(INSTANCE_URL_SETTING) or "")
    if not url:
        raise InvalidRequest(
            "This Salesforce connection has no instance URL: connect it again.", code="no_instance_url"
        )
    return url.rstrip("/")


class SalesforceApi:
    def __init__(
        self, connection: OrganizationIntegration, *, http: ProviderHttpClient | None = None
    ) -> None:
        self.connection = connection
        self.version = api_version(connection.environment)
        self.auth = ConnectionAuth(connection)
        account = connection.external_account_id
        self.http = http or ProviderHttpClient(
            "salesforce",
            account,
            instance_url(connection),
            auth=self.auth,
            rate_limit_key=RATE_LIMIT_KEY,
            error_parser=parse_salesforce_error,
            response_hook=limits.hook_for(account),
            policy=HttpPolicy.from_settings(),
        )

    @property
    def account(self) -> str:
        return self.http.account

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Any = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """One call under ``/services/data/{version}``; writes carry ``Sforce-Auto-Assign: FALSE``."""
        method = method.upper()
        write = method in WRITE_METHODS
        return self.auth.call(
            lambda: self.http.request(
                method,
                endpoint,
                path_params={"version": self.version, **(path_params or {})},
                params=params,
                json=json,
                headers=WRITE_HEADERS if write else None,
                idempotent=idempotent,
                write=write,
            )
        )

    def json(self, method: str, endpoint: str, **kwargs: Any) -> Any:
        """``call`` and its JSON body (None for an empty body such as a 204)."""
        response = self.call(method, endpoint, **kwargs)
        return response.json() if response.content else None

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record a SOQL query returns, following ``nextRecordsUrl`` (at most 2,000 a page)."""
        body = self.json("GET", QUERY, params={"q": soql})
        seen: set[str] = set()
        while True:
            if not isinstance(body, Mapping):
                raise CrmError("Salesforce answered a query with something that is not a query result.")
            yield from body.get("records") or []
            locator = next_locator(body)
            if body.get("done", True) or not locator or locator in seen:
                return
            seen.add(locator)
            body = self.json("GET", QUERY_MORE, path_params={"locator": locator})


def next_locator(body: Mapping[str, Any]) -> str:
    """The cursor part of ``nextRecordsUrl`` (``/services/data/v66.0/query/01gD0-2000``), "" if none."""
    url = str(body.get("nextRecordsUrl") or "")
    return url.rsplit("/query/", 1)[-1] if "/query/" in url else ""
