"""Parallel test processes (pytest-xdist, `make test`) each get Redis databases of their own.

The CI's PostgreSQL lane points the broker, cache and rate limiter at databases 0-3 of one Redis
(scripts/ci/services.sh). Two test processes sharing them would take each other's Celery tasks and
cache entries, so worker ``gwN`` moves each URL up by ``DATABASES_PER_WORKER * N``
(config/settings/test.py). Redis has 16 databases unless configured otherwise: four workers.
"""

from urllib.parse import urlsplit, urlunsplit

DATABASES_PER_WORKER = 4
REDIS_DATABASES = 16


def redis_url_for_worker(url: str, worker: str) -> str:
    """``url`` moved to worker ``worker``'s databases if it is a Redis URL; any other URL as it is."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return url
    index = int(worker.removeprefix("gw"))
    database = int(parts.path.strip("/") or 0) + DATABASES_PER_WORKER * index
    if database >= REDIS_DATABASES:
        raise ValueError(
            f"test worker {worker} would need Redis database {database}; Redis has {REDIS_DATABASES}: "
            f"run at most {REDIS_DATABASES // DATABASES_PER_WORKER} workers (pytest -n)"
        )
    return urlunsplit(parts._replace(path=f"/{database}"))
