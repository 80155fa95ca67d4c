"""CRM webhooks in, thin (the services do the work): ``POST /api/v1/integrations/<provider>/events``
(app webhooks, batches of events) and ``.../webhook`` (a workflow action asking for one record)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm_integrations import webhooks, workflows
from crm_integrations.core import registry


@csrf_exempt
@require_POST
def events(request: HttpRequest, provider: str) -> JsonResponse:
    return _receive(request, provider, webhooks.receive)


@csrf_exempt
@require_POST
def workflow(request: HttpRequest, provider: str) -> JsonResponse:
    return _receive(request, provider, workflows.receive_workflow)


def _receive(
    request: HttpRequest, provider: str, receive: Callable[..., webhooks.WebhookAnswer]
) -> JsonResponse:
    try:
        registry.get_provider(provider)
    except registry.UnknownProvider:
        return JsonResponse({"status": "error", "message": f"unknown provider {provider}"}, status=404)
    body, oversized = _read_body(request, settings.WEBHOOK_MAX_BODY_BYTES)
    answer = receive(
        provider=provider,
        method=request.method or "POST",
        url=request.build_absolute_uri(),
        headers=dict(request.headers),
        body=body,
        oversized=oversized,
    )
    if answer.payload is not None:
        return JsonResponse(answer.payload, status=answer.status)
    return JsonResponse(
        {
            "status": "ok" if answer.status < 400 else "error",
            "message": answer.message,
            "delivery": answer.delivery_id,
        },
        status=answer.status,
    )


def _read_body(request: HttpRequest, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the body (read from the stream, so a huge body is never loaded)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        return request.read(limit), True
    body = request.read(limit + 1)
    return body[:limit], len(body) > limit
