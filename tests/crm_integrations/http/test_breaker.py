"""The circuit breaker: shared state in the database, fail fast, one probe, only 5xx/transport count."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_integrations.core.errors import InvalidRequest, NotFound, ProviderUnavailable, RateLimited
from crm_integrations.core.http import breaker as breaker_module
from crm_integrations.core.http.breaker import AccountBreaker, ModelBreakerStorage
from crm_integrations.models import ProviderApiCall, ProviderCircuitBreaker

from .support import PATH_PARAMS, TEMPLATE, URL, make_policy

POLICY = make_policy(max_attempts=1, breaker_fail_max=3, breaker_reset_timeout=30.0)


def _row() -> ProviderCircuitBreaker:
    return ProviderCircuitBreaker.objects.get(provider="hubspot", account="12345")


def _get(client):
    return client.request("GET", TEMPLATE, path_params=PATH_PARAMS)


def _trip(client) -> None:
    responses.add(responses.GET, URL, status=503)
    for _ in range(POLICY.breaker_fail_max):
        with pytest.raises(ProviderUnavailable) as raised:
            _get(client)
        assert raised.value.status == 503
    assert _row().state == "open"


def _cool_down_over() -> None:
    ProviderCircuitBreaker.objects.filter(provider="hubspot", account="12345").update(
        opened_at=timezone.now() - timedelta(seconds=POLICY.breaker_reset_timeout + 1)
    )


@responses.activate
def test_opens_after_fail_max_fails_fast_everywhere_then_one_probe_closes_it(make_client):
    client = make_client(policy=POLICY)
    _trip(client)
    calls_when_opened = len(responses.calls)
    assert calls_when_opened == 3

    with pytest.raises(ProviderUnavailable) as raised:
        _get(client)
    assert raised.value.code == "circuit_open"
    assert 25 <= raised.value.retry_after <= 30  # what is left of the cool-down
    # A second client object, as in another process, reads the same shared state.
    with pytest.raises(ProviderUnavailable):
        _get(make_client(policy=POLICY))
    assert len(responses.calls) == calls_when_opened  # no network while open

    _cool_down_over()
    responses.replace(responses.GET, URL, json={"id": "7"})
    assert _get(client).json() == {"id": "7"}
    row = _row()
    assert (row.state, row.fail_counter, row.probe_claimed_at) == ("closed", 0, None)
    assert ProviderApiCall.objects.filter(breaker_state="half-open").count() == 1  # the probe
    fail_fast = ProviderApiCall.objects.filter(error_kind="circuit_open")
    assert (
        list(fail_fast.values_list("breaker_state", "status_code", "latency_ms")) == [("open", None, 0)] * 2
    )
    _get(client)  # closed again: calls flow
    assert len(responses.calls) == calls_when_opened + 2


@responses.activate
def test_a_failed_probe_reopens_the_breaker(make_client):
    client = make_client(policy=POLICY)
    _trip(client)
    _cool_down_over()
    with pytest.raises(ProviderUnavailable) as raised:
        _get(client)  # the probe gets a 503
    assert raised.value.status == 503
    row = _row()
    assert row.state == "open"
    assert timezone.now() - row.opened_at < timedelta(seconds=5)  # a fresh cool-down
    calls = len(responses.calls)
    with pytest.raises(ProviderUnavailable) as raised:
        _get(client)
    assert raised.value.code == "circuit_open"
    assert len(responses.calls) == calls


@responses.activate
def test_only_one_probe_passes_while_it_is_in_flight(make_client):
    client, other = make_client(policy=POLICY), make_client(policy=POLICY)
    _trip(client)
    _cool_down_over()
    seen_during_probe = []

    def probe_response(request):
        # While the probe is on the wire, every other caller fails fast without a request.
        for caller in (other, client):
            with pytest.raises(ProviderUnavailable) as raised:
                _get(caller)
            seen_during_probe.append(raised.value.code)
        return (200, {}, '{"id": "7"}')

    responses.remove(responses.GET, URL)
    responses.add_callback(responses.GET, URL, callback=probe_response)
    calls = len(responses.calls)
    assert _get(client).json() == {"id": "7"}
    assert seen_during_probe == ["circuit_open", "circuit_open"]
    assert len(responses.calls) == calls + 1
    assert _row().state == "closed"


def test_two_callers_past_the_precheck_still_get_a_single_probe(db):
    """The race the pre-check cannot close: both saw "cool-down over", only one claims the probe."""
    ProviderCircuitBreaker.objects.create(
        provider="hubspot", account="12345", state="open", fail_counter=3,
        opened_at=timezone.now() - timedelta(seconds=31),
    )  # fmt: skip
    first, second = (
        AccountBreaker("hubspot", "12345", fail_max=3, reset_timeout=30, probe_lease=60) for _ in range(2)
    )
    assert first.check() == second.check() == "open"
    with first.protect() as state:
        assert state == "half-open"
        with pytest.raises(ProviderUnavailable) as raised, second.protect():
            pytest.fail("a second probe got through")
        assert raised.value.code == "circuit_open"
    assert _row().state == "closed"


@responses.activate
def test_a_probe_whose_process_died_is_taken_over_after_its_lease(make_client):
    client = make_client(policy=POLICY)
    _trip(client)
    _cool_down_over()
    # Another process claims the probe, then dies without reporting.
    assert ModelBreakerStorage("hubspot", "12345").claim_probe(
        POLICY.breaker_reset_timeout, POLICY.probe_lease
    )
    assert not ModelBreakerStorage("hubspot", "12345").claim_probe(
        POLICY.breaker_reset_timeout, POLICY.probe_lease
    )
    responses.replace(responses.GET, URL, json={"id": "7"})
    calls = len(responses.calls)
    with pytest.raises(ProviderUnavailable) as raised:
        _get(client)
    assert raised.value.code == "circuit_open"
    assert len(responses.calls) == calls

    ProviderCircuitBreaker.objects.filter(provider="hubspot", account="12345").update(
        probe_claimed_at=timezone.now() - timedelta(seconds=POLICY.probe_lease + 1)
    )
    assert _get(client).json() == {"id": "7"}
    assert _row().state == "closed"


@responses.activate
@pytest.mark.parametrize(
    ("status", "error"), [(404, NotFound), (400, InvalidRequest), (403, InvalidRequest), (429, RateLimited)]
)
def test_4xx_and_429_do_not_count_as_failures(make_client, status, error):
    client = make_client(policy=POLICY)
    responses.add(responses.GET, URL, status=status, headers={"Retry-After": "60"})
    for _ in range(POLICY.breaker_fail_max + 1):
        with pytest.raises(error):
            _get(client)
    assert (_row().state, _row().fail_counter) == ("closed", 0)


@responses.activate
def test_connection_errors_and_timeouts_count_as_failures(make_client):
    client = make_client(policy=POLICY)
    responses.add(responses.GET, URL, body=requests.ConnectionError("refused"))
    responses.add(responses.GET, URL, body=requests.ReadTimeout("slow"))
    for kind in ("connection_error", "timeout", "timeout"):
        with pytest.raises(ProviderUnavailable) as raised:
            _get(client)
        assert raised.value.code == kind
    assert _row().state == "open"


@responses.activate
def test_a_success_resets_the_consecutive_failure_count(make_client):
    client = make_client(policy=POLICY)
    responses.add(responses.GET, URL, status=502)
    responses.add(responses.GET, URL, status=502)
    responses.add(responses.GET, URL, json={})
    responses.add(responses.GET, URL, status=502)
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            _get(client)
    assert _row().fail_counter == 2
    _get(client)
    with pytest.raises(ProviderUnavailable):
        _get(client)
    assert (_row().state, _row().fail_counter) == ("closed", 1)


def _breaker_reads(queries) -> int:
    return sum(
        1 for query in queries if query["sql"].startswith("SELECT") and "circuitbreaker" in query["sql"]
    )


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The breaker's monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(breaker_module.time, "monotonic", lambda: now[0])
    return now


@responses.activate
def test_calls_in_quick_succession_read_the_shared_row_once(make_client, clock):
    """A closed state read in this process answers the next reads of the account's breaker, through
    any client, for ``CLOSED_STATE_FRESH``: a lone lead's round (six calls, two clients) read the row
    ten times."""
    responses.add(responses.GET, URL, json={"id": "7"})
    _get(make_client(policy=POLICY))  # the breaker's row made on the first call
    clock[0] += breaker_module.CLOSED_STATE_FRESH
    with CaptureQueriesContext(connection) as captured:
        for client in (make_client(policy=POLICY), make_client(policy=POLICY)):
            for _ in range(3):
                _get(client)
    assert _breaker_reads(captured.captured_queries) == 1
    assert len(responses.calls) == 7


def _breaker() -> AccountBreaker:
    return AccountBreaker("hubspot", "12345", fail_max=3, reset_timeout=30, probe_lease=60)


def _open_elsewhere() -> None:
    ProviderCircuitBreaker.objects.update_or_create(
        provider="hubspot",
        account="12345",
        defaults={"state": "open", "fail_counter": 3, "opened_at": timezone.now()},
    )


def test_a_breaker_another_process_opened_is_seen_once_the_closed_snapshot_is_old(db, clock):
    breaker = _breaker()
    assert breaker.check() == "closed"
    _open_elsewhere()
    clock[0] += breaker_module.CLOSED_STATE_FRESH - 0.1
    assert breaker.check() == "closed"  # the process's fresh snapshot
    clock[0] += 0.1
    with pytest.raises(ProviderUnavailable) as raised:
        breaker.check()
    assert raised.value.code == "circuit_open"
    # A client made now reads the row: an open state is never served from the snapshot.
    assert _breaker().storage.row.state == "open"


def test_a_breaker_that_is_not_closed_is_read_from_the_row_every_time(db, clock):
    """Open (and half-open) are read each time, so that a probe's success elsewhere is seen at once."""
    _open_elsewhere()
    breaker = _breaker()
    with pytest.raises(ProviderUnavailable):
        breaker.check()
    ProviderCircuitBreaker.objects.filter(provider="hubspot", account="12345").update(state="closed")
    assert breaker.check() == "closed"  # no time passed


@responses.activate
def test_a_change_this_process_makes_is_seen_by_its_other_clients_at_once(make_client, clock):
    responses.add(responses.GET, URL, json={"id": "7"})
    other = make_client(policy=POLICY)
    _get(other)  # its snapshot: closed
    _trip(make_client(policy=POLICY))
    with pytest.raises(ProviderUnavailable) as raised:
        _get(other)
    assert raised.value.code == "circuit_open"
