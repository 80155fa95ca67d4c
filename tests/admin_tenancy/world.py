"""One organization's rows in every organization-scoped admin, built without a CRM: a connection
with its default mapping and polling cursor, a rep in a team, a published rule, a routed lead (its
decision and queued owner write-back), a routing policy, a webhook delivery carrying a lead's
personal data, a contract with a stored file and a deal-stage status, an incident and alert settings."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile

from contracts.models import Contract, ContractFile, FileState, StageStatus
from crm_integrations.models import (
    AlertSettings,
    Incident,
    Organization,
    OrganizationIntegration,
    SignatureVerdict,
    SyncCursor,
    WebhookDelivery,
)
from crm_integrations.services import upsert_organization_integration
from field_mapping.models import Lead
from field_mapping.services import default_mapping_for
from routing.assign import policy_for, route_leads
from routing.models import Rep, RuleSet

from ..routing import factories as make


@dataclass
class World:
    organization: Organization
    connection: OrganizationIntegration
    rep: Rep
    ruleset: RuleSet
    lead: Lead
    delivery: WebhookDelivery
    contract: Contract
    stored_file: ContractFile


def build_world(name: str, account: str) -> World:
    organization = Organization.objects.create(name=f"Org {name}", slug=f"org-{name.lower()}")
    connection = upsert_organization_integration(
        organization,
        "hubspot",
        "production",
        status="connected",
        external_account_id=account,
        access_token=f"access-{name}",
        refresh_token=f"refresh-{name}",
    )
    default_mapping_for(connection)
    SyncCursor.objects.create(connection=connection, object_type="leads")
    rep = make.rep(connection, f"Rep{name}")
    make.team(organization, f"Team {name}", [rep])
    make.rule(organization, f"Everyone {name}", reps=[rep])
    make.publish(organization)
    policy_for(organization.pk)
    lead = make.lead(connection, email=f"person@{name.lower()}.example")
    route_leads(connection, [lead])
    delivery = WebhookDelivery.objects.create(
        provider="hubspot",
        method="POST",
        url="https://leads.example.com/api/v1/integrations/hubspot/events",
        body=f'[{{"email": "person@{name.lower()}.example"}}]',
        signature=SignatureVerdict.VALID,
        status="processed",
        organization=organization,
    )
    contract = Contract.objects.create(
        organization=organization,
        connection=connection,
        provider="hubspot",
        external_id=f"deal-{name}",
        title=f"Contract {name}",
    )
    stored_file = ContractFile.objects.create(
        contract=contract, external_id="f1", name=f"{name}.pdf", state=FileState.STORED
    )
    stored_file.file.save(f"{name}.pdf", ContentFile(b"%PDF-1.4 " + name.encode()))
    StageStatus.objects.create(connection=connection, stage="closedwon", status="signed")
    Incident.objects.create(organization=organization, connection=connection, kind="needs_reconnection")
    AlertSettings.objects.create(
        organization=organization, slack_webhook_url=f"https://hooks.slack.com/services/T/B/{name}"
    )
    ruleset = RuleSet.objects.get(organization=organization)
    return World(organization, connection, rep, ruleset, lead, delivery, contract, stored_file)
