"""Acting as the person on the sandbox's consent page, over HTTP (the browser test does it for real)."""

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import requests


def decide_at_sandbox(authorize_url: str, decision: str = "approve") -> tuple[str, dict[str, str]]:
    """Open the consent page, press Approve or Deny; return the redirect's path and query."""
    page = requests.get(authorize_url, timeout=10)
    page.raise_for_status()
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    portal = re.search(r'<option value="([^"]+)"', page.text).group(1)
    answer = requests.post(
        urljoin(authorize_url, action.replace("&amp;", "&")),
        data={"request_id": request_id, "portal_id": portal, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code in (302, 303), answer.text
    location = urlsplit(answer.headers["Location"])
    return location.path, {key: values[0] for key, values in parse_qs(location.query).items()}
