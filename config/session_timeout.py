"""Staff sessions end after SESSION_IDLE_TIMEOUT without a request, and SESSION_COOKIE_AGE after login.

Django alone offers one or the other: a cookie age counted from the last save (so a session in use
never ends) or ``SESSION_SAVE_EVERY_REQUEST`` (an idle limit, but no absolute one). This middleware
(after AuthenticationMiddleware in config/settings/base.py) keeps both times in the session and
logs the user out when either is exceeded; the admin then asks for the login again.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

STARTED_KEY = "_session_started_at"
LAST_SEEN_KEY = "_session_last_seen_at"
#: Seconds between two writes of the last-seen time: not every request has to save the session.
SEEN_RESOLUTION = 60


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request, now=int(time.time()))
        return self.get_response(request)

    @staticmethod
    def _check(request: HttpRequest, *, now: int) -> None:
        session = request.session
        started = session.setdefault(STARTED_KEY, now)
        last_seen = session.get(LAST_SEEN_KEY, now)
        idle_for = now - last_seen
        if now - started > settings.SESSION_COOKIE_AGE or idle_for > settings.SESSION_IDLE_TIMEOUT:
            logout(request)
        elif idle_for >= min(SEEN_RESOLUTION, settings.SESSION_IDLE_TIMEOUT) or LAST_SEEN_KEY not in session:
            session[LAST_SEEN_KEY] = now
