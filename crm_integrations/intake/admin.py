"""The webhook debugger: every webhook received, what each event became, and Replay."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join

from crm_integrations import admin_display
from crm_integrations.admin_scoping import OrganizationScopedAdmin
from crm_integrations.core.redaction import redact_text
from crm_integrations.models import WebhookDelivery, WebhookEvent

from . import processing

#: What a result reference (``lead:42``) points at, by its prefix: the app and model whose admin page
#: shows it (the apps above register those pages; named, not imported, to keep the layers).
RESULT_MODELS = {"lead": ("field_mapping", "lead"), "contract": ("contracts", "contract")}
#: The attributes that name a result for staff, in order of preference.
NAME_ATTRIBUTES = ("name", "title", "email")


def result_names(events: list[WebhookEvent]) -> dict[str, str]:
    """``{result_ref: "Ada Lovelace"}`` for the events' results, one query per kind of result."""
    keys: dict[str, set[str]] = {}
    for event in events:
        kind, _, key = event.result_ref.partition(":")
        if kind in RESULT_MODELS and key.isdigit():
            keys.setdefault(kind, set()).add(key)
    names = {}
    for kind, wanted in keys.items():
        try:
            model = apps.get_model(*RESULT_MODELS[kind])
        except LookupError:
            continue
        for row in model._default_manager.filter(pk__in=wanted):
            label = next((getattr(row, attr) for attr in NAME_ATTRIBUTES if getattr(row, attr, "")), "")
            if label:  # a nameless one keeps its number ("Lead #9")
                names[f"{kind}:{row.pk}"] = label
    return names


class WebhookEventInline(admin.TabularInline):
    """What each event of the delivery became, shown first on the delivery's page."""

    model = WebhookEvent
    fk_name = "delivery"
    extra = 0
    can_delete = False
    verbose_name = "event"
    verbose_name_plural = "events: what each became"
    fields = ["event", "record", "occurred_at", "outcome", "outcome_detail", "became"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # The names of what the events became, read once for the page (not once per row).
        self._names = result_names(list(obj.events.all())) if obj is not None else {}
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="event")
    def event(self, event: WebhookEvent) -> str:
        change = f": {event.property_name}" if event.property_name else ""
        return f"{event_words(event.event_type)}{change}"

    @admin.display(description="CRM record")
    def record(self, event: WebhookEvent) -> str:
        return f"{admin_display.words(event.object_type)} {event.object_id}".strip() or "—"

    @admin.display(description="became")
    def became(self, event: WebhookEvent) -> str:
        kind, _, key = event.result_ref.partition(":")
        name = getattr(self, "_names", {}).get(event.result_ref)
        try:
            url = reverse(f"admin:{'_'.join(RESULT_MODELS[kind])}_change", args=[key])
        except (KeyError, NoReverseMatch):
            return event.result_ref or "—"
        return format_html('{} <a href="{}">{}</a>', kind.capitalize(), url, name or f"#{key}")


def event_words(event_type: str) -> str:
    """``object.propertyChange`` → "Property change", ``contact.creation`` → "Contact creation"."""
    last = event_type.rsplit(".", 1)[-1] if event_type.startswith("object.") else event_type.replace(".", " ")
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", last).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:].lower() if spaced else "—"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Deliveries of the user's organizations (a delivery refused before its organization was known
    has none: superusers only)."""

    organization_path = "organization"
    # Six columns, so the list fits a 1366 px screen beside the filters.
    list_display = ["received_at", "source", "organization", "signature", "outcome", "event_count"]
    list_filter = ["status", "signature", admin_display.CrmFilter, "organization"]
    search_fields = ["body", "status_detail"]
    date_hierarchy = "received_at"
    inlines = [WebhookEventInline]
    # The verdict first, then (through the change form template) the events, then the request; the
    # headers and the raw body last and folded away (a large body made the page 8,000 px tall).
    fieldsets = [
        ("Verdict", {"fields": ["verdict", "status_detail", "signature", "response_status", "replays"]}),
        (
            "Request",
            {"fields": ["received_at", "processed_at", "source", "organization", "method", "address"]},
        ),
        (
            "Headers and raw body (secrets masked)",
            {"fields": ["headers_masked", "body_masked"], "classes": ["collapse"]},
        ),
    ]
    readonly_fields = [field for _, options in fieldsets for field in options["fields"]]
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

    @admin.display(description="from", ordering="provider")
    def source(self, delivery: WebhookDelivery) -> str:
        return (
            f"{admin_display.provider_name(delivery.provider)} ({admin_display.words(delivery.kind).lower()})"
        )

    @admin.display(description="outcome", ordering="status")
    def outcome(self, delivery: WebhookDelivery) -> str:
        answer = f" · {delivery.response_status}" if delivery.response_status else ""
        return f"{delivery.get_status_display()}{answer}"

    @admin.display(description="URL")
    def address(self, delivery: WebhookDelivery) -> str:
        return delivery.url

    @admin.display(description="verdict")
    def verdict(self, delivery: WebhookDelivery) -> str:
        """One sentence: what happened to the request and to its events."""
        outcomes = Counter(event.get_outcome_display().lower() for event in delivery.events.all())
        events = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        answered = f"answered {delivery.response_status}" if delivery.response_status else "not answered yet"
        summary = f"{delivery.get_status_display()} ({answered})"
        return f"{summary}; events: {events}." if events else f"{summary}; no events."

    @admin.display(description="headers")
    def headers_masked(self, delivery: WebhookDelivery) -> str:
        rows = ((name, redact_text(str(value))) for name, value in sorted(delivery.headers.items()))
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description="raw body")
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
