"""The provider contract's errors: every provider maps its failures onto this small hierarchy.

Callers above ``crm_integrations`` catch these and never a provider's own exceptions, so the
routing engine and the contract workflow stay blind to which CRM they talk to.
"""

from __future__ import annotations


class CrmError(Exception):
    """Base of every error a provider client raises.

    ``status`` is the HTTP status when there was one; ``code`` is the provider's own error
    category (HubSpot's ``category``, monday's ``error_code``); ``correlation_id`` is what the
    provider's support asks for. None of them ever carries a credential.
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
        details: object = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.correlation_id = correlation_id
        self.details = details

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.correlation_id:
            parts.append(f"correlation_id={self.correlation_id}")
        return " ".join(parts)


class AuthExpired(CrmError):
    """The access token expired: refresh it and try again."""

    retryable = True


class AuthRevoked(CrmError):
    """The grant itself is gone (refresh token rejected, app uninstalled): a person must reconnect."""


class RetryLater(CrmError):
    """The call may succeed later; ``retry_after`` says when, in seconds.

    Raised instead of sleeping when the wait is too long to hold a worker: a Celery task catches
    it and reschedules itself with that countdown.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = max(0.0, float(retry_after))


class RateLimited(RetryLater):
    """The provider (or our own shared limiter) says: not now."""


#: The least wait before trying again after a spent rate budget (a limiter may say "0.01 s"): the
#: intake's next round (crm_integrations/intake/batches.py) and an owner write-back
#: (routing/writeback.py).
BUDGET_WAIT_FLOOR = 0.5


class ProviderUnavailable(RetryLater):
    """5xx, timeouts, connection errors, or our circuit breaker is open for this account."""


class OutcomeUnknown(ProviderUnavailable):
    """A write was sent but its answer never came (the read timed out, or the connection broke
    after the request went out): the CRM may or may not have applied it.

    Never send it again blindly: read the records back (``CrmClient.batch_read``, or
    ``find_follow_up_tasks`` for tasks) and send only what did not land. The HTTP layer
    (``crm_integrations/core/http/client.py``) raises it for non-idempotent calls only and does not
    repeat them; ``crm_integrations/core/write_once.py`` does the reading back.
    """


class NotFound(CrmError):
    """The record or endpoint does not exist (or is archived)."""


class InvalidRequest(CrmError):
    """The provider rejected what we sent (validation, missing scope, conflict): do not retry as is."""


class Unsupported(CrmError):
    """The CRM behind this connection cannot do this at all (e.g. monday has no tasks or companies).

    Check the client's ``supports_*`` flag before calling; retrying never helps.
    """
