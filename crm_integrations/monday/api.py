"""The monday API as the other modules call it: one GraphQL POST through the resilient HTTP layer.

Every call goes through ``ProviderHttpClient`` (circuit breaker, the shared ``monday`` budget in
complexity points, retries, call records) with ``MondayAuth`` (bare token, refresh for OAuth 2.1
tokens) and monday's error mapping as the ``response_hook`` (GraphQL errors arrive with HTTP 200).
Each query asks for ``complexity { ... }`` so the meter learns what the next call will cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crm_integrations.core.errors import CrmError
from crm_integrations.core.http import HttpPolicy, ProviderHttpClient

from .auth import MondayAuth, is_refreshable
from .complexity import ComplexityMeter, Estimate, meter_for
from .config import RATE_LIMIT_KEY, api_endpoint, api_version
from .errors import MondayError, crm_error, errors_of, parse_monday_error, request_id, response_hook

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

COMPLEXITY_FIELD = "complexity { before query after reset_in_x_seconds }"


@dataclass(frozen=True)
class GraphQLResult:
    """An answer's ``data``, the errors of single fields (partial answers), and what it cost."""

    data: dict[str, Any]
    errors: tuple[MondayError, ...] = ()
    complexity: Mapping[str, Any] | None = None
    request_id: str | None = None
    refreshable: bool = field(default=False, repr=False)

    def error_for(self, error: MondayError) -> CrmError:
        return crm_error(error, refreshable=self.refreshable, correlation_id=self.request_id)

    def raise_for_errors(self) -> None:
        """Raise the first field error (for calls that cannot use a partial answer)."""
        if self.errors:
            raise self.error_for(self.errors[0])


class MondayApi:
    def __init__(
        self,
        connection: OrganizationIntegration,
        *,
        http: ProviderHttpClient | None = None,
        meter: ComplexityMeter | None = None,
    ) -> None:
        self.connection = connection
        self.auth = MondayAuth(connection)
        base_url, self.endpoint = api_endpoint(connection.environment)
        self.version = api_version(connection.environment)
        # Shared with the connection's other clients in this process (an unsaved one keeps its own).
        self.meter = meter or (meter_for(connection.pk) if connection.pk else ComplexityMeter())
        self.http = http or ProviderHttpClient(
            "monday",
            connection.external_account_id or "unknown",
            base_url,
            auth=self.auth,
            rate_limit_key=RATE_LIMIT_KEY,
            error_parser=parse_monday_error,
            response_hook=response_hook(lambda: is_refreshable(connection)),
            policy=HttpPolicy.from_settings(),
        )

    @property
    def account(self) -> str:
        return self.http.account

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        estimate: Estimate,
        idempotent: bool = True,
    ) -> GraphQLResult:
        """POST one GraphQL document; ``estimate.weight`` is charged to the ``monday`` budget first.

        Raises what concerns the whole call (``RateLimited``, ``AuthRevoked``, ``CursorExpired``, a
        query monday refused); field errors of a partial answer come back in ``GraphQLResult.errors``.
        Reads are ``idempotent`` (repeated after a 5xx); a batch of mutations says otherwise.
        """
        body = {"query": query, "variables": dict(variables or {})}
        response = self.auth.call(
            lambda: self.http.request(
                "POST",
                self.endpoint,
                json=body,
                headers={"API-Version": self.version},
                weight=estimate.weight,
                idempotent=idempotent,
            )
        )
        payload = response.json()
        data = payload.get("data") or {}
        complexity = data.get("complexity") if isinstance(data, dict) else None
        self.meter.observe(estimate, complexity)
        return GraphQLResult(
            data=data if isinstance(data, dict) else {},
            errors=tuple(error for error in errors_of(payload) if error.path),
            complexity=complexity,
            request_id=request_id(payload),
            refreshable=is_refreshable(self.connection),
        )

    def query(
        self, query: str, variables: Mapping[str, Any] | None = None, *, estimate: Estimate
    ) -> dict[str, Any]:
        """``execute`` for reads that need every field: any field error is raised."""
        result = self.execute(query, variables, estimate=estimate)
        result.raise_for_errors()
        return result.data


def gql_list(values: Sequence[str]) -> str:
    """A GraphQL list literal of strings (ids, column ids) for inline arguments."""
    return (
        "["
        + ", ".join('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
        + "]"
    )
