"""The one change-cursor encoding (crm_integrations/core/cursors.py) both providers' feeds use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_integrations.core.cursors import ChangeCursor
from crm_integrations.core.errors import InvalidRequest


@dataclass(frozen=True)
class PageCursor(ChangeCursor):
    """A feed of our own, with the kinds of fields providers add."""

    page: str | None = None
    expires: float = 0.0
    skip: int = 0

    crm_name: ClassVar[str] = "Example CRM"

    @classmethod
    def ts_from(cls, moment: datetime) -> int:
        return int(moment.timestamp() * 1000)


cursors = st.builds(
    PageCursor,
    ts=st.integers(min_value=0, max_value=2**45),
    ids=st.lists(st.text(min_size=1, max_size=12), max_size=5).map(tuple),
    page=st.none() | st.text(min_size=1, max_size=30),
    expires=st.floats(min_value=0, max_value=2e9, allow_nan=False),
    skip=st.integers(min_value=0, max_value=500),
)


@given(cursors)
def test_a_cursor_survives_its_text_form(cursor):
    assert PageCursor.decode(cursor.encode()) == cursor


def test_default_fields_are_left_out_of_the_text():
    assert PageCursor(ts=5).encode() == '{"v":1,"ts":5}'
    assert PageCursor(ts=5, ids=("a",), skip=2).encode() == '{"v":1,"ts":5,"ids":["a"],"skip":2}'


def test_a_starting_point_counts_in_the_feeds_unit():
    assert PageCursor.decode("2026-01-06T09:12:33Z").ts == 1767690753000
    assert PageCursor.decode("1767690753120").ts == 1767690753120
    assert ChangeCursor.decode("2026-01-06T09:12:33+00:00").ts == int(
        datetime(2026, 1, 6, 9, 12, 33, tzinfo=UTC).timestamp()
    )


def test_nothing_is_the_start():
    assert PageCursor.decode(None) == PageCursor() == PageCursor.decode("")


@pytest.mark.parametrize("text", ["yesterday", '{"ids": []}', '{"ts": "x"}', '{"ts": 1, "ids": 3}', "{nope"])
def test_a_foreign_cursor_is_refused_with_the_crms_name(text):
    with pytest.raises(InvalidRequest, match="not a Example CRM change cursor"):
        PageCursor.decode(text)
