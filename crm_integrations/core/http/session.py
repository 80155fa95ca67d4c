"""A ``requests`` session that never waits forever: every request gets (connect, read) timeouts."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

#: Transport failures worth another attempt (and counted by the circuit breaker). ConnectionError
#: covers ConnectTimeout and SSL errors; ChunkedEncodingError is a connection cut mid-body.
TRANSIENT_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def may_have_been_sent(error: BaseException) -> bool:
    """Whether a failed request may have reached the provider (and been acted on).

    False only when the connection never opened: a connect timeout, or a refused / unresolvable
    host (urllib3 reports those as ``MaxRetryError`` over ``NewConnectionError``, a
    ``ConnectTimeoutError``). A read timeout, a reset or cut connection after the request went out
    (``ProtocolError``, ``ChunkedEncodingError``) and anything unrecognised count as sent: for a
    write, its outcome is unknown.
    """
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError) and not isinstance(error, requests.exceptions.SSLError):
        reason = error.args[0] if error.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return not isinstance(reason, ConnectTimeoutError)
    return True


class TimeoutSession(requests.Session):
    """A session whose requests default to ``timeout`` when the caller gives none.

    ``requests`` has no session-wide timeout; without one a stalled provider holds a worker
    forever. Retries are not done here (the adapters get ``max_retries=0``): the retry loop in
    ``retry.py`` owns them, so they are counted, recorded and bounded in one place.
    """

    def __init__(self, timeout: tuple[float, float], *, pool_maxsize: int = 10) -> None:
        super().__init__()
        self.timeout = timeout
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def build_session(timeout: tuple[float, float], *, user_agent: str = "lead-routing/1") -> TimeoutSession:
    session = TimeoutSession(timeout)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session
