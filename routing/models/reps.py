"""Reps (the people leads go to), their CRM identities, teams and time off."""

from __future__ import annotations

from django.db import models

from crm_integrations.models import Organization, OrganizationIntegration

from ..hours import validate_time_zone, validate_working_hours


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    auto_join = models.BooleanField(default=False, help_text="Reps new from the CRM join this team")

    class Meta:
        ordering = ["organization", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_team_name")]

    def __str__(self) -> str:
        return self.name


class Rep(models.Model):
    """One person who can own leads, across the organization's CRMs (matched by email).

    Synced from the CRMs' owners/users (``RepIdentity``), enriched here by staff. ``active`` is
    the staff switch; a rep who leaves every CRM is also made inactive by the sync, never deleted.
    ``score``/``score_parts`` are the KPI score, refreshed as outcomes arrive.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reps")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True, help_text="Lower-cased; joins the same person across CRMs")
    active = models.BooleanField(default=True, help_text="Receives leads (staff switch)")
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most open leads at once; empty: no limit"
    )
    weight = models.PositiveIntegerField(default=1, help_text="Share in weighted round robin (0: none)")
    teams = models.ManyToManyField(Team, blank=True, related_name="reps")
    working_hours = models.CharField(
        max_length=255,
        blank=True,
        validators=[validate_working_hours],
        help_text='e.g. "Mon-Fri 09:00-17:30; Sat 10:00-14:00"; empty: always available',
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Europe/Berlin",
    )
    score = models.FloatField(default=0.5, editable=False)
    score_parts = models.JSONField(default=dict, blank=True, editable=False)
    score_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=~models.Q(email=""),
                name="unique_rep_email",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.email


class RepIdentity(models.Model):
    """A rep as one CRM knows them: a HubSpot owner, a monday user."""

    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="identities")
    connection = models.ForeignKey(
        OrganizationIntegration, on_delete=models.CASCADE, related_name="rep_identities"
    )
    external_id = models.CharField(max_length=100, help_text="The CRM's owner/user id")
    email = models.CharField(max_length=254, blank=True)
    name = models.CharField(max_length=200, blank=True)
    active_in_crm = models.BooleanField(default=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    left_crm_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["connection", "name"]
        verbose_name_plural = "rep identities"
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="unique_identity_per_crm_user")
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.connection.provider} {self.external_id})"


class OutOfOffice(models.Model):
    rep = models.ForeignKey(Rep, on_delete=models.CASCADE, related_name="time_off")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Inclusive")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["rep", "starts_on"]
        verbose_name = "out-of-office period"
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="ooo_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.rep}: {self.starts_on} to {self.ends_on}"
