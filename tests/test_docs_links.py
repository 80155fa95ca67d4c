"""The README and the pages under docs/ link to files that exist, and to headings that exist.

A page moved or renamed (as issue 13 moves the reference out of the README) breaks the links that
point at it without any other test noticing; a link relative to the wrong folder (``docs/`` links
are relative to ``docs/``) looks right in an editor and 404s on GitHub. Every docs page also opens
with its title and a paragraph saying what it covers, so a reader landing on it knows where they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

_FENCED = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...


def prose(text: str) -> str:
    """``text`` without code blocks and inline code, where brackets are not links."""
    return _INLINE_CODE.sub("", _FENCED.sub("", text))


def links(text: str) -> list[str]:
    return _LINK.findall(prose(text))


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCED.sub("", text)):
        plain = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading)
        slug = re.sub(r"[^\w\- ]", "", plain.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def broken_links(page: Path) -> list[str]:
    """Each relative link of ``page`` whose file, or whose anchor in a Markdown file, is missing."""
    broken = []
    for target in links(page.read_text()):
        if _EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / path_part).resolve() if path_part else page
        if not destination.exists():
            broken.append(f"{target} (no file {shown(destination)})")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination.read_text()):
            broken.append(f"{target} (no heading #{anchor} in {shown(destination)})")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_points_at_an_existing_file_and_heading(page):
    assert broken_links(page) == []


@pytest.mark.parametrize("page", sorted((ROOT / "docs").glob("*.md")), ids=lambda page: page.name)
def test_every_docs_page_opens_with_a_title_and_a_paragraph_saying_what_it_covers(page):
    blocks = [block.strip() for block in page.read_text().split("\n\n") if block.strip()]
    assert blocks[0].startswith("# ") and "\n" not in blocks[0], "the first line is the page's title"
    assert not blocks[1].startswith(("#", "-", "|", "```")), "a paragraph follows the title"


def test_the_check_finds_a_missing_file_a_missing_heading_and_ignores_code(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## A section, with `code`\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md) [ok](other.md#a-section-with-code) [web](https://example.com/x)\n"
        "[gone](missing.md) [bad anchor](other.md#nowhere) `[not a link](missing.md)`\n"
        "```\n[in a code block](missing.md)\n```\n"
    )

    assert [problem.split(" ")[0] for problem in broken_links(page)] == ["missing.md", "other.md#nowhere"]
