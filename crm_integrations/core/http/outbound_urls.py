"""Guard for URLs a CRM hands us to fetch (signed file URLs): no request to our own network.

A CRM's answer names the URL, so whoever controls the answer (or a redirect on the way) could
point us at the metadata service, the database or a port on localhost, and we would store what
comes back as a contract file. A URL is fetched only when it is https, its host is one of the
provider's file hosts, and every address the host resolves to is public; each redirect hop is
checked again (``check_redirects`` as a ``requests`` response hook). The one exception is an
origin that the deployment configured itself (the local sandbox, enabled in
crm_integrations/core/environments.py). Used by crm_integrations/hubspot/files.py.

What this does not stop: a host that resolves to a public address for our check and to a private
one a moment later (DNS rebinding). The allow list of the CRM's own file hosts is the guard there.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection
from urllib.parse import urljoin, urlsplit

import requests

from crm_integrations.core.errors import InvalidRequest


def _refused(reason: str) -> InvalidRequest:
    return InvalidRequest(f"The file URL was refused: {reason}.", code="unsafe_url")


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower-cased, with the default port made explicit."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


def host_allowed(host: str, allowed: Collection[str]) -> bool:
    """``host`` is one of ``allowed`` or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == suffix or host.endswith("." + suffix) for suffix in allowed)


def public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def check_url(
    url: str,
    *,
    allowed_hosts: Collection[str],
    trusted_origins: Collection[str] = (),
    resolve: Callable[[str, int], list[str]] | None = None,
) -> None:
    """Raise ``InvalidRequest(code="unsafe_url")`` unless ``url`` may be fetched (see the module)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise _refused("it names no host")
    if origin(url) in {origin(trusted) for trusted in trusted_origins}:
        return
    if parts.scheme != "https":
        raise _refused("only https URLs are fetched")
    if parts.username or parts.password:
        raise _refused("it carries credentials")
    if not host_allowed(parts.hostname, allowed_hosts):
        raise _refused(f"{parts.hostname} is not one of the CRM's file hosts")
    addresses = (resolve or _resolve)(parts.hostname, parts.port or 443)
    if not addresses:
        raise _refused(f"{parts.hostname} does not resolve")
    private = [address for address in addresses if not public_address(address)]
    if private:
        raise _refused(f"{parts.hostname} resolves to a non-public address ({private[0]})")


def check_redirects(
    allowed_hosts: Collection[str], trusted_origins: Collection[str] = ()
) -> Callable[..., requests.Response]:
    """A ``requests`` response hook: a redirect is followed only to a URL ``check_url`` accepts."""

    def hook(response: requests.Response, *args: object, **kwargs: object) -> requests.Response:
        if response.is_redirect:
            target = urljoin(response.url, response.headers.get("Location", ""))
            check_url(target, allowed_hosts=allowed_hosts, trusted_origins=trusted_origins)
        return response

    return hook


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})
