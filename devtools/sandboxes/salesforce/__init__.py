"""A local server that behaves like Salesforce (OAuth web server flow with PKCE, REST query / describe /
sObjects / sObject Collections, a parsed SOQL subset, limits, the lead assignment rule, Outbound
Messages), for development, the demo and the test suite.

Start it with ``python -m devtools.sandboxes.salesforce`` or ``start_sandbox()``; see ``README.md``.
It imports nothing from Django or the rest of the app: the product reaches it only over HTTP.
"""

from .config import SandboxConfig
from .server import RunningSandbox, start_sandbox

__all__ = ["RunningSandbox", "SandboxConfig", "start_sandbox"]
