"""The HubSpot API as the other modules call it: one connection's HTTP client plus its auth retry."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import requests

from crm_integrations.core.http import HttpPolicy, ProviderHttpClient
from crm_integrations.core.tokens import ConnectionAuth

from .config import (
    RATE_LIMIT_INTERVAL_MS_HEADER,
    RATE_LIMIT_KEY,
    RATE_LIMIT_REMAINING_HEADER,
    SEARCH_RATE_LIMIT_KEY,
    api_base_url,
)
from .errors import parse_hubspot_error

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration


def hubspot_policy() -> HttpPolicy:
    """``settings.CRM_HTTP`` plus HubSpot's rate-limit headers as wait hints."""
    return HttpPolicy.from_settings(
        rate_limit_remaining_header=RATE_LIMIT_REMAINING_HEADER,
        rate_limit_interval_ms_header=RATE_LIMIT_INTERVAL_MS_HEADER,
    )


class HubSpotApi:
    """Every call goes through ``ProviderHttpClient`` (breaker, limiter, retries, call records) and
    ``ConnectionAuth`` (bearer token, one refresh and one more try after a 401)."""

    def __init__(
        self, connection: OrganizationIntegration, *, http: ProviderHttpClient | None = None
    ) -> None:
        self.connection = connection
        self.auth = ConnectionAuth(connection)
        self.http = http or ProviderHttpClient(
            "hubspot",
            connection.external_account_id,
            api_base_url(connection.environment),
            auth=self.auth,
            rate_limit_key=RATE_LIMIT_KEY,
            error_parser=parse_hubspot_error,
            policy=hubspot_policy(),
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
        search: bool = False,
        idempotent: bool | None = None,
        write: bool = False,
    ) -> requests.Response:
        """One call; ``search=True`` uses the search budget and may be repeated (it only reads);
        ``write=True`` (batch update and create) gets the shorter write read timeout."""
        extra: dict[str, Any] = (
            {"rate_limit_key": SEARCH_RATE_LIMIT_KEY, "idempotent": True} if search else {}
        )
        if idempotent is not None:
            extra["idempotent"] = idempotent
        return self.auth.call(
            lambda: self.http.request(
                method, endpoint, path_params=path_params, params=params, json=json, write=write, **extra
            )
        )

    def json(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        """``call`` and its JSON object body (``{}`` for an empty body such as a 204)."""
        response = self.call(method, endpoint, **kwargs)
        if not response.content:
            return {}
        body = response.json()
        return body if isinstance(body, dict) else {"results": body}

    def get_pages(self, endpoint: str, *, params: Mapping[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
        """Every ``results`` item of a GET list that pages with ``paging.next.after``."""
        return list(
            paged(
                lambda after: self.json(
                    "GET", endpoint, params={**params, **({"after": after} if after else {})}, **kwargs
                )
            )
        )


def paged(fetch: Callable[[str | None], Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every ``results`` item of ``fetch(after)`` pages, following ``paging.next.after``."""
    after: str | None = None
    seen: set[str] = set()
    while True:
        body = fetch(after)
        yield from body.get("results") or []
        after = next_after(body)
        if not after or after in seen:  # a cursor that repeats would loop forever
            return
        seen.add(after)


def next_after(body: Mapping[str, Any]) -> str | None:
    """``paging.next.after`` of a HubSpot list answer, or None on the last page."""
    paging = body.get("paging") or {}
    after = (paging.get("next") or {}).get("after") if isinstance(paging, Mapping) else None
    return str(after) if after not in (None, "") else None
