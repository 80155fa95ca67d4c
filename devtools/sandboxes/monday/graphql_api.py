"""``POST /v2``: parse, validate against the real schema, price, authorize, execute, answer like monday.

Order per request: body checks (400) -> token (401) -> ``API-Version`` -> parse ("Parse error on ...",
HTTP 200) -> validation against ``schema/schema.graphql`` (HTTP 200, graphql-ruby style codes) ->
complexity (single-query maximum, then the account's budget: 429 ``COMPLEXITY_BUDGET_EXHAUSTED``) ->
execution (field errors beside partial ``data``). Every answer carries ``account_id`` and
``extensions.request_id``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)

from .complexity import query_cost
from .config import API_VERSIONS, CURRENT_API_VERSION
from .errors import (
    HttpFailure,
    bad_request,
    complexity_exhausted,
    error_entry,
    not_authenticated,
    too_complex,
    validation_code,
)
from .resolvers import Context, install
from .state import SandboxState, Token

if TYPE_CHECKING:
    from .webhooks import Webhooks

SCHEMA_FILE = Path(__file__).with_name("schema") / "schema.graphql"
VERSION = re.compile(r"^\d{4}-\d{2}$")


@lru_cache(maxsize=1)
def schema() -> GraphQLSchema:
    """monday's schema with the sandbox's resolvers (parsed once per process: ~0.3 s)."""
    built = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    install(built)
    return built


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    summary: dict[str, Any]


def authenticate(state: SandboxState, header: str) -> Token:
    """The raw token (monday's own clients) or ``Bearer <token>`` (the OAuth 2.1 guide): both accepted."""
    value = header.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    token = state.tokens.get(value) if value else None
    if token is None or not token.valid(state.clock.time()):
        raise not_authenticated()
    return token


def _root_fields(operation: OperationDefinitionNode) -> list[str]:
    return [node.name.value for node in operation.selection_set.selections if isinstance(node, FieldNode)]


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((op for op in operations if op.name and op.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def _parse_error(error: GraphQLError) -> dict[str, Any]:
    """monday (graphql-ruby) words syntax errors ``Parse error on "x" (TOKEN) at [line, column]``."""
    location = error.locations[0] if error.locations else None
    near = error.message.split("Syntax Error: ", 1)[-1]
    entry: dict[str, Any] = {
        "message": f"Parse error on {near}"
        + (f" at [{location.line}, {location.column}]" if location else "")
    }
    if location:
        entry["locations"] = [{"line": location.line, "column": location.column}]
    return entry


def handle(state: SandboxState, webhooks: Webhooks, headers: dict[str, str], payload: Any) -> Answer:
    request_id = str(uuid.uuid4())
    account_id = state.config.account_id
    summary: dict[str, Any] = {"apiVersion": headers.get("api-version") or None}

    def answer(status: int, body: dict[str, Any], extra_headers: dict[str, str] | None = None) -> Answer:
        body = {
            **body,
            "account_id": account_id,
            "extensions": {**body.get("extensions", {}), "request_id": request_id},
        }
        return Answer(status, body, extra_headers or {}, summary)

    try:
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
            or not payload["query"].strip()
        ):
            raise bad_request("No query string was present")
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise bad_request("variables must be a JSON object, not a JSON-encoded string")
        token = authenticate(state, headers.get("authorization", ""))
        summary["tokenKind"] = token.kind
        version = headers.get("api-version") or CURRENT_API_VERSION
        if not VERSION.match(version):
            raise bad_request(f"Invalid API version {version!r}; use YYYY-MM, e.g. {CURRENT_API_VERSION}")
        summary["apiVersion"] = (
            version if version in API_VERSIONS else f"{version} (routed to {CURRENT_API_VERSION})"
        )
        try:
            document = parse(payload["query"])
        except GraphQLError as error:
            summary["error"] = "parse"
            return answer(200, {"errors": [_parse_error(error)]})
        errors = validate(schema(), document)
        if errors:
            summary["error"] = "validation"
            return answer(200, {"errors": [_validation_error(error) for error in errors]})
        operation = _operation(document, payload.get("operationName"))
        if operation is None:
            return answer(
                200,
                {
                    "errors": [
                        error_entry("Could not determine which operation to run", "operationNotFound", 400)
                    ]
                },
            )
        summary["operation"] = operation.operation.value  # "query" changes nothing (app.py: no save)
        summary["fields"] = _root_fields(operation)
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        cost = query_cost(operation, fragments, variables)
        summary["complexity"] = cost
        config = state.config
        if cost > config.max_query_complexity:
            return answer(200, {"errors": [too_complex(cost, config.max_query_complexity)]})
        charge = state.complexity.charge(account_id, cost, config.complexity_budget, config.complexity_window)
        if not charge.allowed:
            summary["error"] = "complexity"
            raise complexity_exhausted(charge)
        context = Context(state, token, charge, webhooks)
        with state.lock:
            result = execute(
                schema(),
                document,
                context_value=context,
                variable_values=variables,
                operation_name=payload.get("operationName"),
            )
            for change in context.changes:
                state.emit(change)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [_execution_error(error) for error in result.errors]
        return answer(200, body)
    except HttpFailure as failure:
        body = {**failure.top_level}
        if failure.errors:
            body["errors"] = failure.errors
        summary.setdefault(
            "error", failure.errors[0]["extensions"]["code"] if failure.errors else str(failure)
        )
        return answer(failure.status, body, failure.headers)


def _validation_error(error: GraphQLError) -> dict[str, Any]:
    entry = error.formatted
    entry = {key: value for key, value in entry.items() if key in ("message", "locations")}
    entry["extensions"] = {"code": validation_code(error.message)}
    return entry


def _execution_error(error: GraphQLError) -> dict[str, Any]:
    entry = dict(error.formatted)
    if not entry.get("extensions"):
        # An unexpected resolver failure: monday answers those as internal errors.
        entry["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "status_code": 500, "error_data": {}}
        entry["message"] = f"Internal server error: {error.message}"
    return entry
