"""``/api/v1/integrations/<provider>/auth`` and ``/callback``: the OAuth connect flow for any provider."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET

from crm_integrations import selectors, services
from crm_integrations.core import oauth, registry
from crm_integrations.core.environments import enabled_environment_choices
from crm_integrations.core.errors import CrmError
from crm_integrations.core.provider import CrmProvider
from crm_integrations.models import Environment, Membership, Organization, OrganizationIntegration

from .context import administered_organization

logger = logging.getLogger(__name__)


@staff_member_required
@require_GET
def authorize(request: HttpRequest, provider: str) -> HttpResponse:
    """Send staff to the CRM's consent page for the chosen organization and environment."""
    organization = administered_organization(request)
    environment = request.GET.get("environment", Environment.PRODUCTION)
    if environment not in dict(enabled_environment_choices()):
        messages.error(request, f"Unknown or disabled environment '{environment}'.")
        return redirect("crm_integrations:select_crm")
    try:
        app = registry.get_provider(provider).oauth_app(environment)
    except (registry.UnknownProvider, NotImplementedError):
        messages.error(request, f"'{provider}' cannot be connected with OAuth.")
        return redirect("crm_integrations:select_crm")
    if not app.configured:
        messages.error(request, f"The {provider} app for {environment} has no client id/secret configured.")
        return redirect("crm_integrations:select_crm")
    url = oauth.begin(
        request, provider=provider, app=app, organization_id=organization.pk, environment=environment
    )
    return redirect(url)


@staff_member_required
@require_GET
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    """Finish the connection: check state, exchange the code, identify the account, store it all."""
    try:
        pending = oauth.consume_state(request, provider=provider, state=request.GET.get("state", ""))
    except oauth.OAuthFlowError as error:
        messages.error(request, str(error))
        return redirect("crm_integrations:integrations")
    if request.GET.get("error"):
        description = request.GET.get("error_description") or request.GET["error"]
        messages.error(request, f"The connection was not approved: {description}")
        return redirect("crm_integrations:integrations")
    code = request.GET.get("code")
    if not code:
        messages.error(request, "The CRM sent no authorization code. Please start again.")
        return redirect("crm_integrations:integrations")

    provider_impl = registry.get_provider(provider)
    administered = selectors.organizations_for_user(request.user, role=Membership.Role.ADMIN)
    organization = get_object_or_404(administered, pk=pending.organization_id)
    try:
        app = provider_impl.oauth_app(pending.environment)
        tokens = oauth.exchange_code(app, code=code, code_verifier=pending.code_verifier)
        connection = _keep_or_revoke(provider_impl, app, pending, organization, tokens)
    except services.AccountAlreadyConnected as error:
        messages.error(request, str(error))
        return redirect("crm_integrations:integrations")
    except CrmError as error:
        logger.warning("Connecting %s for organization %s failed: %s", provider, organization.pk, error)
        messages.error(
            request, f"Connecting {provider_impl.name} failed: {error.message.rstrip('.')}. Please try again."
        )
        return redirect("crm_integrations:integrations")
    messages.success(
        request,
        f"{provider_impl.name} connected (account {connection.external_account_id}, {pending.environment}).",
    )
    return redirect("crm_integrations:integrations")


def _keep_or_revoke(
    provider_impl: CrmProvider,
    app: oauth.OAuthApp,
    pending: oauth.PendingAuthorization,
    organization: Organization,
    tokens: oauth.TokenSet,
) -> OrganizationIntegration:
    """Identify the account behind fresh tokens, learn when the access token expires (the
    provider's ``expiry_from_grant``) and store the connection.

    Whatever refuses it (an account another organization holds, an inactive token, any error)
    revokes the grant at the CRM first, best effort: tokens we do not keep must not stay live.
    """
    try:
        account = provider_impl.identify_account(pending.environment, tokens)
        expires_at = provider_impl.expiry_from_grant(pending.environment, tokens)
        return services.connect_organization(
            organization=organization,
            provider=pending.provider,
            environment=pending.environment,
            tokens=replace(tokens, expires_at=expires_at),
            account_id=account.account_id,
            scopes=account.scopes,
            settings=account.settings,
        )
    except Exception:
        oauth.revoke_best_effort(app, refresh_token=tokens.refresh_token)
        raise
