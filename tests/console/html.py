"""Reading what a console page shows, as a person reads it: the rows of a table (by the key
each row carries), the text of its cells, the figures of a card."""

from __future__ import annotations

from html.parser import HTMLParser


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict[str, list[str]]] = {}  # table id -> row key -> cells
        self.order: dict[str, list[str]] = {}
        self.figures: dict[str, dict[str, str]] = {}  # section id -> figure -> text
        self._section: list[str | None] = []
        self._row: str | None = None
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None
        self._figure: tuple[str, list[str], int, str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._depth += 1
        if tag == "section":
            self._section.append(found.get("id"))
        if tag == "tr" and "data-key" in found:
            self._row, self._cells = found["data-key"], []
        elif tag == "td" and self._cells is not None:
            self._cell = []
        if "data-figure" in found and self._figure is None:
            section = next((s for s in reversed(self._section) if s), "")
            self._figure = (found["data-figure"] or "", [], self._depth, section)

    def handle_endtag(self, tag: str) -> None:
        if self._figure is not None and self._depth == self._figure[2]:
            name, parts, _, section = self._figure
            self.figures.setdefault(section, {})[name] = " ".join("".join(parts).split())
            self._figure = None
        self._depth -= 1
        if tag == "section" and self._section:
            self._section.pop()
        elif tag == "td" and self._cell is not None and self._cells is not None:
            self._cells.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._cells is not None:
            table = next((s for s in reversed(self._section) if s), "")
            self.tables.setdefault(table, {})[self._row] = self._cells
            self.order.setdefault(table, []).append(self._row)
            self._row = self._cells = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._figure is not None:
            self._figure[1].append(data)


class Page:
    def __init__(self, html: str) -> None:
        reader = _Reader()
        reader.feed(html)
        self.html = html
        self.tables = reader.tables
        self.order = reader.order
        self.figures = reader.figures

    def rows(self, table: str) -> dict[str, list[str]]:
        """The rows of the table in ``<section id=table>``, by their data-key."""
        return self.tables.get(table, {})

    def figures_of(self, section: str = "") -> dict[str, str]:
        """The ``data-figure`` texts inside ``<section id=section>`` ("": outside any)."""
        return self.figures.get(section, {})

    def keys(self, table: str) -> list[str]:
        """The row keys of a table, in the order shown."""
        return self.order.get(table, [])


def yuan_text(amount: str) -> str:
    """An API amount (``"1234.50"``, ``"-5.00"``) as the console shows it (``¥1,234.50``)."""
    sign = "-" if amount.startswith("-") else ""
    whole, fraction = amount.lstrip("-").split(".")
    return f"{sign}¥{int(whole):,}.{fraction}"
