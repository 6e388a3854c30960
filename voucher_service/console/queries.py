"""A filter left blank is no filter: the console drops empty query parameters.

A table's filters are a plain GET form (they work without JavaScript), so a select left at
全部 and an empty date box arrive as ``?outcome=&from=``. The pages read their filters with
the API's own dependencies (``usage.router.record_filter`` ...), which take a missing value
as "any" and refuse an empty one (an empty date is no date); dropping the empty ones before
routing gives the page exactly the request its API endpoint would get."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

INVALID_PARAM = "invalid"  # the filters a page was sent back without (?invalid=year)


class BlankFiltersDropped:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query:
            # On the raw bytes: what is kept reaches the page exactly as the browser sent it.
            pairs = query.split(b"&")
            kept = [pair for pair in pairs if pair.partition(b"=")[2]]
            if len(kept) != len(pairs):
                scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)


def without_invalid_filters(request: Request, exc: RequestValidationError) -> str | None:
    """For a page asked for with a filter it cannot read (``?year=abc``): the same page
    without those filters, naming them in ``?invalid=`` (the listing says so in Chinese,
    every other filter kept). None when nothing of the query string is to blame (a form, a
    path), or on a second try: then the error page."""
    if request.method != "GET" or INVALID_PARAM in request.query_params:
        return None
    bad = {
        str(err["loc"][1])
        for err in exc.errors()
        if len(err.get("loc", ())) == 2 and err["loc"][0] == "query"
    }
    if not bad or any(err.get("loc", ("",))[0] != "query" for err in exc.errors()):
        return None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in bad]
    kept.append((INVALID_PARAM, ",".join(sorted(bad))))
    return f"{request.url.path}?{urlencode(kept)}"
