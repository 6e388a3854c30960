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


@dataclass(frozen=True)
class Filter:
    name: str  # the query parameter, as the matching API endpoint names it
    label: str  # catalogue key
    options: Sequence[tuple[str, str]] = ()  # (value, catalogue key): a select; else a text box
    value: str = ""
    input_type: str = "text"  # the text box's type: "text", "date" ...
    literal_options: bool = False  # the options' labels are shown as they are (names, codes)
    blank: str = "filter.all"  # what the select's empty choice (no filter) is called


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
    ) -> Table:
        """A table showing one page of a listing at ``request``'s URL: each filter holds
        its value from the query string, and the links keep the filters (and page size)."""
        kept = {
            name: value
            for name, value in request.query_params.items()
            if value and (name == "limit" or any(f.name == name for f in filters))
        }
        url = request.url.path

        def link(base: str, **extra: str) -> str:
            query = urlencode({**kept, **extra})
            return f"{base}?{query}" if query else base

        return cls(
            id=id,
            caption=caption,
            url=url,
            columns=columns,
            rows=rows,
            filters=[replace(f, value=request.query_params.get(f.name, "")) for f in filters],
            next_url=link(url, cursor=next_cursor) if next_cursor else None,
            first_url=link(url) if request.query_params.get("cursor") else None,
            download_urls=(
                {fmt: link(download_url, format=fmt) for fmt in ("csv", "xlsx")}
                if download_url
                else {}
            ),
            row_key=row_key,
            select_form=select_form,
        )
