"""Request validation against HubSpot's own OpenAPI files (``openapi/``), with openapi-core.

The files are used as HubSpot published them, with a few documented relaxations applied to an in-memory copy
where the files are stricter than the live API (per ``openapi/README.md`` and HubSpot's guides):

- ``servers`` becomes ``/`` so any sandbox host matches; ``security`` is dropped (tokens are checked in
  :mod:`.guard`).
- Create inputs do not require ``associations`` (README: only leads need them in practice).
- Search requests require nothing, and ``sorts`` items may be strings or ``{propertyName, direction}`` objects
  (HubSpot's search guide's own example uses objects).
- Batch read requires only ``inputs``.
- Written property values and the search ``after`` cursor may also be JSON numbers/booleans (and values null):
  HubSpot's JSON reader coerces scalars to strings, so clients that send ``{"amount": 1500}`` work there.
- A path with a trailing slash is matched as the path without it, as HubSpot answers it: the official SDK
  (hubspot-api-client) lists owners at ``/crm/v3/owners/``, which the spec would read as an empty ``ownerId``.
- Response side: property values may be ``null`` (HubSpot's CRM objects guide: "strings (or null)"), and
  the shared error response declared as ``*/*`` is read as ``application/json`` (openapi-core does not parse
  ``*/*`` bodies).

A request of a shape already found valid is not checked again (``_shape``, ``_VALID``). openapi-core
spends 4 ms of CPU on a one-record batch read and 10 ms on one of 100 records (on a machine where a
HubSpot call costs our client 8 ms): half of what the sandbox spent on a lead, on the cores the
benchmarks share with the app (docs/benchmarks.md, "Sixteenth pass"). A burst's calls differ only in
their record ids, and no schema of the checked files tells one digit string from another of the same
length (no enum holds one; the only patterns take any character or digits: a test walks the files), so
a request is remembered with its digit strings zeroed. Refused requests are never remembered: each
gets its own message.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.validation.exceptions import ValidationError
from openapi_core.validation.request.exceptions import ParameterValidationError
from werkzeug.wrappers import Request

from .errors import ApiError, error_body

SPEC_DIR = Path(__file__).resolve().parent / "openapi"
# Which file describes a path (first matching prefix wins).
SPEC_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("/crm/v3/objects/", "crm-objects-v3.json"),
    ("/crm/v4/", "crm-associations-v4.json"),
    ("/crm/v3/owners", "crm-owners-v3.json"),
    ("/crm/v3/properties/", "crm-properties-v3.json"),
    ("/crm/v3/pipelines/", "crm-pipelines-v3.json"),
    ("/files/v3/", "files-v3.json"),
    ("/oauth/v1/", "oauth-v1.json"),
    ("/oauth/v3/", "oauth-v3.json"),
    ("/oauth/2026-03/", "oauth-2026-03.json"),
)
# Request validation covers the CRM data APIs; OAuth answers its own error format and checks its form itself.
REQUEST_VALIDATED = (
    "crm-objects-v3.json",
    "crm-associations-v4.json",
    "crm-owners-v3.json",
    "crm-properties-v3.json",
    "crm-pipelines-v3.json",
    "files-v3.json",
)

_SCALAR = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}], "nullable": True}
_INPUT_SCHEMAS = (
    "SimplePublicObjectInput",
    "SimplePublicObjectInputForCreate",
    "SimplePublicObjectBatchInput",
    "SimplePublicObjectBatchInputForCreate",
    "SimplePublicObjectBatchInputUpsert",
)
_SEARCH_SORT = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "required": ["propertyName"],
            "properties": {
                "propertyName": {"type": "string"},
                "direction": {"type": "string", "enum": ["ASCENDING", "DESCENDING"]},
            },
        },
    ]
}


def spec_file_for(path: str) -> str | None:
    return next((name for prefix, name in SPEC_BY_PREFIX if path.startswith(prefix)), None)


def load_spec(name: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / name).read_text(encoding="utf-8"))


def relaxed(spec: dict[str, Any], *, for_requests: bool) -> dict[str, Any]:
    """A copy of ``spec`` with the module docstring's relaxations applied."""
    data = copy.deepcopy(spec)
    data["servers"] = [{"url": "/"}]
    schemas = data.get("components", {}).get("schemas", {})
    if for_requests:
        data.pop("security", None)
        for operations in data.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation.pop("security", None)
        for name in ("SimplePublicObjectInputForCreate", "SimplePublicObjectBatchInputForCreate"):
            if name in schemas:
                schemas[name]["required"] = [r for r in schemas[name]["required"] if r != "associations"]
        for name in _INPUT_SCHEMAS:
            if name in schemas:
                schemas[name]["properties"]["properties"]["additionalProperties"] = _SCALAR
        if "PublicObjectSearchRequest" in schemas:
            search = schemas["PublicObjectSearchRequest"]
            search.pop("required", None)
            search["properties"]["sorts"]["items"] = _SEARCH_SORT
            search["properties"]["after"] = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
        if "BatchReadInputSimplePublicObjectId" in schemas:
            schemas["BatchReadInputSimplePublicObjectId"]["required"] = ["inputs"]
    else:
        for name in ("SimplePublicObject", "SimplePublicObjectWithAssociations"):
            if name in schemas:
                schemas[name]["properties"]["properties"]["additionalProperties"]["nullable"] = True
        error = data.get("components", {}).get("responses", {}).get("Error", {})
        if "*/*" in error.get("content", {}):
            error["content"] = {"application/json": error["content"]["*/*"]}
    return data


