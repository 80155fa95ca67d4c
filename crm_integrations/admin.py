from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

from crm_integrations import selectors, services
from crm_integrations.admin_scoping import OrganizationScopedAdmin, SuperuserOnlyAdmin
from crm_integrations.intake import admin as debugger_admin
from crm_integrations.intake import workflow_secrets
from crm_integrations.models import (
    Integration,
    Membership,
    Organization,
    OrganizationIntegration,
    ProviderApiCall,
    ProviderCircuitBreaker,
    SyncCursor,
)

__all__ = ["debugger_admin"]  # imported for its registrations (the webhook debugger)


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


@admin.register(OrganizationIntegration)
class OrganizationIntegrationAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Connections: credentials are never shown, only whether they are set and when they expire."""

    organization_path = "organization"

    list_display = [
        "organization",
        "integration",
        "environment",
        "status",
        "external_account_id",
        "access_token_state",
        "refresh_token_state",
        "expires_at",
        "updated_at",
    ]
    list_filter = ["integration", "environment", "status"]
    search_fields = ["organization__name", "external_account_id"]
    actions = ["issue_workflow_secret"]
    fields = [
        "organization",
        "integration",
        "environment",
        "status",
        "status_reason",
        "external_account_id",
        "access_token_state",
        "refresh_token_state",
        "expires_at",
        "scopes",
        "settings",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "access_token_state",
        "refresh_token_state",
        "expires_at",
        "scopes",
        "created_at",
        "updated_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        identity = ["organization", "integration", "environment"] if obj else []
        return identity + list(self.readonly_fields)

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

    def save_model(self, request: HttpRequest, obj: OrganizationIntegration, form: Any, change: bool) -> None:
        saved = services.upsert_organization_integration(
            obj.organization,
            obj.integration.provider,
            obj.environment,
            status=obj.status,
            status_reason=obj.status_reason,
            external_account_id=obj.external_account_id,
            settings=obj.settings,
        )
        obj.pk = saved.pk


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
    list_display = [
        "created_at",
        "provider",
        "account",
        "method",
        "endpoint",
        "status_code",
        "error_kind",
        "latency_ms",
        "attempt",
        "breaker_state",
    ]
    list_filter = ["provider", "method", "status_code", "error_kind", "breaker_state"]
    search_fields = ["account", "endpoint", "correlation_id"]
    date_hierarchy = "created_at"


@admin.register(SyncCursor)
class SyncCursorAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Polling per connection: staff set how often; the cursor is read-only."""

    organization_path = "connection__organization"

    list_display = ["connection", "object_type", "poll_every_minutes", "last_polled_at", "last_result"]
    fields = ["connection", "object_type", "poll_every_minutes", "last_polled_at", "last_result", "cursor"]
    readonly_fields = ["connection", "object_type", "last_polled_at", "last_result", "cursor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
