"""``ProviderHttpClient``: the one way a provider client talks HTTP.

Per attempt: circuit breaker check (fail fast, no network) -> shared rate limiter (queue, or
raise RateLimited) -> auth hook -> request with (connect, read) timeouts -> response mapping ->
one ``ProviderApiCall`` row. Around the attempts: tenacity retries 429, 5xx, connection errors
and timeouts with full-jitter backoff or the provider's wait hint, never sleeping longer than
``max_inline_wait``.

A non-idempotent call (POST, PATCH: a batch update is a POST) is repeated only when it cannot
have reached the provider (connect timeout, refused connection) or was refused with a 429. A read
timeout or a connection cut after sending raises ``OutcomeUnknown``: the caller reads back what
landed instead of sending it again (``crm_integrations/core/write_once.py``).

Do not call it inside ``transaction.atomic()``: the breaker's shared row would stay locked (and
its counts unpublished) until the caller's transaction ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from opentelemetry.instrumentation.utils import suppress_http_instrumentation

from crm_integrations.core import tracing
from crm_integrations.core.errors import (
    CrmError,
    OutcomeUnknown,
    ProviderUnavailable,
    RateLimited,
    RetryLater,
)

from . import limiter_health
from .breaker import AccountBreaker, ProviderFailure
from .concurrent import call_all
from .limiter import Admission, SharedRateLimiter
from .mapping import ErrorDetails, ErrorParser, ResponseHook, error_for_response, parse_error_body, wait_hint
from .policy import HttpPolicy
from .recording import CallRecord, error_kind, record_call
from .retry import RetryableFailure, Sleep, build_retrying
from .session import TRANSIENT_TRANSPORT_ERRORS, build_session, may_have_been_sent
from .tracing import call_attributes, end_call_span, traced_wait

logger = logging.getLogger("crm_integrations.http")
T = TypeVar("T")

#: Sets credentials on the request, called before every attempt (so a refreshed token is used
#: on the next one). It may return a new PreparedRequest; ``requests.auth.AuthBase`` fits.
AuthHook = Callable[[requests.PreparedRequest], requests.PreparedRequest | None]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

_DEFAULT: Any = object()


@dataclass(frozen=True)
class _Call:
    method: str
    endpoint: str
    url: str
    params: Any
    json: Any
    data: Any
    headers: Mapping[str, str] | None
    weight: int
    budget: str | None
    idempotent: bool
    timeout: tuple[float, float]


class ProviderHttpClient:
    """HTTP for one provider account (e.g. ``hubspot`` / portal ``12345``).

    ``rate_limit_key`` names the ``CRM_RATE_LIMITS`` budget (None: no limiter); the bucket and
    the circuit breaker are per ``provider``/``account``. ``error_parser`` reads error bodies
    (default: HubSpot-style ``message``/``category``/``correlationId``); ``response_hook`` may
    turn any response, 2xx included, into an error (monday's GraphQL errors come with HTTP 200).
    """

    def __init__(
        self,
        provider: str,
        account: str,
        base_url: str,
        *,
        auth: AuthHook | None = None,
        rate_limit_key: str | None = None,
        error_parser: ErrorParser | None = parse_error_body,
        response_hook: ResponseHook | None = None,
        policy: HttpPolicy | None = None,
        session: requests.Session | None = None,
        limiter: SharedRateLimiter | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.provider = provider
        self.account = str(account)
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.rate_limit_key = rate_limit_key
        self.error_parser = error_parser
        self.response_hook = response_hook
        self.policy = policy or HttpPolicy.from_settings()
        self.session = session or build_session(self.policy.timeout)
        self._limiter = limiter
        self._breaker: AccountBreaker | None = None
        self._sleep = sleep

    # -- collaborators, made on first use (they read settings and the database) ---------------

    @property
    def limiter(self) -> SharedRateLimiter:
        if self._limiter is None:
            self._limiter = SharedRateLimiter(max_inline_wait=self.policy.max_inline_wait, sleep=self._sleep)
        return self._limiter

    @property
    def breaker(self) -> AccountBreaker:
        if self._breaker is None:
            self._breaker = AccountBreaker(
                self.provider,
                self.account,
                fail_max=self.policy.breaker_fail_max,
                reset_timeout=self.policy.breaker_reset_timeout,
                probe_lease=self.policy.probe_lease,
            )
        return self._breaker

    def close(self) -> None:
        self.session.close()

    def call_all(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Independent reads of this account, ``policy.concurrent_reads`` at a time (concurrent.py)."""
        return call_all(calls, at_once=self.policy.concurrent_reads)

    # -- the public call ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        weight: int = 1,
        rate_limit_key: str | None = _DEFAULT,
        idempotent: bool | None = None,
        write: bool = False,
    ) -> requests.Response:
        """Send ``method endpoint`` and return the successful response, or raise a ``CrmError``.

        ``endpoint`` is a path template (``/crm/v3/objects/{objectType}/{objectId}``) filled from
        ``path_params`` (each value URL-quoted); only the template is ever logged or recorded.
        ``weight`` is what the call costs against the rate budget (monday: complexity points);
        ``rate_limit_key`` overrides the client's budget (e.g. ``"hubspot:search"``).
        ``idempotent`` (default: by method) allows retrying a 5xx or read timeout, after which
        the provider may have done the work; 429 and connect timeouts are always retried. A
        non-idempotent call that timed out or broke after it was sent raises ``OutcomeUnknown``.
        ``write`` marks a batch write: the shorter ``policy.write_read_timeout`` applies.
        """
        method = method.upper()
        call = _Call(
            method=method,
            endpoint=endpoint,
            url=self._url(endpoint, path_params),
            params=params,
            json=json,
            data=data,
            headers=headers,
            weight=weight,
            budget=self.rate_limit_key if rate_limit_key is _DEFAULT else rate_limit_key,
            idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            timeout=self.policy.write_timeout if write else self.policy.timeout,
        )
        try:
            for attempt in build_retrying(self.policy, sleep=self._sleep):
                with attempt:
                    return self._attempt(call, attempt.retry_state.attempt_number)
        except RetryableFailure as failure:  # out of attempts, or the next wait is too long to sleep
            raise failure.error from failure.error.__cause__
        raise AssertionError("unreachable: tenacity returns the response or raises")  # pragma: no cover

    # -- one attempt -------------------------------------------------------------------------

    def _url(self, endpoint: str, path_params: Mapping[str, object] | None) -> str:
        if "?" in endpoint or "#" in endpoint or "://" in endpoint:
            raise ValueError("endpoint must be a path template; pass query parameters in params=")
        values = {key: quote(str(value), safe="") for key, value in (path_params or {}).items()}
        try:
            path = endpoint.format_map(values)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"endpoint {endpoint!r} is missing path parameter {exc}") from None
        return f"{self.base_url}/{path.lstrip('/')}"

    def _context(self, call: _Call) -> str:
        return f"{self.provider} {call.method} {call.endpoint}"

    def _attempt(self, call: _Call, attempt: int) -> requests.Response:
        record = CallRecord(self.provider, self.account, call.method, call.endpoint, attempt)
        with tracing.span("crm.call", call_attributes(record)) as span:
            try:
                return self._recorded(call, record)
            finally:
                end_call_span(span, record)

    def _recorded(self, call: _Call, record: CallRecord) -> requests.Response:
        try:
            return self._run(call, record)
        except RetryableFailure as failure:
            record.error_kind = error_kind(failure.error)
            record.correlation_id = failure.error.correlation_id or ""
            raise
        except CrmError as error:
            record.error_kind = error_kind(error)
            record.correlation_id = error.correlation_id or ""
            if error.code == "circuit_open":
                record.breaker_state = self.breaker.storage.row.state
            raise
        except Exception as error:
            record.error_kind = error_kind(error)
            raise
        finally:
            record_call(record)

    def _run(self, call: _Call, record: CallRecord) -> requests.Response:
        record.breaker_state = self.breaker.check()
        if call.budget and call.weight:
            admission = self._take_budget(call)
            record.units, record.queued_ms = call.weight, int(admission.waited * 1000)
        prepared = self._prepare(call)
        started = time.monotonic()
        try:
            with self.breaker.protect() as breaker_state:
                record.breaker_state = breaker_state
                response = self._send(prepared, call.timeout)
        except ProviderFailure as failure:
            if failure.response is not None:
                record.status_code = failure.response.status_code
            raise self._from_failure(failure, call) from failure.__cause__
        finally:
            record.latency_ms = int((time.monotonic() - started) * 1000)
        record.status_code = response.status_code
        return self._check(response, call)

    @traced_wait
    def _take_budget(self, call: _Call) -> Admission:
        """Queue on the shared limiter; a limiter that cannot be reached is reported, not just retried.

        The admission's units and wait go on the call record, for the health page's budget share."""
        try:
            admission = self.limiter.acquire(call.budget or "", self.account, call.weight)
        except RateLimited as error:
            if error.code == "rate_limiter_unavailable":
                limiter_health.health.failed(self.provider, self.account, error)
            raise
        limiter_health.health.worked(self.provider, self.account)
        return admission

    def _prepare(self, call: _Call) -> requests.PreparedRequest:
        request = requests.Request(
            call.method, call.url, params=call.params, json=call.json, data=call.data, headers=call.headers
        )
        prepared = self.session.prepare_request(request)
        if self.auth is not None:
            prepared = self.auth(prepared) or prepared
        return prepared

    def _send(self, prepared: requests.PreparedRequest, timeout: tuple[float, float]) -> requests.Response:
        """Inside the breaker: only what counts against the provider raises ProviderFailure."""
        environment = self.session.merge_environment_settings(prepared.url, {}, None, None, None)
        try:
            with suppress_http_instrumentation():  # our span has the call, without its URL or headers
                response = self.session.send(prepared, timeout=timeout, allow_redirects=True, **environment)
        except TRANSIENT_TRANSPORT_ERRORS as exc:
            raise ProviderFailure(type(exc).__name__) from exc
        if response.status_code >= 500:
            raise ProviderFailure(f"HTTP {response.status_code}", response=response)
        return response

    # -- mapping outcomes to errors ------------------------------------------------------------

    def _details(self, response: requests.Response) -> ErrorDetails | None:
        if self.error_parser is None:
            return None
        try:
            return self.error_parser(response)
        except Exception:
            logger.warning("%s: error parser failed on HTTP %s", self.provider, response.status_code)
            return None

    def _from_failure(self, failure: ProviderFailure, call: _Call) -> Exception:
        """5xx or transport error -> RetryableFailure (to retry inline) or ProviderUnavailable."""
        response = failure.response
        if response is not None:
            hint = wait_hint(response, self.policy)
            error = error_for_response(
                response,
                self._details(response),
                context=self._context(call),
                retry_after=self.policy.backoff_max if hint is None else hint,
            )
            retry_inline = call.idempotent
        else:
            cause = failure.__cause__
            hint = None
            kind = "timeout" if isinstance(cause, requests.Timeout) else "connection_error"
            sent = cause is None or may_have_been_sent(cause)
            unknown = sent and not call.idempotent
            error = (OutcomeUnknown if unknown else ProviderUnavailable)(
                f"{self._context(call)}: {type(cause).__name__}"
                + (" after the request was sent: it may have been applied" if unknown else ""),
                retry_after=self.policy.backoff_max,
                code=kind,
            )
            error.__cause__ = cause
            # A connection that never opened sent nothing; anything else may have been processed.
            retry_inline = call.idempotent or not sent
        if retry_inline and isinstance(error, RetryLater):
            return RetryableFailure(error, hint)
        return error

    def _check(self, response: requests.Response, call: _Call) -> requests.Response:
        """Map a (non-5xx) response: the provider's hook first, then the status."""
        error = self.response_hook(response) if self.response_hook else None
        hint: float | None = None
        if error is None:
            if response.status_code < 400:
                return response
            hint = wait_hint(response, self.policy)
            error = error_for_response(
                response,
                self._details(response),
                context=self._context(call),
                retry_after=self.policy.backoff_max if hint is None else hint,
            )
        elif isinstance(error, RetryLater) and error.retry_after > 0:
            hint = error.retry_after
        # 429 means the call was not processed: always safe to repeat.
        if isinstance(error, RateLimited) or (isinstance(error, RetryLater) and call.idempotent):
            raise RetryableFailure(error, hint)
        raise error
