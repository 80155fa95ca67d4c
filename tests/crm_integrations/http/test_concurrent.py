"""crm_integrations/core/http/concurrent.py: independent CRM calls a few at a time, in order."""

from __future__ import annotations

import contextvars
import threading

import pytest
from django.db import connection, transaction

from crm_integrations.core.http.concurrent import call_all, close_pool_connections
from crm_integrations.core.http.policy import HttpPolicy

flag: contextvars.ContextVar[str] = contextvars.ContextVar("flag", default="unset")


def test_results_come_in_the_calls_order_whatever_order_they_finish_in():
    gates = [threading.Event() for _ in range(3)]

    def call(n: int):
        def run() -> int:
            if n < 2:
                assert gates[n + 1].wait(5)  # call 0 ends after call 1, which ends after call 2
            gates[n].set()
            return n * 10

        return run

    assert call_all([call(0), call(1), call(2)], at_once=3) == [0, 10, 20]


def test_the_calls_are_in_flight_together():
    # Each waits for all four to have started: made one after another, the barrier would break.
    barrier = threading.Barrier(4, timeout=5)

    def call() -> str:
        barrier.wait()
        return threading.current_thread().name

    names = call_all([call] * 4, at_once=4)

    assert len(set(names)) == 4 and threading.current_thread().name not in names


def test_each_call_carries_the_callers_context():
    flag.set("intake round")

    assert call_all([flag.get, flag.get], at_once=2) == ["intake round", "intake round"]


def test_the_first_failure_in_the_calls_order_is_raised_after_those_begun_have_ended():
    second_may_fail = threading.Event()
    ended = []

    def first() -> None:
        assert second_may_fail.wait(5)
        ended.append("first")
        raise LookupError("first")

    def second() -> None:
        second_may_fail.set()
        ended.append("second")
        raise KeyError("second")

    with pytest.raises(LookupError):
        call_all([first, second], at_once=2)
    assert sorted(ended) == ["first", "second"]


def test_calls_not_begun_when_one_fails_are_not_made():
    made = []
    never = threading.Event()

    def failing() -> None:
        made.append("failing")
        raise RuntimeError("the CRM said no")

    def later(n: int):
        def run() -> None:
            never.wait(1)  # holds both pool threads while the failure is seen and the rest dropped
            made.append(n)

        return run

    with pytest.raises(RuntimeError):
        call_all([failing] + [later(n) for n in range(50)], at_once=2)

    # The two pool threads had begun at most two more calls; the other 48 were never made.
    assert made[0] == "failing" and len(made) <= 3


def test_one_at_a_time_runs_them_in_the_callers_thread():
    here = threading.current_thread().name

    assert call_all([lambda: threading.current_thread().name] * 3, at_once=1) == [here] * 3


@pytest.mark.django_db
def test_inside_a_transaction_they_stay_in_the_callers_thread():
    here = threading.current_thread().name
    with transaction.atomic():
        names = call_all([lambda: threading.current_thread().name] * 3, at_once=3)

    assert names == [here] * 3


def test_a_call_that_reads_in_chunks_itself_does_not_wait_for_the_pool_it_occupies():
    def outer() -> list[str]:
        return call_all([lambda: threading.current_thread().name] * 2, at_once=2)

    inner = call_all([outer, outer], at_once=2)

    for names in inner:  # the inner calls ran in the pool thread that made them
        assert len(set(names)) == 1


@pytest.mark.django_db(transaction=True)
def test_pool_threads_keep_their_connection_until_told_to_close_it():
    every_thread = threading.Barrier(4, timeout=5)

    def query() -> bool:
        every_thread.wait()  # four calls on four threads
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return connection.connection is not None

    def still_open() -> bool:
        every_thread.wait()
        return connection.connection is not None

    assert call_all([query] * 4, at_once=4) == [True] * 4
    assert call_all([still_open] * 4, at_once=4) == [True] * 4  # kept between calls, as a worker's

    close_pool_connections()

    assert call_all([still_open] * 4, at_once=4) == [False] * 4


@pytest.mark.parametrize("value", [0, 17, -1])
def test_the_setting_is_range_checked(value):
    with pytest.raises(ValueError, match="concurrent_reads"):
        HttpPolicy(concurrent_reads=value)
