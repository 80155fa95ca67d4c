import uuid

from django.db import models

from crm_integrations.core.crypto.fields import EncryptedTextField

from .organizations import Organization


class Integration(models.Model):
    """The provider catalogue (hubspot, monday, salesforce), seeded by a data migration."""

    provider = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    SANDBOX = "sandbox", "Sandbox"


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONNECTED = "connected", "Connected"
    NEEDS_REAUTH = "needs_reauth", "Needs reconnection"
    DISCONNECTED = "disconnected", "Disconnected"
    ERROR = "error", "Error"


class OrganizationIntegration(models.Model):
    """One organization's connection to one CRM in one environment.

    Written only through ``crm_integrations.services.upsert_organization_integration``.
    The primary key is a UUID assigned before the first save, because every encrypted value is
    bound to its row (table, id, field) as AES-GCM associated data.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="integrations")
    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="connections")
    environment = models.CharField(max_length=20, choices=Environment.choices, default=Environment.PRODUCTION)
    status = models.CharField(
        max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    status_reason = models.TextField(blank=True)
    external_account_id = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="The account's id in the CRM (a portal, account or org id)",
    )
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    # Token refresh bookkeeping: one refresher at a time across all processes (a lease taken
    # with a conditional UPDATE), and when the tokens were last renewed (for the keep-alive).
    refresh_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set while the shared rate limiter of this account cannot be used, so calls are held back
    # (crm_integrations/core/http/limiter_health.py); cleared by the next call that gets through.
    rate_limiter_failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    rate_limiter_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Staff call it a connection (the admin's list, breadcrumbs and sidebar use these names).
        verbose_name = "connection"
        verbose_name_plural = "connections"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "integration", "environment"],
                name="unique_connection_per_environment",
            ),
            # One organization per CRM account (HubSpot portal, monday account) at a time: the
            # database settles two organizations connecting the same account at the same moment.
            models.UniqueConstraint(
                fields=["integration", "environment", "external_account_id"],
                condition=~models.Q(external_account_id="") & ~models.Q(status=ConnectionStatus.DISCONNECTED),
                name="unique_active_account_per_environment",
            ),
        ]
        ordering = ["organization__name", "integration__name", "environment"]

    def __str__(self) -> str:
        return f"{self.organization} · {self.integration} ({self.environment})"

    @property
    def provider(self) -> str:
        return self.integration.provider
