"""A local server that behaves like HubSpot's API (OAuth, CRM objects, search, associations, owners,
properties, pipelines, files, webhooks, rate limits), for development, the demo and the test suite.

Start it with ``python -m devtools.sandboxes.hubspot`` or ``start_sandbox()``; see ``README.md``.
It imports nothing from Django or the rest of the app: the product reaches it only over HTTP.
"""

from .config import SandboxConfig
from .server import RunningSandbox, start_sandbox

__all__ = ["RunningSandbox", "SandboxConfig", "start_sandbox"]
