"""``manage.py run_banner --port 8000``: the lines ``make run`` prints before starting the Procfile (every
process, each CRM sandbox with its URL and state file); devtools/run_banner.py builds them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from devtools.management.commands.run_sandbox import launch_options, sandboxed_providers
from devtools.run_banner import banner_lines, procfile_processes, sandbox_line


class Command(BaseCommand):
    help = "Print what `make run` starts: the Procfile's processes and every CRM sandbox with its URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="the web server's port (make run's PORT)")

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        base_dir = Path(settings.BASE_DIR)
        processes = procfile_processes(base_dir / "Procfile")
        sandboxes = [
            sandbox_line(provider, launch_options(provider), base_dir) for provider in sandboxed_providers()
        ]
        for line in banner_lines(f"http://127.0.0.1:{port}", processes, sandboxes):
            self.stdout.write(line)
