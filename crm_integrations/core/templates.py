"""A template loader for the providers' own templates: ``<provider folder>/templates/`` of each registered
provider (crm_integrations/monday/templates/monday/token.html...), so a provider's pages live in its folder.

Listed in ``TEMPLATES[...]["OPTIONS"]["loaders"]`` (config/settings/base.py) after the project's and
the apps' loaders. Provider folders are not Django apps, so ``APP_DIRS`` does not see them; each
provider names its templates under its own key (``monday/token.html``) so they never shadow another's.
"""

from __future__ import annotations

from pathlib import Path

from django.template.loaders.filesystem import Loader as FilesystemLoader

from . import registry


class ProviderTemplatesLoader(FilesystemLoader):
    def get_dirs(self) -> list[Path]:
        return [folder for provider in registry.providers() if (folder := provider.template_dir()).is_dir()]
