"""Issue an API token for a user: printed once, stored only as a digest (django-rest-knox)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from knox.models import AuthToken


class Command(BaseCommand):
    help = "Issue an API token for a user (shown once; send it as `Authorization: Token <token>`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days", type=int, default=None, help="Valid for this many days (default: API_TOKEN_DAYS, 90)"
        )

    def handle(self, *args: Any, username: str, days: int | None, **options: Any) -> None:
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user “{username}”.")
        kwargs = {} if days is None else {"expiry": timedelta(days=days)}
        instance, token = AuthToken.objects.create(user, **kwargs)
        expiry = f"until {instance.expiry:%Y-%m-%d %H:%M} UTC" if instance.expiry else "without expiry"
        self.stderr.write(f"API token for {username}, valid {expiry}; it is shown only now:")
        self.stdout.write(token)
