"""A ``requests`` session that never waits forever: every request gets (connect, read) timeouts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

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
        self._environment: dict[tuple[str, str], dict[str, Any]] = {}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        """requests' own, read once per scheme and host for the calls that pass nothing of their own.

        requests reads the proxies, ``no_proxy`` and the CA bundle from ``os.environ`` on every
        request, scanning the whole environment twice: 0.36 ms a call with 47 variables on the
        benchmarks' machine, a twentieth of the CPU one provider call costs us there
        (docs/benchmarks.md, fairness, "Fourteenth pass"), and more where the environment is large.
        None of it depends on a URL's path, and neither the environment's proxy settings nor this
        session's are changed while it runs (``build_session`` makes one per client).
        """
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url.decode() if isinstance(url, bytes) else url or "")
        origin = (parts.scheme, parts.netloc)
        found = self._environment.get(origin)
        if found is None:
            found = self._environment[origin] = super().merge_environment_settings(url, {}, None, None, None)
        return {**found, "proxies": dict(found["proxies"])}


def build_session(timeout: tuple[float, float], *, user_agent: str = "lead-routing/1") -> TimeoutSession:
    session = TimeoutSession(timeout)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session
