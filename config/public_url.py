"""Whether PUBLIC_BASE_URL may be served over plain http (config/settings/base.py reads it).

Outside DEBUG the app must be reached over HTTPS: OAuth redirect URIs and webhook URLs are built
from PUBLIC_BASE_URL, and the session and CSRF cookies are only ``Secure`` when it is https. The
one exception is `make run` (Makefile), which serves http://127.0.0.1:<port> with DEBUG off: a
loopback address never leaves the machine.
"""

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def is_loopback_http(url: str) -> bool:
    """True for an ``http://`` URL whose host is this machine (localhost, 127.0.0.0/8, ::1)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:  # a host name other than localhost
        return False


def validate_public_base_url(url: str, *, debug: bool) -> None:
    """Refuse to start outside DEBUG on a URL that is neither https nor loopback http."""
    if debug or urlsplit(url).scheme == "https" or is_loopback_http(url):
        return
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL must be an https:// URL when DEBUG is off (got {url!r}); "
        "only http://127.0.0.1 or http://localhost may be plain http (see .env.example)."
    )
