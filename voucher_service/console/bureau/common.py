"""What the bureau's pages share: a listing page (one page of rows, its filters, and the
whole filtered listing as CSV or XLSX), what the signed-in person may do, and the notices a
redirect after an action asks for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.responses import Response

from voucher_service.auth.access import Access
from voucher_service.console import pages
from voucher_service.console.pages import translator
from voucher_service.console.table_files import FORMATS, Listing, every_row, table_file
from voucher_service.console.tables import Column, Filter, Table
from voucher_service.console.templating import render
from voucher_service.console.viewer import Viewer
from voucher_service.pagination import PageParams, Slice

# Notices a redirect may ask for (?done=...), by catalogue key: never text from the URL.
DONE = {
    "approved": "done.approved",
    "proposed": "done.proposed",
    "confirmed": "done.confirmed",
    "proposal_rejected": "done.proposal_rejected",
    "withdrawn": "done.withdrawn",
    "returned": "done.returned",
    "rejected": "done.rejected",
    "revoked": "done.revoked",
    "closed": "done.closed",
    "statement_approved": "done.statement_approved",
    "paid": "done.paid",
    "suspended": "done.suspended",
    "reinstated": "done.reinstated",
    "selected": "done.selected",
    "declined": "done.declined",
}


def notice(request: Request) -> str | None:
    return pages.notice(request, DONE)


def allows(request: Request, access: Access) -> bool:
    """Whether the signed-in person's role passes ``access`` (for showing a form's button;
    the form's own route is guarded by the same rule)."""
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    return viewer is not None and access.allows(viewer)


@dataclass(frozen=True)
class ListingPage:
    """One of the bureau's listing pages. ``name`` is its template (``bureau/<name>.html``),
    its table's id and caption (``<name>.caption``) and, unless ``file_name`` says otherwise,
    the name of its download."""

    name: str
    columns: Sequence[Column]
    filters: Sequence[Filter]
    row_key: str
    file_name: str = ""

    def whole_table(self, id: str, rows: Sequence[dict[str, Any]]) -> Table:
        """Rows of this listing shown on another page (an enterprise's vouchers), all of them."""
        caption = f"{self.name}.caption"
        return Table.whole(id, caption, self.columns, rows, row_key=self.row_key)

    def show(
        self,
        request: Request,
        listing: Listing,
        params: PageParams,
        *,
        select_form: str = "",
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        """One page of ``listing`` as a table (``?format=csv|xlsx``: every row the filters
        select, as a file with the same columns)."""
        fmt = request.query_params.get("format")
        if fmt in FORMATS:
            rows = every_row(listing)
            name = self.file_name or self.name
            return table_file(self.columns, rows, translator(request), fmt=fmt, name=name)
        if not params.numbered and params.after_id == 0:
            params = params.model_copy(update={"page": 1})  # people read numbered pages
        found = listing(params)
        rows_shown, cursor = found
        numbered = found if isinstance(found, Slice) and found.total is not None else None
        table = Table.page(
            request,
            id=self.name,
            caption=f"{self.name}.caption",
            columns=self.columns,
            rows=rows_shown,
            next_cursor=cursor,
            filters=self.filters,
            download_url=request.url.path,
            row_key=self.row_key,
            select_form=select_form,
            total=numbered.total if numbered else None,
            page_number=numbered.page if numbered else None,
            limit=params.limit,
        )
        return render(
            request,
            f"bureau/{self.name}.html",
            status_code=status_code,
            table=table,
            **({"error": None, "notice": notice(request)} | context),
        )
