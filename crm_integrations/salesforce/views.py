"""``POST /api/v1/integrations/salesforce/outbound``: Outbound Messages in, thin (``inbound`` does the
work). No login and no CSRF token: Salesforce posts here; the body is read under its own size cap."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm_integrations.intake.deliveries import InboundRequest

from . import inbound
from .config import KEY, outbound_max_bytes


def _read_body(request: HttpRequest, limit: int) -> tuple[bytes, bool, int]:
    """At most ``limit`` bytes of the body, whether it was larger, and its size as far as known."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        return request.read(limit), True, int(declared)
    body = request.read(limit + 1)
    return body[:limit], len(body) > limit, int(declared) if declared.isdigit() else len(body)


@csrf_exempt
@require_POST
def outbound_message(request: HttpRequest) -> HttpResponse:
    body, oversized, size = _read_body(request, outbound_max_bytes())
    answer = inbound.receive(
        InboundRequest(
            provider=KEY,
            method=request.method or "POST",
            url=request.build_absolute_uri(),
            headers=dict(request.headers),
            body=body,
            oversized=oversized,
            client=request.META.get("REMOTE_ADDR", ""),
            size=size,
        )
    )
    return HttpResponse(answer.xml, status=answer.status, content_type="text/xml; charset=utf-8")
