from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from crm_integrations.models import Organization
from devtools.demo.rules import starter_rules


class Command(BaseCommand):
    help = "Give an organization starter routing rules (a Sales team reps join, round robin among it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", default="demo", help="The organization's slug")

    def handle(self, *args: Any, organization: str, **options: Any) -> None:
        version = starter_rules(Organization.objects.get(slug=organization))
        if version is None:
            self.stdout.write("Routing rules already exist; left as they are.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Published starter routing rules ({version})."))
