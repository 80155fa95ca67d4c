"""The rule set's Publish, Simulate and Move pages (wired in ``RuleSetAdmin.get_urls``); thin views.

Publish (POST with a note) freezes the draft as the next version, unless ``rulesets.publish``
refuses it (no enabled rule, a rule the engine cannot run); the draft's warnings
(``routing/ruleset_checks.py``) are listed first. Simulate (GET with N) runs the draft on the
organization's newest N leads and shows what would change — nothing is written. Move (POST) swaps
a rule with its neighbour (``routing/rule_order.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from .. import rulesets
from ..models import Rule, RuleSet
from ..rule_order import move_rule
from ..ruleset_checks import warning_lines
from ..simulation import simulate as run_simulation
from .forms import PublishForm, SimulateForm

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

TEMPLATES = "admin/routing/ruleset"


def unpublished_changes(ruleset: RuleSet) -> list[str]:
    """What publishing the draft now would change (``ValidationError``: the draft cannot run)."""
    live = rulesets.live_version(ruleset.organization_id)
    return rulesets.snapshot_changes(live.snapshot if live else None, rulesets.draft_snapshot(ruleset))


def _ruleset(model_admin: ModelAdmin, request: HttpRequest, object_id: str, *, change: bool) -> RuleSet:
    """The rule set through the admin's queryset (another organization's is not found), if the
    user may view it (Simulate) or change it (Publish: an organization administrator)."""
    ruleset = get_object_or_404(
        model_admin.get_queryset(request).select_related("organization"), pk=object_id
    )
    allowed = model_admin.has_change_permission if change else model_admin.has_view_permission
    if not allowed(request, ruleset):
        raise PermissionDenied
    return ruleset


def _context(
    model_admin: ModelAdmin, request: HttpRequest, ruleset: RuleSet, title: str, **extra: Any
) -> dict[str, Any]:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": ruleset,
        "title": title,
        **extra,
    }


def publish(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    ruleset = _ruleset(model_admin, request, object_id, change=True)
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = rulesets.publish(ruleset, request.user, form.cleaned_data["note"])
        except ValidationError as error:
            messages.error(request, f"Not published: {'; '.join(error.messages)}")
        else:
            messages.success(
                request, f"Published v{version.number}: {'; '.join(version.changes)}. Routing uses it now."
            )
            return HttpResponseRedirect(reverse("admin:routing_ruleset_change", args=[ruleset.pk]))
    try:
        snapshot = rulesets.draft_snapshot(ruleset)
        rulesets.check_publishable(snapshot)
        changes, problem = unpublished_changes(ruleset), ""
    except ValidationError as error:
        changes, problem = [], "; ".join(error.messages)
    context = _context(
        model_admin,
        request,
        ruleset,
        f"Publish {ruleset.name}",
        form=form,
        changes=changes,
        problem=problem,
        warnings=warning_lines(ruleset),
        live=rulesets.live_version(ruleset.organization_id),
    )
    return render(request, f"{TEMPLATES}/publish.html", context)


def simulate(model_admin: ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    ruleset = _ruleset(model_admin, request, object_id, change=False)
    form = SimulateForm(request.GET if "limit" in request.GET else None)
    report, problem = None, ""
    if form.is_bound and form.is_valid():
        try:
            report = run_simulation(ruleset, form.cleaned_data["limit"])
        except ValidationError as error:
            problem = "; ".join(error.messages)
    context = _context(
        model_admin,
        request,
        ruleset,
        f"Simulate the draft of {ruleset.name}",
        form=form,
        report=report,
        problem=problem,
    )
    return render(request, f"{TEMPLATES}/simulate.html", context)


def move(
    model_admin: ModelAdmin, request: HttpRequest, object_id: str, rule_id: int, direction: str
) -> HttpResponse:
    """POST: move one of the draft's rules up or down, then back to the rule set page."""
    ruleset = _ruleset(model_admin, request, object_id, change=True)
    target = HttpResponseRedirect(reverse("admin:routing_ruleset_change", args=[ruleset.pk]))
    if request.method != "POST" or direction not in ("up", "down"):
        return target
    rule = get_object_or_404(Rule, pk=rule_id, ruleset=ruleset)
    if move_rule(rule, direction, request.user):
        messages.success(request, f"Moved '{rule.name}' {direction}. Publish to route by the new order.")
    else:
        messages.info(request, f"'{rule.name}' is already {'first' if direction == 'up' else 'last'}.")
    return target
