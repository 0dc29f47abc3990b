"""Reading a report page back with the standard library's HTML parser, as a browser would
tokenise it: which elements and attributes are live, which ids exist, where links point."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    text: list[str] = field(default_factory=list)

    def attribute_values(self, name: str) -> list[str]:
        return [a[name] or "" for _, a in self.tags if name in a]

    def elements(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.page.tags.append((tag, attributes))
        if attributes.get("id"):
            self.page.ids.add(attributes["id"] or "")

    def handle_data(self, data: str) -> None:
        self.page.text.append(data)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def assert_inert(page: Page) -> None:
    """No script element, no event-handler attribute, nothing loaded from outside the page:
    every link is an in-page anchor and every image a data: URI."""
    assert not page.elements("script")
    for tag, attributes in page.tags:
        handlers = [name for name in attributes if name.startswith("on")]
        assert not handlers, (tag, attributes)
    assert all(href.startswith("#") for href in page.attribute_values("href"))
    assert all(src.startswith("data:image/png;base64,") for src in page.attribute_values("src"))
    assert not page.elements("link") and not page.elements("iframe")


def assert_links_resolve(page: Page) -> None:
    """Every in-page link lands on an element of the page."""
    targets = {href[1:] for href in page.attribute_values("href")}
    missing = targets - page.ids
    assert not missing, sorted(missing)[:5]
