"""A provider's templates live in its folder (crm_integrations/core/templates.py finds them) and the
shared pages show them where the provider says, naming no CRM themselves."""

from __future__ import annotations

from django.template.loader import get_template
from django.urls import reverse

from crm_integrations.core import registry
from crm_integrations.services import upsert_organization_integration


def test_each_providers_templates_are_found_in_its_own_folder():
    origin = get_template("monday/token.html").origin.name
    assert origin == str(registry.get_provider("monday").template_dir() / "monday" / "token.html")


def test_the_workflow_secret_page_shows_the_providers_own_setup_help(admin_client, organization):
    connection = upsert_organization_integration(
        organization, "hubspot", "production", status="connected", external_account_id="24000001"
    )
    response = admin_client.post(
        reverse("admin:crm_integrations_organizationintegration_changelist"),
        {"action": "issue_workflow_secret", "_selected_action": [str(connection.pk)]},
    )
    assert 'the workflow\'s "Send a webhook" action' in response.content.decode()
