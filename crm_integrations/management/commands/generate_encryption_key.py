import base64
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone


class Command(BaseCommand):
    help = "Print a new 'key_id:base64key' entry for ENCRYPTION_KEYS (put it FIRST to make it the newest)."

    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key-id", default=timezone.now().strftime("k%Y%m%d%H%M%S"))

    def handle(self, *args: Any, key_id: str, **options: Any) -> None:
        self.stdout.write(f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}")
