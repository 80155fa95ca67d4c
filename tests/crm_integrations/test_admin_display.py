"""Words for staff (crm_integrations/admin_display.py): codes become labels, secrets stay hidden."""

import pytest

from crm_integrations import admin_display


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("api_token", "API token"),
        ("board_id", "Board ID"),
        ("lead_object_type", "Lead object type"),
        ("oauth", "OAuth"),
        ("crm.objects.contacts.read", "crm.objects.contacts.read"),  # a scope: the CRM's own name
        ("", ""),
    ],
)
def test_words(code, label):
    assert admin_display.words(code) == label


def test_settings_read_as_labelled_rows_and_a_secret_digest_is_only_set():
    rows = admin_display.setting_rows(
        {
            "auth": "api_token",
            "board_id": "42",
            "workflow_secret_sha256": "ab" * 32,
            "labels": {"new_lead": 1},
        }
    )
    assert rows == [
        ("Signed in with", "API token"),
        ("Board ID", "42"),
        ("Labels", "New lead: 1"),
        ("Workflow secret", "set"),
    ]


def test_an_empty_list_or_table_is_a_dash():
    assert admin_display.word_list([]) == "—"
    assert admin_display.settings_table({}) == "—"
    assert admin_display.word_list(["a<b"]) == '<ul class="word-list"><li>a&lt;b</li></ul>'


def test_an_unregistered_crm_keeps_its_key():
    assert admin_display.provider_name("not-a-crm") == "not-a-crm"
