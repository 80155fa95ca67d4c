"""The house rule on tasks and services (README, "Layout and rules"; docs/routing.md): a package's
tasks.py imports its services, so a service that queues a task imports it inside the function that
queues it. import-linter cannot tell a top-level import from one inside a function (``pyproject.toml``
lets those imports through its acyclic contracts), so this test does, for every package with tasks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import routing

ROUTING = Path(routing.__file__).parent
ROOT = ROUTING.parent
TASKS = "routing.tasks"
#: Every package whose tasks.py queues work its services ask for.
PACKAGES_WITH_TASKS = sorted(
    ".".join(path.parent.relative_to(ROOT).parts)
    for top in ("crm_integrations", "routing", "contracts", "field_mapping")
    for path in (ROOT / top).rglob("tasks.py")
)


def _imported(node: ast.Import | ast.ImportFrom, module: str) -> set[str]:
    """The dotted names ``node`` (in ``module``) imports, with relative imports resolved."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = module.split(".")
    base = base[: len(base) - node.level] if node.level else []
    stem = ".".join([*base, node.module] if node.module else base)
    return {stem} | {f"{stem}.{alias.name}" for alias in node.names}


def top_level_imports(path: Path, root: Path = ROUTING.parent) -> set[str]:
    """What the module at ``path`` (under ``root``) imports outside its functions and classes."""
    module = ".".join(path.relative_to(root).with_suffix("").parts)  # a package's is "x.__init__"
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        for found in ast.walk(node) if isinstance(node, ast.If | ast.Try) else (node,):
            if isinstance(found, ast.Import | ast.ImportFrom):
                names |= _imported(found, module)
    return names


def test_every_package_with_tasks_is_checked():
    assert {"routing", "contracts", "crm_integrations", "crm_integrations.intake"} <= set(PACKAGES_WITH_TASKS)


@pytest.mark.parametrize("package", PACKAGES_WITH_TASKS)
def test_no_module_imports_its_packages_tasks_at_its_top(package):
    folder = ROOT.joinpath(*package.split("."))
    tasks = f"{package}.tasks"
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in folder.glob("*.py")
        if path.name != "tasks.py" and tasks in top_level_imports(path)
    )
    assert offenders == []


def test_the_check_sees_each_form_of_import(tmp_path):
    forms = ["from .tasks import flush_owner_writes", "from . import tasks", "import routing.tasks"]
    for number, line in enumerate(forms):
        path = tmp_path / "routing" / f"service_{number}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"{line}\n\n\ndef queue():\n    from .tasks import sweep_routing\n")
        assert TASKS in top_level_imports(path, tmp_path), line
    inside = tmp_path / "routing" / "inside.py"
    inside.write_text("def queue():\n    from .tasks import sweep_routing\n")
    assert TASKS not in top_level_imports(inside, tmp_path)
