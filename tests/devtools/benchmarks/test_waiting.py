"""The latency benchmarks' waiting loop (devtools/benchmarks/harness/waiting.py): the database is
asked for leads decided without a rep only when the owners counted in the sandbox stop growing."""

from __future__ import annotations

from devtools.benchmarks.harness.waiting import owned_then_unroutable


def test_unroutable_leads_are_counted_once_owners_stop_growing():
    owned = iter([0, 3, 7, 7, 7])
    asked: list[int] = []

    def unroutable() -> int:
        asked.append(1)
        return 2

    count = owned_then_unroutable(lambda: next(owned), unroutable)

    assert [count(), count(), count()] == [0, 3, 7]  # growing: no query
    assert asked == []
    assert [count(), count()] == [9, 9]  # stalled at 7: the 2 without a rep are counted
    assert len(asked) == 2
