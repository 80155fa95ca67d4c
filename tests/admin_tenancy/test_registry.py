"""Generated from the admin registry: every registered model, the project's and third-party apps'
(auth, knox, django-celery-beat, django-axes...), is either organization-scoped or superuser-only,
and behaves so for staff of organization B only (with every model permission).

A new admin is covered without being named here; a new organization-scoped one needs a row of each
organization in ``world.py`` (the first test says so)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.urls import NoReverseMatch, reverse

from crm_integrations.admin_scoping import OrganizationScopedAdmin, SuperuserOnlyAdmin
from crm_integrations.models import Organization

pytestmark = pytest.mark.django_db


def _label(model: type[Model]) -> str:
    return model._meta.label


REGISTRY = sorted(admin.site._registry.items(), key=lambda item: _label(item[0]))
SCOPED = [model for model, model_admin in REGISTRY if isinstance(model_admin, OrganizationScopedAdmin)]
SUPERUSER_ONLY = [model for model, model_admin in REGISTRY if isinstance(model_admin, SuperuserOnlyAdmin)]


def url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def rows_of(model: type[Model], organization: Any) -> QuerySet:
    path = admin.site._registry[model].organization_path
    return model._default_manager.filter(**{path: organization.pk})


@pytest.fixture
def as_superuser(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.mark.parametrize("model", [model for model, _ in REGISTRY], ids=_label)
def test_every_registered_admin_is_organization_scoped_or_superuser_only(model):
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, OrganizationScopedAdmin) != isinstance(model_admin, SuperuserOnlyAdmin)


def test_the_system_tables_and_third_party_admins_are_superuser_only():
    labels = {_label(model) for model in SUPERUSER_ONLY}
    assert {"auth.User", "auth.Group", "knox.AuthToken", "django_celery_beat.PeriodicTask"} <= labels
    assert {"crm_integrations.ProviderCircuitBreaker", "axes.AccessAttempt", "axes.AccessLog"} <= labels


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_a_member_of_b_lists_no_row_of_a(model, as_member, world_a, world_b):
    theirs = set(rows_of(model, world_a.organization).values_list("pk", flat=True))
    ours = set(rows_of(model, world_b.organization).values_list("pk", flat=True))
    assert theirs and ours, f"tests/admin_tenancy/world.py makes no {_label(model)} row of each organization"

    response = as_member.get(url(model, "changelist"))

    assert response.status_code == 200
    listed = {row.pk for row in response.context["cl"].result_list}
    assert not listed & theirs and ours <= listed
    assert "Org A" not in response.content.decode()  # nor in a list filter's choices


@pytest.mark.parametrize("model", SCOPED, ids=_label)
@pytest.mark.parametrize("staff", ["as_member", "as_admin"])
def test_staff_of_b_cannot_open_a_row_of_a(model, staff, world_a, request):
    client = request.getfixturevalue(staff)
    theirs = rows_of(model, world_a.organization).first()
    for view in ("change", "history", "delete"):
        response = client.get(url(model, view, theirs.pk))
        if view == "delete" and response.status_code == 403:
            continue  # refused before any lookup (the same answer for any id): nothing revealed
        assert response.status_code in (302, 404), view
        assert response.status_code == 404 or response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_a_member_views_b_rows_read_only_and_an_administrator_changes_what_a_superuser_can(
    model, as_member, as_admin, as_superuser, world_b
):
    ours = rows_of(model, world_b.organization).first()
    change = url(model, "change", ours.pk)

    viewed = as_member.get(change)
    assert viewed.status_code == 200 and 'name="_save"' not in viewed.content.decode()
    can_save = 'name="_save"' in as_superuser.get(change).content.decode()
    assert ('name="_save"' in as_admin.get(change).content.decode()) == can_save

    changelist = url(model, "changelist")
    assert actions(as_member, changelist) == set()
    expected = actions(as_superuser, changelist)
    if model is Organization:
        expected -= {"delete_selected"}  # organizations are created and deleted by superusers
    assert actions(as_admin, changelist) == expected


def actions(client: Any, changelist: str) -> set[str]:
    form = client.get(changelist).context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form else set()


def _choice_fields(response: Any) -> list[tuple[str, Any]]:
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.extend(inline.formset.forms)
        forms.append(inline.formset.empty_form)
    return [  # not a formset's hidden row id: it names rows, it offers none
        (name, field)
        for form in forms
        for name, field in form.fields.items()
        if hasattr(field, "queryset") and not field.widget.is_hidden
    ]


@pytest.mark.parametrize("model", SCOPED, ids=_label)
def test_an_administrator_of_b_cannot_pick_a_row_of_a_in_any_form(model, as_admin, world_a, world_b):
    pages = [url(model, "change", rows_of(model, world_b.organization).first().pk), url(model, "add")]
    for page in pages:
        response = as_admin.get(page)
        if response.status_code == 403 and page.endswith("/add/"):  # nobody adds these (leads...)
            continue
        assert response.status_code == 200, page
        for name, field in _choice_fields(response):
            owner = admin.site._registry.get(field.queryset.model)
            if isinstance(owner, OrganizationScopedAdmin):
                offered = field.queryset.filter(**{owner.organization_path: world_a.organization.pk})
                assert not offered.exists(), f"{page}: {name} offers {list(offered)}"
            elif not getattr(owner, "choices_for_everyone", False):
                assert not field.queryset.exists(), f"{page}: {name} offers {field.queryset.model}"


@pytest.mark.parametrize("model", SUPERUSER_ONLY, ids=_label)
def test_superuser_only_tables_are_refused_to_staff_of_an_organization(model, as_admin, as_superuser):
    assert as_admin.get(url(model, "changelist")).status_code == 403
    try:
        add = url(model, "add")
    except NoReverseMatch:
        add = None
    if add:
        assert as_admin.get(add).status_code == 403
    row = model._default_manager.first()
    if row is not None:
        assert as_admin.get(url(model, "change", row.pk)).status_code in (302, 403)
    assert as_superuser.get(url(model, "changelist")).status_code == 200


def test_the_index_offers_staff_of_b_the_scoped_models_only(as_member):
    """Grouped by task (crm_integrations/admin_nav.py): every scoped model but the system tables,
    which the "System" group shows superusers only; the pages that are not models have no model."""
    apps = as_member.get(reverse("admin:index")).context["available_apps"]
    offered = {entry["model"] for app in apps for entry in app["models"] if "model" in entry}
    system = {model for model in SCOPED if _label(model) == "crm_integrations.SyncCursor"}
    assert offered == set(SCOPED) - system
    assert "System" not in {app["name"] for app in apps}


def test_autocomplete_of_users_is_refused_to_staff_of_an_organization(as_admin, as_superuser):
    query = {"app_label": "crm_integrations", "model_name": "membership", "field_name": "user", "term": ""}
    assert as_admin.get(reverse("admin:autocomplete"), query).status_code == 403
    assert as_superuser.get(reverse("admin:autocomplete"), query).status_code == 200
