"""A filter left blank is no filter: the console drops empty query parameters.

A table's filters are a plain GET form (they work without JavaScript), so a select left at
全部 and an empty date box arrive as ``?outcome=&from=``. The pages read their filters with
the API's own dependencies (``usage.router.record_filter`` ...), which take a missing value
as "any" and refuse an empty one (an empty date is no date); dropping the empty ones before
routing gives the page exactly the request its API endpoint would get."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


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
