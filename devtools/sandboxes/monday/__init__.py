"""A local server that behaves like monday.com's GraphQL API (boards, items, columns, users, complexity
budget, cursors, errors, OAuth, JWT-signed webhooks with the challenge handshake), for development, the demo
and the test suite.

Start it with ``python -m devtools.sandboxes.monday`` or ``start_sandbox()``; see ``README.md``.
It imports nothing from Django or the rest of the app: the product reaches it only over HTTP.
"""

from .config import SandboxConfig
from .server import RunningSandbox, start_sandbox

__all__ = ["RunningSandbox", "SandboxConfig", "start_sandbox"]
