"""``POST /api/v1/integrations/<provider>/events``: CRM webhooks in. Thin: the service does the work."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm_integrations import webhooks
from crm_integrations.core import registry


@csrf_exempt
@require_POST
def events(request: HttpRequest, provider: str) -> JsonResponse:
    try:
        registry.get_provider(provider)
    except registry.UnknownProvider:
        return JsonResponse({"status": "error", "message": f"unknown provider {provider}"}, status=404)
    body, oversized = _read_body(request, settings.WEBHOOK_MAX_BODY_BYTES)
    answer = webhooks.receive(
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
