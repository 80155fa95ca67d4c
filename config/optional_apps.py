"""Apps installed only where their package is: ``devtools`` is in a checkout (``make run``, ``make test``)
but not in a production install (pyproject.toml's ``[tool.setuptools.packages.find]`` leaves it out)."""

from __future__ import annotations

import importlib.util

DEV_APPS = ("devtools",)


def present_dev_apps() -> list[str]:
    """The dev-only apps importable here, so settings load and ``manage.py`` runs without them."""
    return [name for name in DEV_APPS if importlib.util.find_spec(name) is not None]
