"""Two organizations, A and B, each with a row in every organization-scoped admin, and staff of B
only: a member and an administrator, both holding every model permission (so only the
organization scoping and the roles stand between them and A's rows)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from crm_integrations.models import Membership

from .world import World, build_world


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def world_a(catalogue, media) -> World:
    return build_world("A", account="11110001")


@pytest.fixture
def world_b(catalogue, media) -> World:
    return build_world("B", account="22220002")


def staff_of(django_user_model, organization, role: str, username: str):
    user = django_user_model.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.all())
    Membership.objects.create(organization=organization, user=user, role=role)
    return user


@pytest.fixture
def member_b(django_user_model, world_b):
    return staff_of(django_user_model, world_b.organization, Membership.Role.MEMBER, "member-of-b")


@pytest.fixture
def admin_b(django_user_model, world_b):
    return staff_of(django_user_model, world_b.organization, Membership.Role.ADMIN, "admin-of-b")


@pytest.fixture
def as_member(member_b, world_a) -> Client:
    client = Client()
    client.force_login(member_b)
    return client


@pytest.fixture
def as_admin(admin_b, world_a) -> Client:
    client = Client()
    client.force_login(admin_b)
    return client
