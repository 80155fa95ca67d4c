from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.html import format_html

from crm_integrations import admin_display, selectors
from crm_integrations.admin_scoping import OrganizationScopedAdmin, SuperuserOnlyAdmin
from crm_integrations.alerts import admin as alerts_admin
from crm_integrations.intake import admin as debugger_admin
from crm_integrations.intake import workflow_secrets
from crm_integrations.models import (
    ConnectionStatus,
    Integration,
    Membership,
    Organization,
    OrganizationIntegration,
    ProviderApiCall,
    ProviderCircuitBreaker,
    SyncCursor,
)

# Imported for their registrations: the alerts pages, the webhook debugger.
__all__ = ["alerts_admin", "debugger_admin"]


def superuser_only(allowed: bool, request: HttpRequest) -> bool:
    return allowed and request.user.is_superuser


class MembershipInline(admin.TabularInline):
    """Who belongs to the organization, and as what: shown to its staff, granted by superusers only
    (an organization's administrator must not be able to pull any user into it)."""

    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return superuser_only(super().has_add_permission(request, obj), request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return superuser_only(super().has_change_permission(request, obj), request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return superuser_only(super().has_delete_permission(request, obj), request)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Members see their organizations; their administrators rename them; superusers create and
    delete them."""

    organization_path = "pk"
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return superuser_only(super().has_add_permission(request), request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return superuser_only(super().has_delete_permission(request, obj), request)


@admin.register(Integration)
class IntegrationAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """The CRM catalogue: shared by every organization (offered in connection forms), switched on
    and off by superusers."""

    choices_for_everyone = True
    list_display = ["name", "provider", "enabled"]
    list_editable = ["enabled"]
    readonly_fields = ["provider"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the catalogue is seeded by a migration; providers come with code

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CrmChoiceFilter(admin.RelatedFieldListFilter):
    """The catalogue entry filter, titled as staff say it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "CRM"


@admin.register(OrganizationIntegration)
class OrganizationIntegrationAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Connections, as a record staff read: every field is read-only, because connecting, reconnecting
    and disconnecting go through the integrations page (OAuth and the disconnect confirmation in
    crm_integrations/views/integrations.py), never through a status typed here. Credentials are
    never shown, only whether they are set and when they expire."""

    organization_path = "organization"
    change_form_template = "admin/crm_integrations/organizationintegration/change_form.html"

    # Six columns, so the list fits a 1366 px screen beside the filters (the refresh token and the
    # dates are on each connection's page).
    list_display = [
        "organization",
        "crm_environment",
        "status",
        "account_id",
        "access_token_state",
        "access_expires",
    ]
    list_filter = [("integration", CrmChoiceFilter), "environment", "status"]
    search_fields = ["organization__name", "external_account_id"]
    actions = ["issue_workflow_secret"]
    fields = [
        "organization",
        "crm",
        "environment",
        "status",
        "status_reason",
        "account_id",
        "access_token_state",
        "refresh_token_state",
        "access_expires",
        "scope_list",
        "settings_list",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a connection is made by connecting a CRM (Integrations → Connect a CRM)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        """A read-only page: no save buttons; a Disconnect link (to its confirmation) for those who
        may disconnect a connection still in use."""
        connection = self.get_object(request, object_id)
        in_use = connection is not None and connection.status != ConnectionStatus.DISCONNECTED
        extra = {
            "title": "Connection",
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "can_disconnect": in_use and self.can_administer(request, connection),
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    @admin.display(description="CRM", ordering="integration__name")
    def crm(self, obj: OrganizationIntegration) -> str:
        return obj.integration.name

    @admin.display(description="CRM", ordering="integration__name")
    def crm_environment(self, obj: OrganizationIntegration) -> str:
        return f"{obj.integration.name} ({obj.get_environment_display().lower()})"

    @admin.display(description="account ID", ordering="external_account_id")
    def account_id(self, obj: OrganizationIntegration) -> str:
        return obj.external_account_id or "—"

    @admin.display(description="access expires", ordering="expires_at")
    def access_expires(self, obj: OrganizationIntegration) -> str:
        if obj.expires_at is None:
            return "—"
        return date_format(timezone.localtime(obj.expires_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description="scopes granted")
    def scope_list(self, obj: OrganizationIntegration) -> str:
        return admin_display.word_list(obj.scopes or [])

    @admin.display(description="settings")
    def settings_list(self, obj: OrganizationIntegration) -> str:
        return admin_display.settings_table(obj.settings)

    @admin.display(description="access token")
    def access_token_state(self, obj: OrganizationIntegration) -> str:
        return "set" if selectors.secret_is_set(obj, "access_token") else "not set"

    @admin.display(description="refresh token")
    def refresh_token_state(self, obj: OrganizationIntegration) -> str:
        return "set" if selectors.secret_is_set(obj, "refresh_token") else "not set"

    @admin.action(description="Issue a workflow webhook secret (shown once)", permissions=["change"])
    def issue_workflow_secret(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """A new secret for one connection, shown on a page of its own (never in a message, which
        would sit in a cookie), with the URL and header to set in the CRM's workflow action."""
        connection = queryset.select_related("organization", "integration").first()
        if queryset.count() != 1 or connection is None:
            self.message_user(request, "Choose exactly one connection.", messages.ERROR)
            return None
        if not selectors.workflow_webhook_capable(connection):
            self.message_user(request, f"{connection.integration} has no workflow webhooks.", messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Workflow webhook secret",
            "opts": self.model._meta,
            "original": connection,
            "secret": workflow_secrets.issue_workflow_secret(connection),
            "header": workflow_secrets.SECRET_HEADER,
            "url": selectors.workflow_webhook_url(connection),
            "setup_template": selectors.workflow_setup_template(connection),
        }
        response = TemplateResponse(request, "admin/crm_integrations/workflow_secret.html", context)
        add_never_cache_headers(response)
        return response


class ReadOnlyAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    """Records written by the HTTP layer, per provider account rather than per organization:
    superusers look, nobody edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProviderCircuitBreaker)
class ProviderCircuitBreakerAdmin(ReadOnlyAdmin):
    list_display = ["provider", "account", "state", "fail_counter", "opened_at", "updated_at"]
    list_filter = ["provider", "state"]
    search_fields = ["account"]


@admin.register(ProviderApiCall)
class ProviderApiCallAdmin(ReadOnlyAdmin):
    """Every call to a CRM, newest first. Five columns, so the list fits a 1366 px screen beside the
    filters: the CRM with its account, the request (its path; the whole URL on hover) and its outcome
    each in one column; the breaker state is a filter."""

    list_display = ["created_at", "crm", "request", "outcome", "latency"]
    list_filter = [
        admin_display.CrmFilter,
        "method",
        "status_code",
        admin_display.ErrorKindFilter,
        "breaker_state",
    ]
    search_fields = ["account", "endpoint", "correlation_id"]
    date_hierarchy = "created_at"

    @admin.display(description="CRM account", ordering="provider")
    def crm(self, call: ProviderApiCall) -> str:
        return f"{admin_display.provider_name(call.provider)} {call.account}".strip()

    @admin.display(description="request", ordering="endpoint")
    def request(self, call: ProviderApiCall) -> str:
        path = call.endpoint.split("?", 1)[0]
        shown = path if len(path) <= 48 else f"{path[:47]}…"
        return format_html('<span title="{}">{} {}</span>', call.endpoint, call.method, shown)

    @admin.display(description="outcome", ordering="status_code")
    def outcome(self, call: ProviderApiCall) -> str:
        parts = [str(call.status_code) if call.status_code else "no response"]
        if call.error_kind:
            parts.append(admin_display.error_kind_label(call.error_kind))
        if call.attempt > 1:
            parts.append(f"attempt {call.attempt}")
        return ", ".join(parts)

    @admin.display(description="latency", ordering="latency_ms")
    def latency(self, call: ProviderApiCall) -> str:
        return f"{call.latency_ms} ms"


@admin.register(SyncCursor)
class SyncCursorAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Polling per connection: staff set how often; the cursor is read-only."""

    organization_path = "connection__organization"

    list_display = ["connection", "object_type", "poll_every_minutes", "last_polled_at", "last_result"]
    fields = ["connection", "object_type", "poll_every_minutes", "last_polled_at", "last_result", "cursor"]
    readonly_fields = ["connection", "object_type", "last_polled_at", "last_result", "cursor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
