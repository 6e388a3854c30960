"""The data behind the table macro (templates/macros.html ``data_table``): columns, filters
and one page of rows in the shape of pagination.py (items plus an opaque next cursor), with
the links to the next and first pages and the downloads, keeping the filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request

CellKind = Literal[
    "text", "code", "money", "date", "datetime", "status", "label", "number", "percent_bp"
]


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # catalogue key
    kind: CellKind = "text"
    prefix: str = ""  # kind "label": the cell shows t(prefix + value)
    link: str = ""  # the row's key holding a URL: the cell links there
    sort: str = ""  # the list's sort name for this column: its header sorts the table


def row_of(item: Any, columns: Sequence[Column], *extra: str) -> dict[str, Any]:
    """A row showing ``item``'s attributes as they are: one a column (its key names the
    attribute), and the ``extra`` ones the template reads (the row's key, a link)."""
    return {name: getattr(item, name) for name in (*extra, *(c.key for c in columns))}


@dataclass(frozen=True)
class Filter:
    name: str  # the query parameter, as the matching API endpoint names it
    label: str  # catalogue key
    options: Sequence[tuple[str, str]] = ()  # (value, catalogue key): a select; else a text box
    value: str = ""
    input_type: str = "text"  # the text box's type: "text", "date" ...
    literal_options: bool = False  # the options' labels are shown as they are (names, codes)
    blank: str = "filter.all"  # what the select's empty choice (no filter) is called
    hint: str = ""  # catalogue key: the text box's placeholder


@dataclass(frozen=True)
class PageLink:
    """One link of a numbered pager: a page's number (or ``…`` for a gap, with no URL)."""

    label: str
    url: str | None
    current: bool = False


def page_links(number: int, pages: int, url_of: Any, around: int = 2) -> list[PageLink]:
    """The pager of page ``number`` of ``pages``: the first, the last, and ``around`` pages
    either side of this one, gaps shown as ``…``."""
    shown = sorted({1, pages, *range(max(1, number - around), min(pages, number + around) + 1)})
    links: list[PageLink] = []
    for n, previous in zip(shown, [0, *shown], strict=False):
        if n - previous > 1:
            links.append(PageLink("…", None))
        links.append(PageLink(str(n), url_of(n), current=n == number))
    return links


@dataclass(frozen=True)
class Table:
    id: str
    caption: str  # catalogue key
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    url: str = ""  # where the filter form goes (a table with filters)
    filters: Sequence[Filter] = ()
    next_url: str | None = None
    first_url: str | None = None
    download_urls: dict[str, str] = field(default_factory=dict)  # format -> URL
    row_key: str | None = None  # a column whose value marks each row (<tr data-key=...>)
    select_form: str = ""  # a form's id: each row gets a check box (named "ids") posted with it
    total: int | None = None  # numbered pages: rows the filters select
    page_number: int | None = None
    pages: int | None = None
    page_links: Sequence[PageLink] = ()
    sort: str = ""  # the sort shown ("-submitted_at")
    sort_urls: dict[str, str] = field(default_factory=dict)  # column key -> URL sorting by it

    @classmethod
    def whole(
        cls,
        id: str,
        caption: str,
        columns: Sequence[Column],
        rows: Sequence[dict[str, Any]],
        row_key: str | None = None,
    ) -> Table:
        """A table of every row it is given: no pages and no filters."""
        return cls(id=id, caption=caption, columns=columns, rows=rows, row_key=row_key)

    @classmethod
    def page(
        cls,
        request: Request,
        *,
        id: str,
        caption: str,
        columns: Sequence[Column],
        rows: Sequence[dict[str, Any]],
        next_cursor: str | None,
        filters: Sequence[Filter] = (),
        download_url: str | None = None,
        row_key: str | None = None,
        select_form: str = "",
        total: int | None = None,
        page_number: int | None = None,
        limit: int = 50,
    ) -> Table:
        """A table showing one page of a listing at ``request``'s URL: each filter holds
        its value from the query string, and the links keep the filters (and page size and
        sort). With a ``total`` the pages are numbered (links to each, "第 2 / 7 页")."""
        kept = {
            name: value
            for name, value in request.query_params.items()
            if value and (name in ("limit", "sort") or any(f.name == name for f in filters))
        }
        url = request.url.path

        def link(base: str, **extra: str) -> str:
            query = urlencode({**kept, **extra})
            return f"{base}?{query}" if query else base

        pager: dict[str, Any] = {
            "next_url": link(url, cursor=next_cursor) if next_cursor else None,
            "first_url": link(url) if request.query_params.get("cursor") else None,
        }
        pager.update(_numbered(url, kept, columns, total, page_number, limit))
        return cls(
            id=id,
            caption=caption,
            url=url,
            columns=columns,
            rows=rows,
            filters=[replace(f, value=request.query_params.get(f.name, "")) for f in filters],
            download_urls=(
                {fmt: link(download_url, format=fmt) for fmt in ("csv", "xlsx")}
                if download_url
                else {}
            ),
            row_key=row_key,
            select_form=select_form,
            **pager,
        )


def _numbered(
    url: str,
    kept: dict[str, str],
    columns: Sequence[Column],
    total: int | None,
    number: int | None,
    limit: int,
) -> dict[str, Any]:
    """A numbered table's pager and sorting headers, each link keeping the filters."""
    if total is None or number is None:
        return {}
    pages = max(1, -(-total // max(1, limit)))
    sort = kept.get("sort", "")

    def link(**extra: Any) -> str:
        query = urlencode({**kept, **extra})
        return f"{url}?{query}" if query else url

    sort_urls = {
        c.key: link(sort=f"-{c.sort}" if sort == c.sort else c.sort) for c in columns if c.sort
    }
    return {
        "total": total,
        "page_number": number,
        "pages": pages,
        "page_links": page_links(number, pages, lambda n: link(page=n)) if pages > 1 else [],
        "sort": sort,
        "sort_urls": sort_urls,
        "next_url": link(page=number + 1) if number < pages else None,
        "first_url": None,
    }
