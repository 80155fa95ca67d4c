"""`make test` runs the suite in parallel processes (pytest-xdist): each keeps its own folder and
Redis databases (config/settings/test.py, config/test_workers.py), so no two share a broker or cache."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from config.test_workers import redis_url_for_worker


def test_each_worker_moves_redis_urls_to_databases_of_its_own():
    assert redis_url_for_worker("redis://127.0.0.1:6390/0", "gw0") == "redis://127.0.0.1:6390/0"
    assert redis_url_for_worker("redis://127.0.0.1:6390/1", "gw1") == "redis://127.0.0.1:6390/5"
    assert redis_url_for_worker("rediss://:pw@cache:6379/3", "gw3") == "rediss://:pw@cache:6379/15"
    assert redis_url_for_worker("redis://127.0.0.1:6390", "gw2") == "redis://127.0.0.1:6390/8"


def test_urls_that_are_not_redis_are_left_alone():
    for url in ("filesystem://", "sqlite:///var/ratelimit.sqlite3", "filecache:///var/cache"):
        assert redis_url_for_worker(url, "gw1") == url


def test_a_worker_past_redis_databases_is_refused_with_the_limit():
    with pytest.raises(ValueError, match="run at most 4 workers"):
        redis_url_for_worker("redis://127.0.0.1:6390/0", "gw4")


@pytest.mark.skipif("PYTEST_XDIST_WORKER" not in os.environ, reason="runs under pytest-xdist (make test)")
def test_this_worker_has_a_folder_of_its_own():
    assert Path(settings.VAR_DIR).name == f"run-{os.getpid()}"
    assert os.environ["TEST_WORKER_ISOLATED"] == os.environ["PYTEST_XDIST_WORKER"]
