"""Salesforce record ids: a 3-character key prefix (``005`` User, ``00G`` Group, ``00Q`` Lead...), 12
base-62 characters, and the 3-character case-safe suffix that makes the 18-character form.

The suffix is Salesforce's own checksum (one character per 5 characters of the 15-character id: a bit for
each upper-case letter, read backwards, indexing ``A-Z0-5``), so ids look and compare as real ones do.
"""

from __future__ import annotations

import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
SUFFIX_ALPHABET = string.ascii_uppercase + "012345"

PREFIXES = {
    "Organization": "00D",
    "User": "005",
    "Group": "00G",
    "Lead": "00Q",
    "LeadStatus": "01J",
    "Account": "001",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "Task": "00T",
    "ContentDocument": "069",
    "ContentVersion": "068",
    "ContentDocumentLink": "06A",
}
QUERY_LOCATOR_PREFIX = "01g"


def _suffix(short_id: str) -> str:
    out = []
    for start in range(0, 15, 5):
        chunk = short_id[start : start + 5]
        bits = sum(1 << index for index, char in enumerate(chunk) if char.isupper())
        out.append(SUFFIX_ALPHABET[bits])
    return "".join(out)


def make_id(prefix: str, number: int, pod: str = "SB") -> str:
    """The 18-character id of the ``number``-th record with ``prefix`` (``pod``: two characters of the
    instance, fixed here so seeded ids are the same on every run)."""
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    body = (prefix + pod + digits.rjust(10, "0"))[:15]
    return body + _suffix(body)


def object_id(object_name: str, number: int) -> str:
    return make_id(PREFIXES[object_name], number)


def normalise(record_id: str) -> str:
    """The 18-character form of a 15- or 18-character id (Salesforce accepts both in URLs and SOQL)."""
    return record_id + _suffix(record_id) if len(record_id) == 15 else record_id


def object_of(record_id: str) -> str | None:
    prefix = record_id[:3]
    return next((name for name, known in PREFIXES.items() if known == prefix), None)
