import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from crm_integrations import services
from crm_integrations.models import Organization


class Command(BaseCommand):
    help = "Create the demo organization and an admin login (its password is printed once, on creation)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/")

    def handle(self, *args: Any, username: str, url: str, **options: Any) -> None:
        organization, _ = Organization.objects.get_or_create(slug="demo", defaults={"name": "Demo Company"})
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user = user_model.objects.create_superuser(username=username, email="", password=password)
            self.stdout.write(self.style.SUCCESS(f"Admin login created: {username} / {password}"))
            self.stdout.write(
                "(The password is shown only this once; `manage.py changepassword admin` resets it.)"
            )
        else:
            self.stdout.write(
                f"Admin login '{username}' already exists (its password was printed on first run)."
            )
        services.organization_add_member(organization=organization, user=user, role="admin")
        self.stdout.write(self.style.SUCCESS(f"Admin: {url}"))
