"""validate_mapping explains each kind of problem in words (fields built like HubSpot lists them)."""

from dataclasses import replace

from crm_integrations.core.types import CrmField, FieldOption, FieldType
from field_mapping.mapping import MappingSpec, RuleSpec
from field_mapping.validation import Problem, validate_mapping
from tests.field_mapping.defaults import HUBSPOT_ASSOCIATIONS, HUBSPOT_LEADS_DEFAULT


def f(kind, name, type_, *options):
    return CrmField(kind, name, name, type_, options=tuple(FieldOption(v, v.title()) for v in options))


STAGES = (
    "new-stage-id",
    "attempting-stage-id",
    "connected-stage-id",
    "qualified-stage-id",
    "unqualified-stage-id",
)
FIELDS = {
    "leads": [
        f("leads", "hs_lead_name", FieldType.STRING),
        f("leads", "hs_pipeline_stage", FieldType.ENUMERATION, *STAGES),
        f("leads", "hs_lead_type", FieldType.ENUMERATION, "NEW_BUSINESS", "UPSELL", "RE_ATTEMPTING"),
        f("leads", "hs_lead_label", FieldType.ENUMERATION, "HOT", "WARM", "COLD"),
        f("leads", "lead_source", FieldType.ENUMERATION, "WEBSITE", "REFERRAL", "EVENT"),
        f("leads", "lead_amount", FieldType.NUMBER),
        f("leads", "hubspot_owner_id", FieldType.OWNER, "70000001", "70000003"),
        f("leads", "createdate", FieldType.DATETIME),
        f("leads", "size_band", FieldType.ENUMERATION, "10", "50", "250"),
        f("leads", "is_partner", FieldType.BOOLEAN),
    ],
    "contacts": [
        f("contacts", "email", FieldType.STRING),
        f("contacts", "country", FieldType.STRING),
        f("contacts", "hs_lead_status", FieldType.ENUMERATION, "NEW", "OPEN_DEAL", "UNQUALIFIED"),
    ],
    "companies": [
        f("companies", "name", FieldType.STRING),
        f("companies", "industry", FieldType.ENUMERATION, "RETAIL", "LOGISTICS_AND_SUPPLY_CHAIN"),
    ],
}
HUBSPOT = HUBSPOT_ASSOCIATIONS


def check(spec, fields=FIELDS, associations=HUBSPOT):
    return validate_mapping(spec, fields, associations=associations)


def swap(*rules, **changes):
    """The default HubSpot spec with ``rules`` replacing the rules of the same canonical fields."""
    replaced = {rule.canonical_field for rule in rules}
    kept = tuple(rule for rule in HUBSPOT_LEADS_DEFAULT.rules if rule.canonical_field not in replaced)
    return replace(HUBSPOT_LEADS_DEFAULT, rules=(*kept, *rules), **changes)


def test_the_default_spec_is_clean_against_these_fields():
    assert check(HUBSPOT_LEADS_DEFAULT) == []


def test_a_property_that_no_longer_exists():
    assert check(swap(RuleSpec("lead_type", "hs_lead_kind"))) == [
        Problem(
            "lead_type",
            "hs_lead_kind",
            "unknown_property",
            "lead_type: hs_lead_kind: property 'hs_lead_kind' does not exist on leads",
        )
    ]


def test_a_deleted_property_on_an_associated_object():
    assert [p.message for p in check(swap(RuleSpec("industry", "contacts.companies.sector")))] == [
        "industry: contacts.companies.sector: property 'sector' does not exist on companies"
    ]


def test_an_association_that_is_not_supported():
    assert [(p.code, p.message) for p in check(swap(RuleSpec("company", "tickets.subject")))] == [
        (
            "unsupported_association",
            "company: tickets.subject: the association 'tickets' from leads is not supported",
        )
    ]


def test_without_an_association_table_a_hop_needs_the_targets_fields():
    monday = MappingSpec("items", (RuleSpec("company", "board_relation.name"),))
    problems = validate_mapping(monday, {"items": [f("items", "name", FieldType.STRING)]})
    assert [p.code for p in problems if p.field == "company"] == ["unsupported_association"]


def test_a_malformed_path():
    spec = swap(RuleSpec("company", "contacts..name"), RuleSpec("name", "a.b.c.d"))
    assert [(p.code, p.message) for p in check(spec)] == [
        (
            "invalid_path",
            "company: 'contacts..name' is not a property path "
            "(names of letters, digits, _ and -, joined by dots)",
        ),
        ("invalid_path", "name: 'a.b.c.d' goes through 3 associations (at most 2)"),
    ]


def test_number_on_an_enumeration_whose_options_are_not_numbers():
    assert [(p.code, p.message) for p in check(swap(RuleSpec("amount", "hs_lead_label", "number")))] == [
        (
            "incompatible_transform",
            "amount: hs_lead_label: the options of leads.hs_lead_label are not all numbers "
            "('HOT', 'WARM', 'COLD')",
        )
    ]


