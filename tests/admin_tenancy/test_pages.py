"""The custom pages (publish, simulate, reprocess, replay, file download, mapping wizard, rep sync,
connect and disconnect) read through the organization scoping: another organization's ids are not
found. Roles: a member views and simulates; an organization administrator publishes, replays,
reprocesses, runs actions, maps, connects and disconnects. Issuing a workflow secret and replaying
a delivery also need the change permission (crm_integrations/admin_scoping.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from crm_integrations import services
from crm_integrations.intake.tasks import replay_webhook_delivery
from crm_integrations.intake.workflow_secrets import SETTING
from crm_integrations.models import Membership, OrganizationIntegration
from routing.models import Decision, RuleSetVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Replays queued (the task is not run)."""
    calls: list[int] = []
    monkeypatch.setattr(replay_webhook_delivery, "delay", calls.append)
    return calls


@pytest.fixture
def disconnected(monkeypatch) -> list[OrganizationIntegration]:
    """Connections disconnected (without calling the CRM to revoke)."""
    calls: list[OrganizationIntegration] = []
    monkeypatch.setattr(
        services,
        "disconnect_connection",
        lambda connection: calls.append(connection) or services.Revocation.CONFIRMED,
    )
    return calls


def pages_of(world):
    """(method, URL, query) of every custom page, for ``world``'s objects."""
    organization = {"organization": world.organization.pk}
    return [
        ("get", reverse("admin:routing_ruleset_publish", args=[world.ruleset.pk]), {}),
        ("post", reverse("admin:routing_ruleset_publish", args=[world.ruleset.pk]), {"note": "x"}),
        ("get", reverse("admin:routing_ruleset_simulate", args=[world.ruleset.pk]), {"limit": 5}),
        ("post", reverse("admin:routing_leadjourney_reprocess", args=[world.lead.pk]), {}),
        ("get", reverse("admin:crm_integrations_webhookdelivery_replay", args=[world.delivery.pk]), {}),
        ("post", reverse("admin:crm_integrations_webhookdelivery_replay", args=[world.delivery.pk]), {}),
        ("get", reverse("admin:contracts_contractfile_download", args=[world.stored_file.pk]), {}),
        ("get", reverse("admin:field_mapping_fieldmapping_wizard_mapping", args=[world.connection.pk]), {}),
        ("get", reverse("crm_integrations:disconnect", args=[world.connection.pk]), {}),
        ("post", reverse("crm_integrations:disconnect", args=[world.connection.pk]), {"confirm": "yes"}),
        ("get", reverse("crm_integrations:oauth_authorize", args=["hubspot"]), organization),
        ("get", reverse("crm_integrations:monday:connect_token"), organization),
        ("get", reverse("crm_integrations:integrations"), organization),
    ]


@pytest.mark.parametrize("staff", ["as_member", "as_admin"])
def test_the_custom_pages_do_not_find_organization_a(staff, world_a, queued, disconnected, request):
    client = request.getfixturevalue(staff)
    versions, decisions = RuleSetVersion.objects.count(), Decision.objects.count()

    # A member may be refused by role before any lookup (403 for every id, so nothing is revealed);
    # an administrator gets past the role checks, so only the scoping stands in the way.
    expected = {404} if staff == "as_admin" else {403, 404}
    for method, url, data in pages_of(world_a):
        response = getattr(client, method)(url, data)
        assert response.status_code in expected, (method, url, response.status_code)

    assert not queued and not disconnected
    assert (RuleSetVersion.objects.count(), Decision.objects.count()) == (versions, decisions)


def test_the_rep_sync_offers_and_syncs_only_the_administrators_connections(
    as_admin, world_a, world_b, monkeypatch
):
    synced = []
    monkeypatch.setattr("routing.admin.reps.sync_reps", lambda connection: synced.append(connection) or "ok")
    page = as_admin.get(reverse("admin:routing_rep_sync")).content.decode()
    assert "Org B" in page and "Org A" not in page

    as_admin.post(reverse("admin:routing_rep_sync"), {"connection": "all"})
    as_admin.post(reverse("admin:routing_rep_sync"), {"connection": str(world_a.connection.pk)})
    assert synced == [world_b.connection]


def test_a_member_views_and_simulates_but_changes_nothing(as_member, world_b, queued, disconnected):
    simulate = reverse("admin:routing_ruleset_simulate", args=[world_b.ruleset.pk])
    assert as_member.get(simulate, {"limit": 5}).status_code == 200
    assert as_member.get(reverse("crm_integrations:integrations")).status_code == 200
    versions, decisions = RuleSetVersion.objects.count(), Decision.objects.count()

    refused = [
        as_member.get(reverse("admin:routing_ruleset_publish", args=[world_b.ruleset.pk])),
        as_member.post(reverse("admin:routing_ruleset_publish", args=[world_b.ruleset.pk]), {"note": "x"}),
        as_member.post(reverse("admin:routing_leadjourney_reprocess", args=[world_b.lead.pk])),
        as_member.post(reverse("admin:crm_integrations_webhookdelivery_replay", args=[world_b.delivery.pk])),
        as_member.get(reverse("admin:field_mapping_fieldmapping_wizard")),
        as_member.get(reverse("crm_integrations:disconnect", args=[world_b.connection.pk])),
        as_member.post(
            reverse("crm_integrations:disconnect", args=[world_b.connection.pk]), {"confirm": "yes"}
        ),
        as_member.get(reverse("crm_integrations:oauth_authorize", args=["hubspot"])),
        as_member.get(reverse("crm_integrations:monday:connect_token")),
        as_member.get(reverse("admin:routing_rep_sync")),
        as_member.post(
            reverse("admin:routing_routingpolicy_change", args=[world_b.organization.routing_policy.pk])
        ),
        as_member.get(reverse("admin:routing_rule_add")),
    ]

    assert [response.status_code for response in refused] == [403] * len(refused)
    assert (RuleSetVersion.objects.count(), Decision.objects.count()) == (versions, decisions)
    assert not queued and not disconnected
    secret = issue_secret(as_member, world_b.connection)
    assert secret is None and SETTING not in world_b.connection.settings


