"""``manage.py run_sandbox <provider>``: serve a local CRM sandbox with the options of its own CLI
(``python -m devtools.sandboxes.<provider> --help``); each provider's ``cli`` module declares them.

``manage.py run_sandbox --all`` (the Procfile's ``sandboxes`` line, ``make run``) starts the sandbox of
every registered provider that names one (``CrmProvider.sandbox``), each as ``python -m <package>`` with
the arguments its provider gives for this deployment (``CrmProvider.sandbox_arguments``: its port,
secrets and webhook target), and stops them all when it is stopped. No provider is named here: the
sandboxes come from the registry.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm_integrations.core import registry
from crm_integrations.core.provider import CrmProvider


def sandboxed_providers() -> list[CrmProvider]:
    """The registered providers that have a local sandbox, in ``CRM_PROVIDERS`` order."""
    return [provider for provider in registry.providers() if provider.sandbox]


def sandbox_cli(provider: CrmProvider) -> ModuleType:
    """The sandbox's command line module (``add_arguments`` and ``run``): ``<package>.cli``."""
    return importlib.import_module(f"{provider.sandbox}.cli")


def launch_command(provider: CrmProvider) -> list[str]:
    """``python -m <sandbox package> <arguments>``, as ``make run`` starts it (the web server on WEB_PORT)."""
    web_url = f"http://127.0.0.1:{os.environ.get('WEB_PORT') or 8000}"
    arguments = provider.sandbox_arguments(web_url=web_url, state_dir=Path(settings.VAR_DIR))
    return [sys.executable, "-m", provider.sandbox, *arguments]


def launch_options(provider: CrmProvider) -> dict[str, Any]:
    """The options :func:`launch_command` gives the sandbox, as its own CLI reads them (``host``, ``port``,
    ``state_file``, ...): what ``make run``'s banner (devtools/run_banner.py) says about it."""
    parser = argparse.ArgumentParser(add_help=False)
    sandbox_cli(provider).add_arguments(parser)
    return vars(parser.parse_args(launch_command(provider)[3:]))


class Command(BaseCommand):
    help = (
        "Run a local CRM sandbox (a fake CRM API on 127.0.0.1), or every one with --all, until interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", dest="all_sandboxes", help="every registered provider's sandbox"
        )
        keys = [provider.key for provider in sandboxed_providers()]
        providers = parser.add_subparsers(dest="provider", metavar="{" + ",".join(keys) + "}")
        for provider in sandboxed_providers():
            summary = f"a fake {provider.name} API"
            sandbox_cli(provider).add_arguments(providers.add_parser(provider.key, help=summary))

    def handle(self, *args: Any, provider: str | None, all_sandboxes: bool, **options: Any) -> None:
        if all_sandboxes:
            self._run_all()
        elif provider is None:
            raise CommandError("Name a provider's sandbox, or --all.")
        else:
            sandbox_cli(registry.get_provider(provider)).run(options, self._announce)

    def _run_all(self) -> None:
        """Start every sandbox as a child process. When one stops, or this command is stopped (SIGTERM
        from honcho, Ctrl-C), stop the others: as when each had its own Procfile line."""
        children = [subprocess.Popen(launch_command(provider)) for provider in sandboxed_providers()]  # noqa: S603

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            if children:
                os.wait()  # the first sandbox to stop
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                child.wait(timeout=30)

    def _announce(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
