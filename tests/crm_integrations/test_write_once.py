"""``send_once``: after an unknown outcome, only what the read back did not find is sent again."""

from __future__ import annotations

import pytest

from crm_integrations.core.errors import InvalidRequest, OutcomeUnknown, ProviderUnavailable
from crm_integrations.core.write_once import send_once, settle


class Crm:
    """Applies what it is sent; the first ``lost`` sends lose their answer (applying ``applies``)."""

    def __init__(self, lost: int, applies: set[str]) -> None:
        self.lost, self.applies = lost, applies
        self.applied: list[str] = []
        self.sent: list[list[str]] = []

    def send(self, items: list[str]) -> str:
        self.sent.append(items)
        if len(self.sent) <= self.lost:
            self.applied += [item for item in items if item in self.applies]
            raise OutcomeUnknown("read timeout", retry_after=1)
        self.applied += items
        return "ok"

    def read_back(self, items: list[str]) -> dict[str, str]:
        return {item: f"found {item}" for item in items if item in self.applied}


def test_what_did_not_land_is_left_unknown_for_a_later_try_not_sent_again_at_once(settings):
    settings.CRM_WRITE_SETTLE_SECONDS = 60
    crm = Crm(lost=1, applies={"a", "c"})

    sent = send_once(["a", "b", "c"], crm.send, crm.read_back)

    assert crm.sent == [["a", "b", "c"]]
    assert (sent.answer, sent.unknown, sent.landed) == (None, ("b",), {"a": "found a", "c": "found c"})
    assert isinstance(sent.error, OutcomeUnknown) and sent.error.retry_after == 60


def test_a_held_write_that_lands_after_the_read_is_found_by_the_next_try_and_not_doubled(settings):
    """The CRM held "b" and applied it after our read: sending it again at once would apply it twice
    (what the reliability drills caught); the next try reads it back first and finds it."""
    crm = Crm(lost=1, applies=set())
    sent = send_once(["a", "b"], crm.send, crm.read_back)
    assert sent.unknown == ("a", "b")
    crm.applied += ["a", "b"]  # the held request lands, later

    landed: dict[str, str] = {}
    assert settle(list(sent.unknown), crm.read_back, landed) == []
    assert crm.sent == [["a", "b"]] and set(landed) == {"a", "b"}


def test_nothing_is_sent_again_when_everything_landed():
    crm = Crm(lost=1, applies={"a", "b"})

    sent = send_once(["a", "b"], crm.send, crm.read_back)

    assert crm.sent == [["a", "b"]] and sent.answer is None and set(sent.landed) == {"a", "b"}


def test_after_the_last_send_what_was_not_found_stays_unknown():
    crm = Crm(lost=2, applies={"a"})

    sent = send_once(["a", "b"], crm.send, crm.read_back, sends=2)  # a caller may allow a second send

    assert crm.sent == [["a", "b"], ["b"]]
    assert (sent.unknown, set(sent.landed), sent.answer) == (("b",), {"a"}, None)
    assert isinstance(sent.error, OutcomeUnknown)


def test_a_read_back_that_fails_for_now_leaves_the_outcome_unknown():
    crm = Crm(lost=1, applies=set())

    def unreachable(items: list[str]) -> dict[str, str]:
        raise ProviderUnavailable("502", retry_after=3, status=502)

    landed: dict[str, str] = {}
    with pytest.raises(OutcomeUnknown) as raised:
        send_once(["a"], crm.send, unreachable, landed=landed)

    assert raised.value.retry_after == 3 and "reading back" in str(raised.value)
    assert crm.sent == [["a"]] and landed == {}


def test_a_refused_send_is_not_read_back():
    def refuse(items: list[str]) -> str:
        raise InvalidRequest("bad value", status=400)

    def never(items: list[str]) -> dict[str, str]:
        raise AssertionError("no read back after a definite answer")

    with pytest.raises(InvalidRequest):
        send_once(["a"], refuse, never)
