"""Acting as the person on a CRM sandbox's consent page (HubSpot's or monday's), over HTTP (the browser
tests do it for real)."""

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import requests


def decide_at_sandbox(authorize_url: str, decision: str = "approve") -> tuple[str, dict[str, str]]:
    """Open the consent page, press Approve or Deny; return the redirect's path and query."""
    page = requests.get(authorize_url, timeout=10)
    page.raise_for_status()
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    form = {"request_id": request_id, "decision": decision}
    portal = re.search(r'<option value="([^"]+)"', page.text)  # HubSpot asks which portal; monday does not
    if portal:
        form["portal_id"] = portal.group(1)
    answer = requests.post(
        urljoin(authorize_url, action.replace("&amp;", "&")),
        data=form,
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code in (302, 303), answer.text
    location = urlsplit(answer.headers["Location"])
    return location.path, {key: values[0] for key, values in parse_qs(location.query).items()}
