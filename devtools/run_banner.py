"""What ``make run`` prints before honcho starts the Procfile: every process it starts, each sandbox with its
URL, and where to begin in the browser (``manage.py run_banner``, the Makefile's ``run`` target).

The processes are read from the Procfile, so a new line there is listed too (with its command when it has
no description here); the ``sandboxes`` line is expanded into every registered provider's sandbox as
``manage.py run_sandbox --all`` starts it (devtools/management/commands/run_sandbox.py), with the URL and
state file its provider gives it. No provider is named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crm_integrations.core.provider import CrmProvider

#: What each Procfile process is, in the words of someone running the product.
DESCRIPTIONS = {
    "web": "the product (gunicorn)",
    "worker": "Celery worker: webhook intake, routing, owner write-backs, contracts",
    "beat": "Celery beat: CRM polls and scheduled jobs",
}
SANDBOXES = "sandboxes"


@dataclass(frozen=True)
class SandboxLine:
    name: str
    url: str
    state_file: str | None


def procfile_processes(procfile: Path) -> list[tuple[str, str]]:
    """``(name, command)`` of every process line, in order (comments and blank lines skipped)."""
    processes = []
    for line in procfile.read_text(encoding="utf-8").splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() and not line.lstrip().startswith("#"):
            processes.append((name.strip(), command.strip()))
    return processes


def sandbox_line(provider: CrmProvider, options: dict[str, object], base_dir: Path) -> SandboxLine:
    """One sandbox, from the options its CLI reads from ``run_sandbox --all``'s command line; its state file
    is shown relative to ``base_dir`` (the checkout) when it lies inside."""
    url = f"http://{options['host']}:{options['port']}"
    state_file = options.get("state_file")
    if not state_file:
        return SandboxLine(f"{provider.name} sandbox", url, None)
    path, base = Path(str(state_file)).resolve(), base_dir.resolve()
    shown = path.relative_to(base) if path.is_relative_to(base) else path
    return SandboxLine(f"{provider.name} sandbox", url, str(shown))


def banner_lines(web_url: str, processes: list[tuple[str, str]], sandboxes: list[SandboxLine]) -> list[str]:
    width = max([len(name) for name, _ in processes] or [0])
    lines = ["Starting these processes under honcho (Ctrl-C stops them all):"]
    for name, command in processes:
        label = name.ljust(width)
        if name == SANDBOXES:
            lines.extend(_sandbox_lines(label, width, sandboxes))
        else:
            where = f"  {web_url}" if name == "web" else ""
            lines.append(f"  {label}  {DESCRIPTIONS.get(name, command)}{where}")
    lines.append(f"Admin: {web_url}/admin/   Connect a CRM: {web_url}/integrations/connect/")
    return lines


def _sandbox_lines(label: str, width: int, sandboxes: list[SandboxLine]) -> list[str]:
    if not sandboxes:
        return [f"  {label}  no CRM sandbox (no registered provider has one)"]
    name_width = max(len(sandbox.name) for sandbox in sandboxes)
    lines = []
    for index, sandbox in enumerate(sandboxes):
        kept = f"  (state kept in {sandbox.state_file})" if sandbox.state_file else "  (state in memory only)"
        prefix = label if index == 0 else " " * width
        lines.append(f"  {prefix}  {sandbox.name.ljust(name_width)}  {sandbox.url}{kept}")
    return lines
