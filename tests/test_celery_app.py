"""The Celery app's start-up hooks (config/celery.py)."""

from celery.signals import worker_init
from django.urls import clear_url_caches, get_resolver

from config.celery import _build_url_resolver


def test_the_worker_builds_the_url_resolver_before_it_forks_its_pool():
    """Else each new pool process built it in its first task that links to an admin page (0.15 s)."""
    assert any(receiver is _build_url_resolver for _, receiver in worker_init.receivers)
    clear_url_caches()
    assert not get_resolver()._populated  # Django's own flag: what the hook is there to set

    _build_url_resolver()

    root = get_resolver()
    assert root._populated
    assert root.namespace_dict["admin"][1]._populated  # the admin's links (the webhook debugger's)
