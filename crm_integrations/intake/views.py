"""CRM webhooks in, thin (the services do the work): ``POST /api/v1/integrations/<provider>/events``
(app webhooks, batches of events) and ``.../webhook`` (a workflow action asking for one record)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm_integrations.core import registry

from . import deliveries, webhooks, workflows


@csrf_exempt
@require_POST
def events(request: HttpRequest, provider: str) -> JsonResponse:
    return _receive(request, provider, webhooks.receive)


@csrf_exempt
@require_POST
def workflow(request: HttpRequest, provider: str) -> JsonResponse:
    return _receive(request, provider, workflows.receive_workflow)


def _receive(
    request: HttpRequest,
    provider: str,
    receive: Callable[[deliveries.InboundRequest], deliveries.WebhookAnswer],
) -> JsonResponse:
    try:
        registry.get_provider(provider)
    except registry.UnknownProvider:
        return JsonResponse({"status": "error", "message": f"unknown provider {provider}"}, status=404)
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        body, oversized, size = _read_body(request, limit)
    except LengthRequired as error:
        return JsonResponse({"status": "error", "message": str(error)}, status=411)
    answer = receive(
        deliveries.InboundRequest(
            provider=provider,
            method=request.method or "POST",
            url=request.build_absolute_uri(),
            headers=dict(request.headers),
            body=body,
            oversized=oversized,
            client=request.META.get("REMOTE_ADDR", ""),
            size=size,
        )
    )
    if answer.payload is not None:
        return JsonResponse(answer.payload, status=answer.status)
    response = JsonResponse(
        {
            "status": "ok" if answer.status < 400 else "error",
            "message": answer.message,
            "delivery": answer.delivery_id,
        },
        status=answer.status,
    )
    if answer.retry_after is not None:
        response["Retry-After"] = str(answer.retry_after)
    return response


class LengthRequired(Exception):
    """A chunked body the server in front cannot hand over whole (no end-of-input marker)."""


def _read_body(request: HttpRequest, limit: int) -> tuple[bytes, bool, int]:
    """At most ``limit`` bytes of the body, whether it was larger, and its size as far as known.

    Read from the stream, so a huge body is never loaded. A chunked body has no Content-Length,
    which Django reads as an empty body: it is read from the WSGI input under the same cap when the
    server marks the input as terminated (gunicorn does), and refused with 411 otherwise.
    """
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit():
        length = int(declared)
        if length > limit:  # what the debugger shows of it is read, no more than the cap
            return request.read(limit), True, length
        body = request.read(limit + 1)
        return body[:limit], len(body) > limit, length
    if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        body = request.read(limit + 1)
        return body[:limit], len(body) > limit, len(body)
    if not request.META.get("wsgi.input_terminated"):
        raise LengthRequired(
            "A chunked body cannot be read here: send the request with a Content-Length header."
        )
    body = request.META["wsgi.input"].read(limit + 1)
    return body[:limit], len(body) > limit, len(body)
