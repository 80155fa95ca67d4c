"""Behaviour every CRM provider client must show, whatever the CRM behind it.

Mix ``ProviderContract`` into a test class and give it two fixtures:

* ``contract_client``: the ``CrmClient`` under test, bound to a connection to a CRM (a sandbox);
* ``contract_env``: a ``ContractEnvironment`` saying what that CRM holds and how to change it.

Every test drives the client only through the contract (``crm_integrations.core.client``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from crm_integrations.core.client import CrmClient
from crm_integrations.core.errors import InvalidRequest, NotFound, Unsupported
from crm_integrations.core.types import (
    ChangedRecords,
    CrmFile,
    CrmRecord,
    FieldOption,
    FieldType,
    FollowUpTask,
    RecordUpdate,
)


@dataclass
class ContractEnvironment:
    object_type: str
    #: Ids of every (non-archived) record of ``object_type``, read from the CRM's own state.
    all_ids: Callable[[], set[str]]
    #: Change one record as a person in the CRM would (its last-modified time moves on).
    touch: Callable[[str], None]
    #: An id no record of ``object_type`` has.
    missing_id: str
    #: A property the client may write, and a valid value for it.
    writable_property: tuple[str, str]
    #: Field name -> the type ``list_fields`` must report; enumerations must come with options.
    field_types: dict[str, FieldType]
    active_owner_emails: set[str]
    inactive_owner_emails: set[str]
    #: ``changed_since`` limit; smaller than the number of records, so paging is exercised.
    page_limit: int = 7
    properties: tuple[str, ...] = field(default_factory=tuple)


def drain(
    client: CrmClient, env: ContractEnvironment, cursor: str | None
) -> tuple[list[CrmRecord], str, int]:
    """Follow ``changed_since`` until ``has_more`` is False: (records, last cursor, pages)."""
    records: list[CrmRecord] = []
    pages = 0
    while True:
        page: ChangedRecords = client.changed_since(
            env.object_type, cursor, properties=env.properties, limit=env.page_limit
        )
        pages += 1
        assert len(page.records) <= env.page_limit
        assert page.next_cursor, "a page always hands back a cursor to store"
        records.extend(page.records)
        cursor = page.next_cursor
        if not page.has_more:
            return records, cursor, pages
        assert pages <= len(env.all_ids()) + 2, "changed_since does not move forward"


class ProviderContract:
    def test_changed_since_pages_through_every_record_once_oldest_first(self, contract_client, contract_env):
        expected = contract_env.all_ids()
        assert len(expected) > contract_env.page_limit, "the environment must need several pages"

        records, cursor, pages = drain(contract_client, contract_env, None)

        ids = [record.id for record in records]
        assert len(ids) == len(set(ids)), "a record came back twice"
        assert set(ids) == expected
        assert pages >= len(expected) // contract_env.page_limit
        assert all(record.object_type == contract_env.object_type for record in records)
        stamps = [record.updated_at for record in records]
        assert None not in stamps and stamps == sorted(stamps)
        assert contract_client.changed_since(contract_env.object_type, cursor).records == ()

    def test_a_record_changed_after_the_cursor_comes_back_once(self, contract_client, contract_env):
        _, cursor, _ = drain(contract_client, contract_env, None)
        changed = sorted(contract_env.all_ids())[0]

        contract_env.touch(changed)
        page = contract_client.changed_since(contract_env.object_type, cursor, limit=contract_env.page_limit)

        assert [record.id for record in page.records] == [changed]
        assert contract_client.changed_since(contract_env.object_type, page.next_cursor).records == ()

    def test_batch_read_returns_known_ids_in_order_and_leaves_out_missing_ones(
        self, contract_client, contract_env
    ):
        known = sorted(contract_env.all_ids())[:3][::-1]

        records = contract_client.batch_read(
            contract_env.object_type, [known[0], contract_env.missing_id, *known[1:]]
        )

        assert [record.id for record in records] == known
        assert contract_client.batch_read(contract_env.object_type, [contract_env.missing_id]) == []

    def test_batch_update_reports_per_record_failures_and_writes_the_rest(
        self, contract_client, contract_env
    ):
        name, value = contract_env.writable_property
        target = sorted(contract_env.all_ids())[1]

        result = contract_client.batch_update(
            contract_env.object_type,
            [RecordUpdate(target, {name: value}), RecordUpdate(contract_env.missing_id, {name: value})],
        )

        assert [record.id for record in result.updated] == [target]
        assert [failure.id for failure in result.failed] == [contract_env.missing_id]
        assert result.failed[0].message
        stored = contract_client.batch_read(contract_env.object_type, [target], properties=[name])
        assert stored[0].properties[name] == value

    def test_owners_include_inactive_ones(self, contract_client, contract_env):
        owners = contract_client.list_owners()

        assert len({owner.id for owner in owners}) == len(owners)
        assert contract_env.active_owner_emails <= {owner.email for owner in owners if owner.active}
        assert contract_env.inactive_owner_emails <= {owner.email for owner in owners if not owner.active}
        assert contract_env.inactive_owner_emails, "the environment must hold an inactive owner"

    def test_fields_come_with_types_and_options(self, contract_client, contract_env):
        fields = {item.name: item for item in contract_client.list_fields(contract_env.object_type)}

        for name, expected in contract_env.field_types.items():
            assert fields[name].type == expected, name
            if expected in (FieldType.ENUMERATION, FieldType.OWNER):
                assert fields[name].options, f"{name} has no options"
                assert all(option.value and option.label for option in fields[name].options)

    def test_get_record_of_an_unknown_id_raises_not_found(self, contract_client, contract_env):
        with pytest.raises(NotFound):
            contract_client.get_record(contract_env.object_type, contract_env.missing_id)

    def test_follow_up_tasks_fail_per_record_or_are_unsupported(self, contract_client, contract_env):
        due = datetime.now(UTC) + timedelta(days=1)
        if not contract_client.supports_tasks:
            task = FollowUpTask(contract_env.missing_id, "1", "Call back", due)
            with pytest.raises(Unsupported):
                contract_client.create_follow_up_tasks(contract_env.object_type, [task])
            return
        owner = next(owner for owner in contract_client.list_owners() if owner.active)
        task = FollowUpTask(contract_env.missing_id, owner.id, "Call back", due)

        result = contract_client.create_follow_up_tasks(contract_env.object_type, [task])

        assert result.created == ()
        assert [failure.id for failure in result.failed] == [contract_env.missing_id]
        assert result.failed[0].message

    def test_accounts_leave_unknown_ids_and_domains_out(self, contract_client, contract_env):
        assert contract_client.accounts_by_id([contract_env.missing_id]) == []
        assert contract_client.accounts_by_domain(["no-such-company.invalid", ""]) == {}

    def test_deals_are_read_with_their_files_or_unsupported(self, contract_client, contract_env):
        if not contract_client.supports_deals:
            for call in (
                lambda: contract_client.read_deal(contract_env.missing_id),
                lambda: contract_client.deal_files(contract_env.missing_id),
                lambda: contract_client.download_file(CrmFile("1", "a.pdf", "application/pdf", 1), 10),
            ):
                with pytest.raises(Unsupported):
                    call()
            return
        with pytest.raises(NotFound):
            contract_client.read_deal(contract_env.missing_id)
        assert contract_client.deal_files(contract_env.missing_id) == []

    def test_a_status_property_is_created_once_with_its_options_or_unsupported(
        self, contract_client, contract_env
    ):
        options = (FieldOption("draft", "Draft"), FieldOption("signed", "Signed"))

        def ensure():
            return contract_client.ensure_status_property(
                "deals",
                "contract_test_status",
                "Contract test status",
                options,
                group_name="contract_test",
                group_label="Contract test",
            )

        if not contract_client.supports_deals:
            with pytest.raises(Unsupported):
                ensure()
            return
        if not contract_client.creates_status_property:
            with pytest.raises(InvalidRequest) as missing:
                ensure()
            assert missing.value.code == "status_property_missing"
            assert "contract_test_status" in missing.value.message
            return
        first, again = ensure(), ensure()
        assert first.type == again.type == FieldType.ENUMERATION
        assert first.options == again.options == options
        assert (again.name, again.group) == ("contract_test_status", "contract_test")
