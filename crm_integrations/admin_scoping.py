"""Organization scoping of the admin: each organization's staff see and change only its own rows.

Every ModelAdmin on the site is one of two kinds (``crm_integrations/admin_site.py`` closes any
other registration, a third-party one included, as superuser-only):

- ``OrganizationScopedAdmin`` declares ``organization_path``, the lookup from its model to
  Organization (``"organization"``, ``"connection__organization"``, ``"pk"`` on Organization
  itself). Everything reads through ``get_queryset``, so lists, change pages, history, deletion,
  actions, autocomplete and the custom pages that fetch through it hold only the user's
  organizations' rows (another organization's object is not found); list filters offer only the
  related rows present; foreign-key choices offer only rows of organizations the user administers.
  Roles (``Membership.Role``): a member views; the organization's administrator also changes,
  adds, deletes and runs actions. Django's model permissions still apply on top.
- ``SuperuserOnlyAdmin``: tables that belong to no organization (users, tokens, schedules, circuit
  breakers, login attempts): superusers only.

A superuser sees and changes everything.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db.models import Model, QuerySet
from django.forms import Field
from django.http import HttpRequest

from crm_integrations.models import Membership
from crm_integrations.selectors import organizations_for_user

CACHE = "_organization_scope"  # per-request memo on the request object


def organization_ids(request: HttpRequest, *, administered: bool = False) -> frozenset[int] | None:
    """Ids of the user's organizations (``administered``: those where the user is an administrator);
    None for a superuser, meaning every organization. Read once per request."""
    if request.user.is_superuser:
        return None
    memo = request.__dict__.setdefault(CACHE, {})
    if administered not in memo:
        role = Membership.Role.ADMIN if administered else None
        memo[administered] = frozenset(
            organizations_for_user(request.user, role=role).values_list("pk", flat=True)
        )
    return memo[administered]


def choices_for(admin_site: admin.AdminSite, request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """What a foreign-key or many-to-many field may offer: rows of organizations the user
    administers, for a model whose admin is organization-scoped; everything for a shared catalogue
    (``choices_for_everyone``) or a superuser; nothing otherwise (users, tokens, unregistered models)."""
    if request.user.is_superuser:
        return queryset
    owner = admin_site._registry.get(queryset.model)
    if isinstance(owner, OrganizationScopedAdmin):
        return owner.scope(request, queryset, administered=True)
    if getattr(owner, "choices_for_everyone", False):
        return queryset
    return queryset.none()


def _scoped_field(admin_site: admin.AdminSite, request: HttpRequest, field: Field | None) -> Field | None:
    if field is not None and hasattr(field, "queryset"):
        field.queryset = choices_for(admin_site, request, field.queryset)
    return field


class ScopedChoices:
    """Foreign-key and many-to-many choices narrowed by ``choices_for`` (model admins and inlines)."""

    admin_site: admin.AdminSite

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Field | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scoped_field(self.admin_site, request, field)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Field | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scoped_field(self.admin_site, request, field)


class OrganizationScopedAdmin(ScopedChoices):
    """Mix into a ModelAdmin (before ``admin.ModelAdmin``) and set ``organization_path``."""

    organization_path: str = ""

    model: type[Model]

    # -- which rows ----------------------------------------------------------------------------------

    def scope(
        self, request: HttpRequest, queryset: QuerySet, *, administered: bool = False, through: str = ""
    ) -> QuerySet:
        """``queryset`` kept to the user's organizations (``administered``: where the user is an
        administrator). ``through`` prefixes the path, for rows related to this admin's model
        (``through="contract"`` keeps contract files to the user's contracts)."""
        ids = organization_ids(request, administered=administered)
        if ids is None:
            return queryset
        path = "__".join(part for part in (through, self.organization_path) if part)
        return queryset.filter(**{f"{path}__in": ids})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope(request, super().get_queryset(request))

    def covers(self, request: HttpRequest, obj: Model | None, *, administered: bool) -> bool:
        """Whether ``obj`` (None: any object of the model) is in the user's organizations."""
        ids = organization_ids(request, administered=administered)
        if ids is None:
            return True
        if obj is None or obj.pk is None:
            return bool(ids)
        memo = request.__dict__.setdefault(CACHE, {})
        key = (self.model._meta.label, obj.pk, administered)
        if key not in memo:
            rows = self.model._default_manager.filter(pk=obj.pk)
            memo[key] = self.scope(request, rows, administered=administered).exists()
        return memo[key]

    def can_administer(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """The role half of every write (change, actions, replay, publish, reprocess...)."""
        return self.covers(request, obj, administered=True)

    # -- permissions by role ---------------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) and self.covers(request, None, administered=False)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return allowed and self.covers(request, obj, administered=False)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self.can_administer(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self.can_administer(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self.can_administer(request, obj)

    # -- actions, filters, inlines ----------------------------------------------------------------------

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """Actions write (or queue work): organization administrators only."""
        if not self.can_administer(request):
            return {}
        return super().get_actions(request)

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> Any:
        """An action runs only on the chosen rows of organizations the user administers."""
        return super().response_action(request, self.scope(request, queryset, administered=True))

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        """A filter on a relation offers only the related rows present in the user's list (the
        plain one would list every organization's)."""
        return [self._scoped_filter(item) for item in super().get_list_filter(request)]

    def _scoped_filter(self, item: Any) -> Any:
        if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation:
            return (item, admin.RelatedOnlyFieldListFilter)
        return item

    def get_inlines(self, request: HttpRequest, obj: Model | None) -> list[type]:
        return [scoped_inline(inline) for inline in super().get_inlines(request, obj)]


class OrganizationScopedInline(ScopedChoices):
    """An inline of an organization-scoped admin: its rows come with the parent (already scoped);
    adding, changing or deleting them needs the administrator role on the parent's organization."""

    parent_model: type[Model]

    def _administers(self, request: HttpRequest, obj: Model | None) -> bool:
        parent = self.admin_site._registry.get(self.parent_model)
        return isinstance(parent, OrganizationScopedAdmin) and parent.can_administer(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Model | None) -> bool:
        return super().has_add_permission(request, obj) and self._administers(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._administers(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._administers(request, obj)


@cache
def scoped_inline(inline: type) -> type:
    """``inline`` with ``OrganizationScopedInline`` mixed in (so no inline can forget it)."""
    if issubclass(inline, OrganizationScopedInline):
        return inline
    return type(inline.__name__, (OrganizationScopedInline, inline), {"__module__": inline.__module__})


class SuperuserOnlyAdmin:
    """Mix into the admin of a table that belongs to no organization: superusers only.

    ``choices_for_everyone``: its rows are a shared catalogue (the CRMs offered), so other admins'
    forms may still offer them as choices.
    """

    choices_for_everyone = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.none()


def closed_unless_scoped(admin_class: type) -> type:
    """``admin_class`` if it is organization-scoped or superuser-only, else it made superuser-only."""
    if issubclass(admin_class, OrganizationScopedAdmin | SuperuserOnlyAdmin):
        return admin_class
    attributes = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
    return type(admin_class.__name__, (SuperuserOnlyAdmin, admin_class), attributes)
