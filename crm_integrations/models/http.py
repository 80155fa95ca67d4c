"""State and records of the resilient HTTP layer (``crm_integrations.core.http``)."""

from django.db import models
from django.utils import timezone


class BreakerState(models.TextChoices):
    """pybreaker's state names."""

    CLOSED = "closed", "Closed"
    OPEN = "open", "Open"
    HALF_OPEN = "half-open", "Half-open"


class ProviderCircuitBreaker(models.Model):
    """The circuit breaker of one provider account, shared by every process.

    Written only through ``crm_integrations.core.http.breaker.ModelBreakerStorage`` with
    conditional UPDATEs and F() expressions, so concurrent processes neither lose counts nor
    both claim the half-open probe.
    """

    provider = models.SlugField(max_length=40)
    account = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=BreakerState.choices, default=BreakerState.CLOSED)
    fail_counter = models.PositiveIntegerField(default=0, help_text="Consecutive counted failures")
    success_counter = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    probe_claimed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the half-open probe in flight was claimed (a lease, not a lock)",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "account"], name="unique_circuit_breaker_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.account} {self.state}"


class CircuitBreakerTransition(models.Model):
    """One change of a circuit breaker's state, for the provider health page (health_data.py).

    Written by ``ModelBreakerStorage`` (crm_integrations/core/http/breaker.py) when its conditional
    UPDATE actually changed the state, so a change another process already made is not counted twice.
    """

    provider = models.SlugField(max_length=40)
    account = models.CharField(max_length=100, blank=True)
    from_state = models.CharField(max_length=10, choices=BreakerState.choices)
    to_state = models.CharField(max_length=10, choices=BreakerState.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["provider", "account", "-at"], name="breaker_transition_recent")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.account} {self.from_state} → {self.to_state}"


class ProviderApiCall(models.Model):
    """One attempt of one provider API call, for the provider health view. Never holds a secret.

    ``endpoint`` is the path template (``/crm/v3/objects/{objectType}/{objectId}``), never the
    filled path or a query string.
    """

    provider = models.SlugField(max_length=40)
    account = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=10)
    endpoint = models.CharField(max_length=255)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="None: no HTTP response")
    error_kind = models.CharField(
        max_length=40, blank=True, help_text="Empty on success; e.g. rate_limited, timeout, circuit_open"
    )
    latency_ms = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(
        default=0, help_text="What the attempt took from the rate budget (e.g. complexity points)"
    )
    queued_ms = models.PositiveIntegerField(default=0, help_text="Time queued on our rate limiter first")
    attempt = models.PositiveSmallIntegerField(default=1)
    breaker_state = models.CharField(max_length=10, choices=BreakerState.choices, default=BreakerState.CLOSED)
    correlation_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "CRM API call"
        verbose_name_plural = "CRM API calls"
        indexes = [
            models.Index(fields=["provider", "account", "-created_at"], name="api_call_account_recent"),
            models.Index(fields=["provider", "-created_at"], name="api_call_provider_recent"),
            models.Index(fields=["created_at"], name="api_call_created"),
        ]

    def __str__(self) -> str:
        outcome = self.status_code or self.error_kind
        return f"{self.provider}:{self.account} {self.method} {self.endpoint} -> {outcome}"
