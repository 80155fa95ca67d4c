"""``OpportunityHistory``: a row when an opportunity is created or its stage (amount, close date,
probability) changes, with who and when, as Salesforce keeps its stage history; read-only."""

from __future__ import annotations

from .conftest import api, soql

REP = "005SB0000000002YAA"


def history(sandbox, token, opportunity_id: str) -> list[dict]:
    fields = "OpportunityId, StageName, CreatedById, CreatedDate"
    where = f"OpportunityId = '{opportunity_id}' ORDER BY CreatedDate DESC, Id DESC"
    query = " ".join(("SELECT", fields, "FROM OpportunityHistory WHERE", where))
    answer = soql(sandbox, token, query)
    assert answer.status_code == 200, answer.text
    return answer.json()["records"]


def test_a_stage_change_adds_a_row_and_another_field_does_not(sandbox, token):
    opportunity_id = next(iter(sandbox.state.records["Opportunity"]))
    seeded = history(sandbox, token, opportunity_id)

    sandbox.control.update_record("Opportunity", opportunity_id, {"StageName": "Closed Lost"}, userId=REP)
    sandbox.control.update_record("Opportunity", opportunity_id, {"Name": "Renamed"}, userId=REP)

    rows = history(sandbox, token, opportunity_id)
    assert len(seeded) == 1 and len(rows) == 2
    assert (rows[0]["StageName"], rows[0]["CreatedById"]) == ("Closed Lost", REP)
    assert rows[1]["StageName"] == seeded[0]["StageName"]


def test_it_cannot_be_written(sandbox, token):
    answer = api(sandbox, "POST", "sobjects/OpportunityHistory", token, json={"StageName": "Closed Won"})

    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_TYPE"
