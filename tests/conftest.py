import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from crm_integrations.catalogue import ensure_catalogue
from crm_integrations.core.http.breaker import SNAPSHOTS as breaker_snapshots
from crm_integrations.core.http.concurrent import close_pool_connections
from crm_integrations.core.tracing.setup import instrument_libraries, setup_tracing, uninstrument_libraries
from crm_integrations.hubspot.config import hubspot_apps, hubspot_settings
from crm_integrations.models import Integration, Organization
from crm_integrations.monday.config import monday_apps
from tests import markers
from tests.browser_console import REPORT_VIOLATIONS, BrowserConsole

# The HubSpot sandbox app's secret: a non-public one, as with DEBUG off (config/settings/test.py) the
# public default never verifies a request. Set before anything reads it (providers read their settings
# on use); processes the tests start inherit it.
os.environ.setdefault("HUBSPOT_SANDBOX_CLIENT_SECRET", "test-hubspot-sandbox-client-secret")

# The provider contract mixins are imported by test modules, not collected: rewrite their asserts too.
pytest.register_assert_rewrite(
    "tests.crm_integrations.provider_contract", "tests.crm_integrations.provider_setup_contract"
)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test gets its kind's markers (tests/markers.py). Tests marked ``concurrency`` need row
    locks and real parallel transactions: PostgreSQL. Tests marked ``embedded_defaults`` start
    ``make run`` with the server variables removed, so they run the same whatever this run's
    database: the embedded lane runs them, the PostgreSQL lane would only repeat them (3 minutes)."""
    for item in items:
        explicit = [mark.name for mark in item.iter_markers()]
        for name in markers.kinds(getattr(item, "fixturenames", ()), item.path, explicit):
            item.add_marker(name)
    if settings.IS_SQLITE:
        marker, reason = (
            "concurrency",
            "needs PostgreSQL (row locks, parallel transactions); runs in the CI PostgreSQL lane",
        )
    else:
        marker, reason = (
            "embedded_defaults",
            "make run on the embedded defaults ignores PostgreSQL; runs in the CI embedded lane",
        )
    for item in items:
        if marker in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """This run's own folder (config/settings/test.py: ``var/test/run-<pid>``) goes with it."""
    folder = Path(settings.VAR_DIR).resolve()
    if folder.name == f"run-{os.getpid()}" and folder.parent.name == "test":
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[None]:
    """pytest-django's test database, whose PostgreSQL sessions still open at the end are closed
    before it is dropped: a live-server request thread lives on while a client keeps its HTTP
    connection alive (the Salesforce sandbox's outbound messages use one session,
    devtools/sandboxes/salesforce/outbound.py), with its database connection, and the drop fails
    with "being accessed by other users"."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _breaker_snapshots_dropped() -> None:
    """Each test starts with no breaker state remembered by the process
    (crm_integrations/core/http/breaker.py, ``CLOSED_STATE_FRESH``): a snapshot from an earlier
    test's database would answer for a row this test's database has not got."""
    breaker_snapshots.forget()


@pytest.fixture(autouse=True)
def _pool_connections_closed() -> Iterator[None]:
    """After each test, the CRM-call pool's threads close their database connections
    (crm_integrations/core/http/concurrent.py): kept across tests, a connection opened in a
    transactional test would outlive its test database, and be health-checked in a test with none."""
    yield
    close_pool_connections()


@pytest.fixture
def catalogue(db) -> None:
    """The seeded provider catalogue (a transactional test's flush removes migration data)."""
    ensure_catalogue(Integration)


@pytest.fixture
def organization(catalogue) -> Organization:
    return Organization.objects.create(name="Acme Corp", slug="acme")


# --- Real browser (Debian's Chromium through Playwright) for admin pages ----------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """One tracer provider per test process (OpenTelemetry sets it once), its spans kept in memory."""
    exporter = InMemorySpanExporter()
    setup_tracing("tests", exporter=exporter, instrument=False)
    return exporter


@pytest.fixture
def spans(span_exporter):
    """The in-memory exporter, emptied; Django, Celery and requests instrumented for this test."""
    instrument_libraries()
    span_exporter.clear()
    yield span_exporter
    uninstrument_libraries()
    span_exporter.clear()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
    # synchronous, so Django's async-safety guard is relaxed for browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_console() -> BrowserConsole:
    """What the test's pages printed; the ``page`` fixture fails the test on a CSP violation in it."""
    return BrowserConsole()


@pytest.fixture
def page(chromium, request, browser_console):
    # 1366 px: the width staff screens are checked at.
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    context.on("console", lambda message: browser_console.record(message.type, message.text))
    page = context.new_page()
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    if failure := browser_console.failure():
        pytest.fail(failure)


@pytest.fixture
def admin_page(page, live_server, django_user_model):
    django_user_model.objects.create_superuser("staff", "staff@example.com", "correct-horse-battery")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "staff")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


