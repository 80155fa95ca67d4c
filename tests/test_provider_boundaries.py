"""No code outside a provider's folder names a provider: adding one is its folder plus one line in
``CRM_PROVIDERS`` (config/settings/base.py), and nothing else needs to learn its name.

Checked, for every registered provider key (``hubspot``, ``monday``, ``salesforce``: any case, so
``HUBSPOT_FILE_HOSTS``, ``HubSpot`` and ``MondayProvider`` count):

* Python modules, read with ``ast``: identifiers, attribute, function, class and argument names,
  import paths and string literals (f-strings included). Docstrings and comments are prose and may
  name a CRM as an example ("a HubSpot portal, a monday account"); they are not checked.
* Templates (``*.html``) and the ``Procfile``, as text.

Not checked: a provider's own folder (``crm_integrations/<key>/``), ``devtools/`` (the sandboxes are
per CRM by nature), ``tests/``, migrations (history), and the ``CRM_PROVIDERS`` list in
config/settings/. The weekday is not a provider: "Monday" spelled with a capital M as a word of its
own (not "Monday.com", not ``MondayProvider``) is the day, as in "days run Monday to Sunday".
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_integrations.core import registry

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", ".git", "devtools", "tests", "migrations", "node_modules", "var", "test-artifacts"}
SETTINGS_DIR = ROOT / "config" / "settings"
#: The one place a provider is listed.
PROVIDER_LIST = "CRM_PROVIDERS"
WEEKDAY = re.compile(r"\bMonday\b(?!\.com)")


def provider_words() -> list[str]:
    return sorted(registry.registered_keys())


def provider_folders() -> set[Path]:
    """``crm_integrations/<key>/``: the package each registered provider class lives in."""
    folders = set()
    for key in registry.registered_keys():
        module = sys.modules[type(registry.get_provider(key)).__module__]
        folders.add(Path(module.__file__).resolve().parent)
    return folders


def names_in(text: str, words: list[str]) -> list[str]:
    """The provider words ``text`` contains, the weekday left out."""
    text = WEEKDAY.sub("", text)
    return [word for word in words if word in text.lower()]


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """Ids of the string constants that are prose: docstrings and bare string statements."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _provider_list_nodes(tree: ast.AST) -> set[int]:
    """Ids of every node inside an assignment to ``CRM_PROVIDERS`` (config/settings/ only)."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == PROVIDER_LIST for target in targets):
                inside |= {id(child) for child in ast.walk(node)}
    return inside


def _code_texts(node: ast.AST) -> Iterator[str]:
    """The names and string literals one node puts in code."""
    match node:
        case ast.Name(id=name) | ast.arg(arg=name) | ast.Attribute(attr=name) | ast.keyword(arg=str(name)):
            yield name
        case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name) | ast.ClassDef(name=name):
            yield name
        case ast.alias(name=name, asname=asname):
            yield name
            if asname:
                yield asname
        case ast.ImportFrom(module=str(module)):
            yield module
        case ast.Constant(value=str(value)):
            yield value


def python_hits(source: str, words: list[str], *, settings_module: bool = False) -> list[str]:
    """``"line N: <text>"`` for each name or string literal in ``source`` that names a provider."""
    tree = ast.parse(source)
    skipped = _docstring_nodes(tree) | (_provider_list_nodes(tree) if settings_module else set())
    hits = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        for text in _code_texts(node):
            if names_in(text, words):
                hits.append(f"line {getattr(node, 'lineno', '?')}: {text[:80]!r}")
    return hits


def text_hits(text: str, words: list[str]) -> list[str]:
    return [
        f"line {number}: {line.strip()[:80]}"
        for number, line in enumerate(text.splitlines(), 1)
        if names_in(line, words)
    ]


def checked_files() -> Iterator[Path]:
    folders = provider_folders()
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS for part in relative.parts[:-1]) or any(
            folder in path.parents for folder in folders
        ):
            continue
        if path.suffix in {".py", ".html"} or relative == Path("Procfile"):
            yield path


def test_no_module_template_or_procfile_outside_a_provider_folder_names_a_provider():
    words = provider_words()
    assert {"hubspot", "monday", "salesforce"} <= set(words)  # the check checks something
    found = {}
    for path in checked_files():
        text = path.read_text()
        if path.suffix == ".py":
            hits = python_hits(text, words, settings_module=path.parent == SETTINGS_DIR)
        else:
            hits = text_hits(text, words)
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}


# -- the checker itself ---------------------------------------------------------------------------
WORDS = ["hubspot", "monday", "salesforce"]


@pytest.mark.parametrize(
    "source",
    [
        "from crm_integrations.hubspot import client",
        "import crm_integrations.monday.config as conf",
        "HUBSPOT_FILE_HOSTS = []",
        "x = settings.MONDAY",
        "def limits(hubspot_search): ...",
        "class SalesforceThing: ...",
        "key = 'hubspot:search'",
        "label = f'{name} on Monday.com'",
        "call(provider='monday')",
        "call(monday_board=1)",
    ],
)
def test_the_checker_finds_a_provider_named_in_code(source):
    assert python_hits(source, WORDS)


@pytest.mark.parametrize(
    "source",
    [
        '"""Module docstring naming HubSpot and monday as examples."""',
        "def f():\n    '''A HubSpot portal, a monday account.'''\n    return 1  # a HubSpot comment",
        "error = f\"'{raw}': days run Monday to Sunday\"",
        "DAYS = ('Monday', 'Tuesday')",
    ],
)
def test_prose_and_the_weekday_are_not_provider_names(source):
    assert python_hits(source, WORDS) == []


def test_only_the_provider_list_of_the_settings_may_name_providers():
    source = "CRM_PROVIDERS = env.list('X', default=['crm_integrations.hubspot.provider.P'])\nHUBSPOT = {}"
    assert python_hits(source, WORDS, settings_module=True) == ["line 2: 'HUBSPOT'"]
    assert len(python_hits(source, WORDS)) == 2  # outside config/settings/ the list counts too


def test_templates_and_the_procfile_are_read_as_text():
    assert text_hits("<td>HubSpot, Monday.com</td>\n<p>Monday to Friday</p>", WORDS) == [
        "line 1: <td>HubSpot, Monday.com</td>"
    ]
