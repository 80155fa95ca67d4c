"""A provider descriptor: what the registry knows about one CRM (the Sentry provider/installation split)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .allocation import AllocationReading
from .client import CrmClient
from .default_mapping import DefaultMapping

if TYPE_CHECKING:
    from crm_integrations.models import OrganizationIntegration

    from .oauth import OAuthApp, TokenSet
    from .webhooks import InboundEvent, SignatureCheck, WorkflowRequest


@dataclass(frozen=True)
class ProviderAction:
    """A link a provider adds to the staff pages (another way to connect, a setup step still to do)."""

    label: str
    url: str
    element_id: str = ""


@dataclass(frozen=True)
class ConnectedAccount:
    """Who a fresh grant belongs to: the CRM account id and the scopes actually granted.

    ``settings``: what the provider keeps from the grant in ``connection.settings`` (Salesforce's
    ``instance_url``, where every API call goes, and the user who connected).
    """

    account_id: str
    scopes: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)


class CrmProvider:
    """Subclass once per CRM and list its dotted path in ``settings.CRM_PROVIDERS``.

    The class describes everything the rest of the product needs to know about its CRM, so that a
    provider is its folder under crm_integrations/ and that one line: the catalogue row
    (crm_integrations/catalogue.py), the mapping wizard's object types, associations and default
    mapping (field_mapping/providers.py), the rate budgets (crm_integrations/core/http/budgets.py),
    its settings (its own ``config`` module), its staff pages and templates (its folder's
    ``templates/``, crm_integrations/core/templates.py) and its local sandbox (``make run``).
    tests/test_provider_boundaries.py checks that nothing outside the folder names it.
    """

    key: ClassVar[str]
    name: ClassVar[str]
    client_class: ClassVar[type[CrmClient]]
    #: Whether staff can connect it yet. A provider still being built is listed (the selection screen
    #: shows it "not yet available") but cannot be connected.
    available: ClassVar[bool] = True
    #: Object types this provider takes leads from, in order of preference.
    lead_object_types: ClassVar[tuple[str, ...]] = ()
    #: Associations the client follows from each object type (``{object type: {target type, ...}}``),
    #: which the mapping wizard offers as hops (``contacts.companies.industry``).
    associations: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: Where a new connection's field mapping starts, one per lead object type that has one.
    default_mappings: ClassVar[tuple[DefaultMapping, ...]] = ()
    #: Whether the CRM's workflows can call ``.../webhook`` (the two ``*_workflow_webhook`` hooks).
    workflow_webhooks: ClassVar[bool] = False
    #: Shown under a new workflow webhook secret (the admin's "Issue a workflow webhook secret"): a
    #: template in the provider's ``templates/`` saying where to paste it in the CRM; "" for none.
    workflow_setup_template: ClassVar[str] = ""
    #: The local fake CRM that ``make run`` starts (``manage.py run_sandbox --all``): a package under
    #: devtools/ run with ``python -m``. Named by string: product code never imports devtools.
    sandbox: ClassVar[str] = ""
    #: The fewest records an intake round takes at no more calls per record than a larger round (a
    #: full read call's worth, or several where reads of related objects take more at once): once that
    #: many of a connection's events wait, a second round may run beside the one under way
    #: (crm_integrations/intake/batches.py). None: ``WEBHOOK_INTAKE_BATCH``.
    full_intake_round: ClassVar[int | None] = None

    def get_client(self, connection: OrganizationIntegration) -> CrmClient:
        return self.client_class(connection)

    def rate_limits(self) -> dict[str, list[list[int]]]:
        """The provider's rate budgets, ``{budget key: [[units, seconds], ...]}`` (its own environment
        variables may change them; ``settings.CRM_RATE_LIMITS`` overrides any)."""
        return {}

    #: How the health page names the main rate budget (``rate_limits()[key]``), e.g. "calls per
    #: 10-second window"; empty: described from the budget's own numbers.
    budget_label: ClassVar[str] = ""

    def budget_capacity(self, seconds: float) -> float | None:
        """How many units the account's main rate budget (``rate_limits()[key]`` as the limiter has
        it, crm_integrations/core/http/budgets.py) allows over ``seconds`` at its tightest window;
        None when the provider has no budget. The provider health page (crm_integrations/health.py)
        charts units taken per minute against it; override for a budget that is not units per
        window (a daily quota read from the CRM's own answers)."""
        from .http.budgets import rate_budgets  # the HTTP layer sits above the provider contract

        budget = rate_budgets().get(self.key)
        if not budget or seconds <= 0:
            return None
        return min(float(limit) * seconds / float(window) for limit, window in budget)

    def describe_budget(self) -> str:
        """``budget_label``, or the main budget's numbers in words ("100 units per 10 s")."""
        from .http.budgets import rate_budgets

        if self.budget_label:
            return self.budget_label
        budget = rate_budgets().get(self.key) or []
        return ", ".join(f"{int(limit):,} units per {float(window):g} s" for limit, window in budget)

    def daily_allocation(self, connection: OrganizationIntegration) -> AllocationReading | None:
        """The account's daily API allocation as the CRM last reported it (crm_integrations/core/
        allocation.py), for the health page and the pause below; None for CRMs that meter no day."""
        return None

    def non_urgent_paused(self, connection: OrganizationIntegration) -> str | None:
        """Why work that can wait (backfills) must not spend API calls now, in words; None: go on.
        Asked through the registry before each batch; new leads (webhooks, polls) never ask. By
        default the daily allocation's reading past its pause share."""
        reading = self.daily_allocation(connection)
        return reading.pause_reason() if reading else None

    def template_dir(self) -> Path:
        """``<its folder>/templates``: its staff pages' templates (crm_integrations/core/templates.py)."""
        return Path(sys.modules[type(self).__module__].__file__ or "").resolve().parent / "templates"

    def sandbox_arguments(self, *, web_url: str, state_dir: Path) -> list[str]:
        """The command line ``make run`` starts ``sandbox`` with: this deployment's "sandbox" app
        (port, secrets), where to send webhooks (``web_url``: the local web server) and where to
        keep state (``state_dir``)."""
        return []

    def urlpatterns(self) -> list[Any]:
        """The provider's own staff pages, mounted under ``/integrations/<key>/`` (namespace ``key``):
        the ``urlpatterns`` of a ``urls`` module in its folder (crm_integrations/monday/urls.py), as
        django-allauth's providers have; none without one."""
        package = type(self).__module__.rpartition(".")[0]
        if not package or importlib.util.find_spec(f"{package}.urls") is None:
            return []
        return list(importlib.import_module(f"{package}.urls").urlpatterns)

    def api_urlpatterns(self) -> list[Any]:
        """Endpoints the CRM itself calls (Salesforce's Outbound Messages), mounted under
        ``/api/v1/integrations/<key>/`` (namespace ``<key>_api``): the ``api_urlpatterns`` of the
        same ``urls`` module; none without one."""
        package = type(self).__module__.rpartition(".")[0]
        if not package or importlib.util.find_spec(f"{package}.urls") is None:
            return []
        return list(getattr(importlib.import_module(f"{package}.urls"), "api_urlpatterns", []))

    def connect_actions(self, environment: str) -> list[ProviderAction]:
        """Ways to connect besides OAuth, shown on the CRM selection screen (an API token form...)."""
        return []

    def setup_actions(self, connection: OrganizationIntegration) -> list[ProviderAction]:
        """Steps a connection still needs (choosing a board...), shown on the integrations page."""
        return []

    def oauth_app(self, environment: str) -> OAuthApp:
        """The OAuth app registration for ``environment``; providers that connect by OAuth override."""
        raise NotImplementedError(f"{self.name} does not connect with OAuth.")

    def identify_account(self, environment: str, tokens: TokenSet) -> ConnectedAccount:
        """The CRM account (HubSpot portal, monday account) a fresh grant belongs to."""
        raise NotImplementedError(f"{self.name} does not connect with OAuth.")

    def expiry_from_grant(self, environment: str, tokens: TokenSet) -> datetime | None:
        """When the access token of a fresh grant or refresh expires; None when nobody knows (then
        only a 401 refreshes it). By default what the token answer's ``expires_in`` said
        (crm_integrations/core/oauth.py); a CRM whose answers carry none may ask elsewhere (token
        introspection). Called after connecting (crm_integrations/views/oauth.py) and after each
        refresh (crm_integrations/core/tokens.py); it must not raise for a CRM that will not say."""
        return tokens.expires_at

    def verify_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        """Check a webhook request's signature over the raw body (constant-time comparison)."""
        raise NotImplementedError(f"{self.name} sends no webhooks here.")

    def parse_webhook_events(self, body: bytes, *, account_id: str = "") -> list[InboundEvent]:
        """The events in a verified body; ``MalformedWebhook`` when it is not the provider's format.

        ``account_id`` is what the signature check vouched for (``SignatureCheck.account_id``), for
        providers whose bodies do not name the account.
        """
        raise NotImplementedError(f"{self.name} sends no webhooks here.")

    def webhook_handshake(self, body: bytes) -> dict[str, str] | None:
        """The JSON to answer when ``body`` is a URL-verification request (monday's challenge), else None."""
        return None

    def verify_workflow_webhook(
        self, *, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> SignatureCheck:
        """Check the signature of a workflow action's request (HubSpot: v2 over method, URL and body).

        Requests carrying our own per-connection secret header instead are checked before this,
        by ``crm_integrations.intake.workflow_secrets``, whatever the provider.
        """
        raise NotImplementedError(f"{self.name} sends no workflow webhooks here.")

    def parse_workflow_webhook(self, *, url: str, body: bytes) -> WorkflowRequest:
        """The record a workflow action's request names; ``MalformedWebhook`` when it names none."""
        raise NotImplementedError(f"{self.name} sends no workflow webhooks here.")