# --- The HubSpot sandbox, over real HTTP ----------------------------------------------------------
@pytest.fixture(scope="session")
def hubspot_sandbox_server():

    from devtools.sandboxes.hubspot import start_sandbox

    sandbox = start_sandbox(port=0, client_secret=hubspot_settings("sandbox")["CLIENT_SECRET"])
    yield sandbox
    sandbox.stop()


def own_rate_limiter(settings, tmp_path) -> None:
    """A rate-limiter file of the test's own: earlier tests' calls must not eat its CRM budget."""
    settings.CRM_HTTP = {
        **settings.CRM_HTTP,
        "RATE_LIMIT_STORAGE_URL": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
    }


@pytest.fixture
def hubspot_sandbox(hubspot_sandbox_server, settings, tmp_path):
    """A freshly reset sandbox, with the app's "sandbox" environment pointed at it."""
    hubspot_sandbox_server.control.reset()
    # No webhooks unless the test asks: an earlier test's target would get this test's events.
    hubspot_sandbox_server.control.configure_webhooks(targetUrl=None)
    own_rate_limiter(settings, tmp_path)
    settings.HUBSPOT = {
        **hubspot_apps(),
        "sandbox": {
            **hubspot_settings("sandbox"),
            "AUTH_BASE_URL": hubspot_sandbox_server.base_url,
            "API_BASE_URL": hubspot_sandbox_server.base_url,
        },
    }
    return hubspot_sandbox_server


def connect_hubspot_sandbox(sandbox, organization, **fields):
    """A connected HubSpot connection to the sandbox's portal, with real tokens it granted."""
    from crm_integrations.services import upsert_organization_integration

    granted = sandbox.control.token()
    fields = {
        "status": "connected",
        "external_account_id": "24000001",
        "access_token": granted["access_token"],
        "refresh_token": granted["refresh_token"],
        **fields,
    }
    return upsert_organization_integration(organization, "hubspot", "sandbox", **fields)


@pytest.fixture
def hubspot_connection(hubspot_sandbox, organization):
    """A connected HubSpot sandbox connection whose access token is good for 30 minutes."""
    from django.utils import timezone

    return connect_hubspot_sandbox(
        hubspot_sandbox, organization, expires_at=timezone.now() + timedelta(minutes=30)
    )


# --- The monday sandbox, over real HTTP ----------------------------------------------------------
MONDAY_SIGNING_SECRET = "test-monday-signing-secret-of-32-bytes-or-more"


@pytest.fixture(scope="session")
def monday_sandbox_server():
    from devtools.sandboxes.monday import start_sandbox

    sandbox = start_sandbox(port=0, seed_items=10, signing_secret=MONDAY_SIGNING_SECRET)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def monday_sandbox(monday_sandbox_server, settings, tmp_path):
    """A freshly reset monday sandbox, with the app's "sandbox" environment pointed at it."""
    monday_sandbox_server.control.reset()
    settings.MONDAY = {
        **monday_apps(),
        "sandbox": {
            **monday_apps()["sandbox"],
            "SIGNING_SECRET": MONDAY_SIGNING_SECRET,
            "AUTH_URL": monday_sandbox_server.base_url,
            "API_URL": monday_sandbox_server.api_url,
        },
    }
    own_rate_limiter(settings, tmp_path)
    return monday_sandbox_server


@pytest.fixture
def monday_connection(organization, monday_sandbox):
    """A monday connection to the (freshly reset) sandbox's lead board, by API token."""
    from crm_integrations.services import upsert_organization_integration

    return upsert_organization_integration(
        organization,
        "monday",
        "sandbox",
        status="connected",
        external_account_id=str(monday_sandbox.account_id),
        access_token=monday_sandbox.api_token,
        settings={"board_id": str(monday_sandbox.board_id)},
    )
