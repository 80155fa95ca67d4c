"""Development tooling, kept out of the product: the fake CRM servers (``sandboxes/``), the benchmarks
and reliability drills (``benchmarks/``), the ``make run`` demo (``demo/``) and their management commands.

Product code (config, crm_integrations, field_mapping, routing, contracts) never imports this package
(an import-linter contract in pyproject.toml forbids it) and a production install does not ship it:
``config/optional_apps.py`` adds it to INSTALLED_APPS only where it is importable.
"""
