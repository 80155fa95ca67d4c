"""``make run``'s demo (devtools/demo/, devtools/management/commands/setup_demo.py and
setup_routing_demo.py): an organization with an admin login and starter routing rules, set up once."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from crm_integrations.models import Organization
from routing.models import RuleSetVersion, Team


@pytest.mark.django_db
def test_the_demo_is_set_up_once_and_left_alone_on_the_next_run(catalogue):
    first = StringIO()
    call_command("setup_demo", "--url", "http://127.0.0.1:9/admin/", stdout=first)
    call_command("setup_routing_demo", stdout=first)
    assert "Admin login created: admin / " in first.getvalue()
    assert "Published starter routing rules" in first.getvalue()
    organization = Organization.objects.get(slug="demo")
    assert Team.objects.filter(organization=organization, name="Sales", auto_join=True).exists()

    again = StringIO()
    call_command("setup_demo", stdout=again)
    call_command("setup_routing_demo", stdout=again)
    assert "already exists" in again.getvalue() and "left as they are" in again.getvalue()
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert RuleSetVersion.objects.filter(ruleset__organization=organization).count() == 1
