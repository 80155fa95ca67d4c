"""The client address django-axes locks out by (AXES_CLIENT_IP_CALLABLE in config/settings/base.py).

Behind a TLS-terminating proxy REMOTE_ADDR is the proxy's own address, so every login would
share one address and a lock-out would hit everyone trying that username. The proxy appends the
address it saw to X-Forwarded-For; with TRUSTED_PROXY_COUNT proxies in front, the client is that
many entries from the right. Entries further left are whatever the client sent and are ignored.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= trusted:
            return hops[-trusted]
    return request.META.get("REMOTE_ADDR")