def test_an_administrator_publishes_replays_reprocesses_and_disconnects(
    as_admin, world_b, queued, disconnected
):
    published = as_admin.post(
        reverse("admin:routing_ruleset_publish", args=[world_b.ruleset.pk]), {"note": "x"}
    )
    assert (
        published.status_code == 302 and RuleSetVersion.objects.filter(ruleset=world_b.ruleset).count() == 2
    )

    replay = reverse("admin:crm_integrations_webhookdelivery_replay", args=[world_b.delivery.pk])
    assert as_admin.post(replay).status_code == 302 and queued == [world_b.delivery.pk]
    change = as_admin.get(
        reverse("admin:crm_integrations_webhookdelivery_change", args=[world_b.delivery.pk])
    )
    assert 'id="replay"' in change.content.decode()

    decisions = Decision.objects.filter(lead=world_b.lead).count()
    as_admin.post(reverse("admin:routing_leadjourney_reprocess", args=[world_b.lead.pk]))
    assert Decision.objects.filter(lead=world_b.lead).count() == decisions + 1

    assert issue_secret(as_admin, world_b.connection)

    disconnect = reverse("crm_integrations:disconnect", args=[world_b.connection.pk])
    asked = as_admin.post(disconnect)  # the integrations page's button: a confirmation first
    assert (
        asked.status_code == 200 and 'id="confirm-disconnect"' in asked.content.decode() and not disconnected
    )
    confirmed = as_admin.post(disconnect, {"confirm": "yes"})
    assert confirmed.status_code == 302 and disconnected == [world_b.connection]
    assert as_admin.get(reverse("admin:field_mapping_fieldmapping_wizard")).status_code == 200


def test_a_rule_added_under_organization_a_ruleset_offers_none_of_its_reps(as_admin, world_a, world_b):
    page = as_admin.get(reverse("admin:routing_rule_add"), {"ruleset": world_a.ruleset.pk})
    form = page.context["adminform"].form
    assert world_a.rep not in form.fields["pool_reps"].queryset
    assert world_a.ruleset not in form.fields["ruleset"].queryset
    assert world_a.rep.name not in page.content.decode()


def issue_secret(client: Client, connection: OrganizationIntegration) -> str | None:
    """Run "Issue a workflow webhook secret" on ``connection``: the secret shown, or None."""
    response = client.post(
        reverse("admin:crm_integrations_organizationintegration_changelist"),
        {"action": "issue_workflow_secret", "_selected_action": [str(connection.pk)]},
    )
    return (response.context or {}).get("secret") if response.status_code == 200 else None


def administrator_with(django_user_model, world, *codenames: str) -> Client:
    """An administrator of ``world``'s organization holding only the permissions named."""
    user = django_user_model.objects.create_user("-".join(codenames), password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    Membership.objects.create(organization=world.organization, user=user, role=Membership.Role.ADMIN)
    client = Client()
    client.force_login(user)
    return client


def test_issuing_a_workflow_secret_needs_the_change_permission(django_user_model, world_b):
    viewer = administrator_with(django_user_model, world_b, "view_organizationintegration")
    assert issue_secret(viewer, world_b.connection) is None
    world_b.connection.refresh_from_db()
    assert SETTING not in world_b.connection.settings

    changer = administrator_with(django_user_model, world_b, "change_organizationintegration")
    assert issue_secret(changer, world_b.connection)


def test_replaying_a_delivery_needs_the_change_permission(django_user_model, world_b, queued):
    replay = reverse("admin:crm_integrations_webhookdelivery_replay", args=[world_b.delivery.pk])
    change = reverse("admin:crm_integrations_webhookdelivery_change", args=[world_b.delivery.pk])
    viewer = administrator_with(django_user_model, world_b, "view_webhookdelivery")
    assert 'id="replay"' not in viewer.get(change).content.decode()
    assert viewer.post(replay).status_code == 403 and queued == []

    replayer = administrator_with(
        django_user_model, world_b, "view_webhookdelivery", "change_webhookdelivery"
    )
    assert replayer.post(replay).status_code == 302 and queued == [world_b.delivery.pk]


def test_the_integrations_page_offers_connect_and_disconnect_to_administrators_only(
    as_member, as_admin, world_b
):
    url = reverse("crm_integrations:integrations")
    member_page = as_member.get(url, {"organization": world_b.organization.pk}).content.decode()
    admin_page = as_admin.get(url, {"organization": world_b.organization.pk}).content.decode()

    assert 'id="view-only"' in member_page and "Connect a CRM" not in member_page
    assert 'class="button disconnect"' not in member_page
    assert "Connect a CRM" in admin_page and 'class="button disconnect"' in admin_page
