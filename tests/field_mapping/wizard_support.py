"""Reading the wizard's HTML in tests without a browser: the mapping form's fields as a browser posts them."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.data: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = found.get("id") == self.form_id
        if not self.inside or "name" not in found:
            if tag == "option" and self.select and "selected" in found:
                self.data[self.select] = found.get("value", "")
            return
        name = found["name"]
        if tag == "input" and found.get("type") not in ("submit", "button"):
            self.data[name] = found.get("value", "")
        elif tag == "select":
            self.select = name
            self.data.setdefault(name, "")
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.data[self.textarea] += data.strip("\n")


def form_fields(html: str, form_id: str = "mapping-form") -> dict[str, str]:
    """The fields of ``<form id=form_id>`` with the values a browser would post (selected options)."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.data
