"""Admin pages of the alerts: the incident list (read-only) and each organization's alert settings
(the Slack incoming webhook, set or cleared, never shown back). Both are organization-scoped
(crm_integrations/admin_scoping.py); registered by importing this module from crm_integrations/admin.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from crm_integrations import admin_display
from crm_integrations import selectors as crm_selectors
from crm_integrations.admin_scoping import OrganizationScopedAdmin
from crm_integrations.models import AlertSettings, Incident

from . import notices, selectors, slack


def _when(moment: Any) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "—"


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "open":
            return queryset.filter(resolved_at=None)
        if self.value() == "resolved":
            return queryset.exclude(resolved_at=None)
        return queryset


@admin.register(Incident)
class IncidentAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """What needed a person, when, and whether the administrators were told: a record, not edited."""

    organization_path = "organization"
    list_display = ["opened", "problem", "crm", "state", "told"]
    list_filter = [OpenFilter, "kind"]
    search_fields = ["organization__name", "details"]
    fields = [
        "organization",
        "crm",
        "problem",
        "details",
        "opened",
        "last_seen",
        "state",
        "resolution",
        "told",
    ]
    readonly_fields = fields
    list_select_related = ["connection__integration", "organization"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="opened", ordering="opened_at")
    def opened(self, incident: Incident) -> str:
        return _when(incident.opened_at)

    @admin.display(description="last seen", ordering="last_seen_at")
    def last_seen(self, incident: Incident) -> str:
        return _when(incident.last_seen_at)

    @admin.display(description="problem", ordering="kind")
    def problem(self, incident: Incident) -> str:
        return incident.get_kind_display()

    @admin.display(description="CRM")
    def crm(self, incident: Incident) -> str:
        return selectors.connection_label(incident.connection)

    @admin.display(description="state", ordering="resolved_at")
    def state(self, incident: Incident) -> str:
        return "Open" if incident.is_open else f"Resolved {_when(incident.resolved_at)}"

    @admin.display(description="administrators told")
    def told(self, incident: Incident) -> str:
        parts = [
            f"{row.get_channel_display()}, {row.get_event_display().lower()}: "
            f"{row.get_status_display().lower()}"
            for row in incident.notices.order_by("pk")
        ]
        return "; ".join(parts) or "—"


class AlertSettingsForm(forms.ModelForm):
    slack_webhook = forms.CharField(
        label="Slack incoming webhook",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "size": 60}),
        help_text=f"Paste the URL Slack gave you ({slack.EXAMPLE}); leave empty to keep the one set. "
        "It is stored encrypted and never shown again.",
    )
    clear_slack = forms.BooleanField(label="Stop posting to Slack", required=False)

    class Meta:
        model = AlertSettings
        fields = ["organization"]

    def clean_slack_webhook(self) -> str:
        value = self.cleaned_data.get("slack_webhook", "").strip()
        if value:
            slack.validate_webhook_url(value)
        return value

    def save(self, commit: bool = True) -> AlertSettings:
        settings_row = super().save(commit=False)
        if self.cleaned_data.get("clear_slack"):
            settings_row.slack_webhook_url = ""
        elif self.cleaned_data.get("slack_webhook"):
            settings_row.slack_webhook_url = self.cleaned_data["slack_webhook"]
        if commit:
            settings_row.save()
        return settings_row


@admin.register(AlertSettings)
class AlertSettingsAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Where an organization's incidents are announced: its administrators' email always; Slack when
    a webhook is set here (by an administrator of the organization)."""

    organization_path = "organization"
    form = AlertSettingsForm
    list_display = ["organization", "slack", "email_to", "updated_at"]
    readonly_fields = ["slack", "email_to"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["organization", "email_to", "slack"] if obj else ["organization"]
        return (
            [*fields, "slack_webhook", "clear_slack"] if self.has_change_permission(request, obj) else fields
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["organization", *self.readonly_fields] if obj else list(self.readonly_fields)

    @admin.display(description="Slack")
    def slack(self, row: AlertSettings) -> str:
        stored = crm_selectors.secret_is_set(row, "slack_webhook_url")
        return f"Posting to {slack.masked(row.slack_webhook_url)}" if stored else "Not set"

    @admin.display(description="email to")
    def email_to(self, row: AlertSettings) -> str:
        return admin_display.word_list(notices.administrators_emails(row.organization_id))
