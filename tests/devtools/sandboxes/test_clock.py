"""The sandboxes' clock (devtools/sandboxes/clock.py): real time until a test moves it forward through the
control API, back to real time on every reset."""

from __future__ import annotations

import time

import pytest
import requests

from devtools.sandboxes.clock import Clock


def test_a_new_clock_tells_real_time_and_moves_only_forward():
    clock = Clock()
    assert abs(clock.time() - time.time()) < 1
    before = clock.now_ms()
    clock.advance(90)
    assert clock.offset == 90
    assert clock.now_ms() - before >= 90_000
    assert clock.monotonic() - time.monotonic() == pytest.approx(90, abs=1)
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            clock.advance(bad)
    assert clock.offset == 90
    clock.reset()
    assert clock.offset == 0 and abs(clock.time() - time.time()) < 1


@pytest.fixture(params=["hubspot_sandbox_server", "monday_sandbox_server"])
def any_sandbox(request):
    """Each session sandbox (tests/conftest.py) in turn, reset before and after."""
    running = request.getfixturevalue(request.param)
    running.control.reset()
    yield running
    running.control.reset()


def test_the_control_api_advances_the_clock_refuses_going_back_and_a_reset_returns_to_real_time(any_sandbox):
    control = any_sandbox.control
    assert control.clock()["offsetSeconds"] == 0
    moved = control.advance_clock(3600)
    assert moved["offsetSeconds"] == 3600
    assert moved["nowMs"] >= (time.time() + 3599) * 1000
    for bad in ({"advance": -5}, {"advance": "soon"}, {"advance": True}, {}):
        refused = requests.post(f"{any_sandbox.base_url}/_sandbox/clock", json=bad, timeout=10)
        assert refused.status_code == 400, bad
    assert control.clock()["offsetSeconds"] == 3600
    control.reset()
    assert control.clock()["offsetSeconds"] == 0
