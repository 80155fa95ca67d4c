"""The page a locked-out login gets (AXES_LOCKOUT_CALLABLE in config/settings/base.py).

django-axes's own answer is a bare line of text; this renders templates/admin/login_locked.html
inside the admin's frame, saying for how long the login is refused and how staff unlock it.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Login refused",
        "username": (credentials or {}).get("username") or request.POST.get("username", ""),
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "admin/login_locked.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
