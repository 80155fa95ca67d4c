#!/usr/bin/env python3
"""Write a local .env with fresh secrets on first run; leave an existing one alone.

Uses only the standard library, so it runs before the virtualenv exists.
"""

import ast
import base64
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What each provider's ``config`` module names as its sandbox app's secrets (e.g.
#: crm_integrations/hubspot/config.py), read without importing it (no Django, no virtualenv yet).
SANDBOX_SECRETS_NAME = "SANDBOX_SECRET_VARIABLES"


def provider_sandbox_secrets(root: Path = ROOT) -> list[str]:
    """The sandbox secret variables every provider folder declares, in folder order."""
    names: list[str] = []
    for config in sorted(root.glob("crm_integrations/*/config.py")):
        for node in ast.parse(config.read_text()).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == SANDBOX_SECRETS_NAME for target in node.targets
            ):
                names.extend(ast.literal_eval(node.value))
    return names


def later_secrets(root: Path = ROOT) -> dict[str, Callable[[], str]]:
    """Settings added to an existing .env that lacks them (written by an older `make run`). The local
    sandboxes get secrets of their own: their public defaults are refused with DEBUG off."""
    made: dict[str, Callable[[], str]] = {
        name: lambda: secrets.token_urlsafe(32) for name in provider_sandbox_secrets(root)
    }
    return {**made, "CRM_SANDBOXES_ENABLED": lambda: "true"}


def add_missing_secrets(target: Path) -> None:
    present = {line.split("=", 1)[0].strip() for line in target.read_text().splitlines() if "=" in line}
    missing = {name: make() for name, make in later_secrets().items() if name not in present}
    if missing:
        with target.open("a") as env_file:
            env_file.writelines(f"{name}={value}\n" for name, value in missing.items())
        print(f"Added {', '.join(missing)} to {target}.")


def main() -> int:
    target = ROOT / ".env"
    if target.exists():
        add_missing_secrets(target)
        return 0
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    target.write_text(
        "# Written by `make run` on first run; see .env.example for every variable.\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"ENCRYPTION_KEYS=local1:{key}\n"
        "DEBUG=false\n"
    )
    add_missing_secrets(target)
    target.chmod(0o600)
    print(f"Wrote {target} with a new SECRET_KEY and encryption key.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
