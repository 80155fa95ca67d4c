"""What a browser test's pages printed to the console, and the Content-Security-Policy violations among them.

tests/conftest.py's ``page`` fixture listens on every page of the test's browser context and fails
the test on any CSP violation, so each browser test also proves its pages pass the policy of
config/settings/base.py. An init script reports each ``securitypolicyviolation`` event to the
console, so the check does not depend on Chromium's own "Refused to ..." lines reaching Playwright.
"""

from dataclasses import dataclass, field

VIOLATION_PREFIX = "CSP violation:"

#: Runs in every document before the page's own scripts.
REPORT_VIOLATIONS = f"""
document.addEventListener("securitypolicyviolation", (event) => {{
  console.error("{VIOLATION_PREFIX} " + event.effectiveDirective + " refused "
    + (event.blockedURI || "an inline script or style") + " on " + event.documentURI
    + " (" + (event.sourceFile || "inline") + ":" + event.lineNumber + ")");
}});
"""


@dataclass
class BrowserConsole:
    messages: list[str] = field(default_factory=list)

    def record(self, message_type: str, text: str) -> None:
        self.messages.append(f"{message_type}: {text}")

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if VIOLATION_PREFIX in m or "Content Security Policy" in m]

    def failure(self) -> str | None:
        """The text to fail the test with, or None when the pages kept to the policy."""
        violations = self.csp_violations()
        if not violations:
            return None
        return (
            "Content-Security-Policy violations:\n"
            + "\n".join(violations)
            + "\n\nConsole:\n"
            + "\n".join(self.messages)
        )