@cache
def openapi_for(name: str, for_requests: bool) -> OpenAPI:
    return OpenAPI.from_dict(relaxed(load_spec(name), for_requests=for_requests))


def build_validators() -> None:
    """Build every validated file's validator now (0.08 s for the objects file, 0.04 s for the
    associations file; once per process: ``openapi_for`` keeps them), so that the sandbox's first
    answer on each API takes as long as its later ones, as HubSpot's does. Built on first use, they
    made a benchmark's first lead wait about 0.2 s more (docs/benchmarks.md, fairness, "Twelfth
    pass")."""
    for name in REQUEST_VALIDATED:
        openapi_for(name, True)


class _SpecRequest(WerkzeugOpenAPIRequest):
    """The request as the spec sees it: ``/crm/v3/owners/`` is ``/crm/v3/owners``."""

    def get_path(self, path: str) -> str:
        return super().get_path(path[:-1] if len(path) > 1 and path.endswith("/") else path)


_locks: dict[str, threading.Lock] = {name: threading.Lock() for _, name in SPEC_BY_PREFIX}

#: Shapes of requests found valid (``_shape``'s digests), at most ``VALID_SHAPES`` (then begun again).
_VALID: set[bytes] = set()
VALID_SHAPES = 4096
_DIGIT_SEGMENT = re.compile(r"(?<=/)\d+(?=/|$)")


def validate_request(request: Request) -> None:
    """Raise a HubSpot-style 400 VALIDATION_ERROR if ``request`` does not fit its spec operation.

    Paths or methods the spec does not describe are left to the endpoint.
    """
    name = spec_file_for(request.path)
    if name not in REQUEST_VALIDATED:
        return
    shape = _shape(request)
    if shape is not None and shape in _VALID:
        return
    with _locks[name]:
        api = openapi_for(name, True)
        try:
            api.validate_request(_SpecRequest(request))
        except PathError:
            return
        except ValidationError as exc:
            details = _details(exc)
            raise ApiError(
                400, error_body("VALIDATION_ERROR", "Invalid input: " + details[0]["message"], errors=details)
            ) from exc
        if shape is not None:
            if len(_VALID) >= VALID_SHAPES:
                _VALID.clear()
            _VALID.add(shape)


def _shape(request: Request) -> bytes | None:
    """What the check's verdict depends on, with every string of digits only (JSON string values and
    path segments; not keys, which two could then share) zeroed to the same length; None for a body
    that is not JSON (not remembered). The query string and content type are kept as they are; the
    checked files declare no header parameter (their ``private-app`` headers are the security
    schemes, dropped above)."""
    body = request.get_data(cache=True)
    if body:
        try:
            document = json.loads(body)
        except ValueError:
            return None
        body = json.dumps(_zeroed(document), separators=(",", ":")).encode()
    path = _DIGIT_SEGMENT.sub(lambda digits: "0" * len(digits[0]), request.path)
    parts = (request.method, path, request.query_string.decode("latin-1"), request.content_type or "")
    return hashlib.blake2b("\n".join(parts).encode() + b"\n" + body, digest_size=16).digest()


def _zeroed(value: Any) -> Any:
    if isinstance(value, str):
        return "0" * len(value) if value.isascii() and value.isdigit() else value
    if isinstance(value, dict):
        return {key: _zeroed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_zeroed(item) for item in value]
    return value


def _details(exc: Exception) -> list[dict[str, Any]]:
    """openapi-core's nested errors -> HubSpot ``errors[]`` items (``message`` and ``in``)."""
    where = f"{exc.location}.{exc.name}" if isinstance(exc, ParameterValidationError) else "body"
    cause = exc.__cause__
    schema_errors = list(getattr(cause, "schema_errors", None) or ())
    if not schema_errors:
        return [{"message": str(exc), "in": where}]
    details = []
    for error in schema_errors:
        path = ".".join(str(part) for part in error.absolute_path)
        details.append({"message": error.message, "in": f"{where}.{path}" if path else where})
    return details
