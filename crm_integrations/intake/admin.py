"""The webhook debugger: every webhook received, what each event became, and Replay."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join

from crm_integrations.admin_scoping import OrganizationScopedAdmin
from crm_integrations.core.redaction import redact_text
from crm_integrations.models import WebhookDelivery, WebhookEvent

from . import processing

#: What a result reference points at, by its prefix (apps above register these admin pages).
RESULT_ADMIN = {"lead": "field_mapping_lead", "contract": "contracts_contract"}


class WebhookEventInline(admin.TabularInline):
    model = WebhookEvent
    fk_name = "delivery"
    extra = 0
    can_delete = False
    fields = ["event_type", "object_type", "object_id", "occurred_at", "outcome", "outcome_detail", "became"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="became")
    def became(self, event: WebhookEvent) -> str:
        kind, _, key = event.result_ref.partition(":")
        try:
            url = reverse(f"admin:{RESULT_ADMIN[kind]}_change", args=[key])
        except (KeyError, NoReverseMatch):
            return event.result_ref or "—"
        return format_html('<a href="{}">{} {}</a>', url, kind, key)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Deliveries of the user's organizations (a delivery refused before its organization was known
    has none: superusers only)."""

    organization_path = "organization"
    list_display = [
        "received_at",
        "provider",
        "kind",
        "organization",
        "signature",
        "status",
        "response_status",
        "event_count",
        "replays",
    ]
    list_filter = ["status", "signature", "provider", "organization"]
    search_fields = ["body", "status_detail"]
    date_hierarchy = "received_at"
    inlines = [WebhookEventInline]
    fields = [
        "received_at",
        "provider",
        "kind",
        "organization",
        "method",
        "url",
        "signature",
        "status",
        "status_detail",
        "response_status",
        "processed_at",
        "replays",
        "headers_masked",
        "body_masked",
    ]
    readonly_fields = fields
    change_form_template = "admin/crm_integrations/webhookdelivery/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a record of what happened: viewed, never edited

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("organization").prefetch_related("events")

    def has_replay_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        """Replay runs the stored body through the pipeline again, a write to the organization's
        data: the change permission on deliveries (which the read-only page never uses otherwise)
        and the organization's administrator role."""
        allowed = request.user.has_perm("crm_integrations.change_webhookdelivery")
        return allowed and self.can_administer(request, obj)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        delivery = self.get_object(request, object_id)
        extra = {"can_replay": delivery is not None and self.has_replay_permission(request, delivery)}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    @admin.display(description="events")
    def event_count(self, delivery: WebhookDelivery) -> int:
        return len(delivery.events.all())

    @admin.display(description="headers")
    def headers_masked(self, delivery: WebhookDelivery) -> str:
        rows = ((name, redact_text(str(value))) for name, value in sorted(delivery.headers.items()))
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description="raw body (secrets masked)")
    def body_masked(self, delivery: WebhookDelivery) -> str:
        try:
            text = json.dumps(json.loads(delivery.body), indent=2)
        except ValueError:
            text = delivery.body
        return format_html('<pre class="webhook-body">{}</pre>', redact_text(text))

    def get_urls(self) -> list:
        replay = self.admin_site.admin_view(self.replay_view)
        return [
            path("<int:delivery_id>/replay/", replay, name="crm_integrations_webhookdelivery_replay"),
            *super().get_urls(),
        ]

    def replay_view(self, request: HttpRequest, delivery_id: int) -> HttpResponseRedirect:
        from .tasks import replay_webhook_delivery

        delivery = get_object_or_404(self.get_queryset(request), pk=delivery_id)
        target = reverse("admin:crm_integrations_webhookdelivery_change", args=[delivery.pk])
        if request.method != "POST":
            return HttpResponseRedirect(target)
        if not self.has_replay_permission(request, delivery):
            raise PermissionDenied
        if not processing.replayable(delivery):
            messages.error(
                request, "Only a delivery we accepted can be replayed (this one was refused: see its status)."
            )
        else:
            replay_webhook_delivery.delay(delivery.pk)
            messages.success(request, "Replay queued: the stored body runs through the pipeline again.")
        return HttpResponseRedirect(target)