def test_number_on_an_enumeration_of_numbers_is_fine():
    assert check(swap(RuleSpec("amount", "size_band", "number"))) == []


def test_an_amount_as_is_is_checked_like_a_number():
    assert [p.code for p in check(swap(RuleSpec("amount", "lead_source")))] == ["incompatible_transform"]


def test_date_on_a_boolean_and_number_on_a_datetime():
    spec = swap(RuleSpec("lead_type", "is_partner", "date"), RuleSpec("amount", "createdate", "number"))
    assert [p.message for p in check(spec)] == [
        "lead_type: is_partner: a boolean property (leads.is_partner) cannot convert to a date",
        "amount: createdate: a datetime property (leads.createdate) cannot convert to a number",
    ]


def test_a_value_map_key_that_is_not_an_option():
    spec = swap(RuleSpec("source", "lead_source", "value_map", {"map": {"WEBSITE": "in", "WEBINAR": "in"}}))
    assert [(p.code, p.message) for p in check(spec)] == [
        (
            "unknown_option",
            "source: lead_source: the value map key 'WEBINAR' is not an option of leads.lead_source "
            "(options: EVENT, REFERRAL, WEBSITE)",
        )
    ]


def test_options_a_transform_needs():
    spec = swap(
        RuleSpec("source", "lead_source", "value_map", {}),
        RuleSpec("industry", "contacts.companies.industry", "default", {}),
        RuleSpec("lead_type", "createdate", "date", {"format": "dd.mm.yyyy"}),
    )
    assert [p.message for p in check(spec)] == [
        'source: the value map needs {"map": {crm value: value}}',
        'industry: the default transform needs {"default": value}',
        "lead_type: the date format 'dd.mm.yyyy' is not a strptime format",
    ]


def test_a_status_value_that_is_not_an_option_and_stages_left_unmapped():
    status_map = {**HUBSPOT_LEADS_DEFAULT.status_map, "won-stage-id": "won"}
    del status_map["unqualified-stage-id"]
    problems = check(replace(HUBSPOT_LEADS_DEFAULT, status_map=status_map))
    assert [(p.code, p.severity, p.message) for p in problems] == [
        (
            "unknown_status_value",
            "error",
            "status: 'won-stage-id' is not an option of leads.hs_pipeline_stage "
            "(options: attempting-stage-id, connected-stage-id, new-stage-id, "
            "qualified-stage-id, unqualified-stage-id)",
        ),
        (
            "unmapped_status_value",
            "warning",
            "status: leads.hs_pipeline_stage value 'unqualified-stage-id' (Unqualified-Stage-Id) "
            "has no outcome and there is no default: leads with it will be in error",
        ),
    ]


def test_a_default_outcome_silences_unmapped_stages():
    spec = replace(HUBSPOT_LEADS_DEFAULT, status_map={"qualified-stage-id": "won"}, status_default="open")
    assert check(spec) == []


def test_an_outcome_that_does_not_exist():
    spec = replace(
        HUBSPOT_LEADS_DEFAULT, status_map={**HUBSPOT_LEADS_DEFAULT.status_map, "new-stage-id": "maybe"}
    )
    assert [p.message for p in check(spec)] == [
        "status: 'new-stage-id' maps to 'maybe', not one of open, won, lost, excluded"
    ]


def test_required_fields_left_unmapped():
    spec = MappingSpec("leads", rules=(RuleSpec("name", "hs_lead_name"),))
    assert [(p.field, p.code, p.message) for p in check(spec)] == [
        ("source", "required_unmapped", "source: is required but no rule feeds it"),
        ("owner", "required_unmapped", "owner: is required but no rule feeds it"),
        ("status", "required_unmapped", "status: is required but no status source is set"),
    ]


def test_a_status_field_rule_is_refused():
    spec = swap(RuleSpec("status", "hs_pipeline_stage"))
    assert [p.code for p in check(spec)] == ["status_rule"]


def test_an_object_whose_fields_were_not_listed_is_a_warning():
    fields = {kind: items for kind, items in FIELDS.items() if kind != "companies"}
    problems = check(HUBSPOT_LEADS_DEFAULT, fields=fields)
    assert {(p.code, p.severity) for p in problems} == {("fields_unavailable", "warning")}
    assert [p.path for p in problems] == ["contacts.companies.name", "contacts.companies.industry"]


def test_a_lead_object_the_crm_does_not_list_is_an_error():
    problems = check(replace(HUBSPOT_LEADS_DEFAULT, object_type="prospects"))
    assert {(p.code, p.severity) for p in problems} == {
        ("unknown_object", "error"),
        ("unsupported_association", "error"),  # nothing is known to associate with prospects either
    }
    assert problems[0].message == "name: hs_lead_name: the CRM listed no fields for the lead object prospects"
