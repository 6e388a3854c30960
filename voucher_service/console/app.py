"""The console: a small FastAPI application mounted at /console inside the service.

Its own application so that its errors are pages in its own look (the API's stay JSON) and
every state-changing request in it passes the CSRF check; it shares the service's database
session, clock and dependency overrides. Nothing it answers may be stored by a browser or a
proxy (``Cache-Control: no-store``): after sign-out, Back asks the server again, which sends
the browser to sign in instead of showing the last page's data.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voucher_service.console import enterprise, inbox, pages, provider, public
from voucher_service.console.assets import mount_static
from voucher_service.console.auth import (
    CsrfRefused,
    PasswordChangeRequired,
    SecondFactorRequired,
    require_csrf,
)
from voucher_service.console.bureau.router import router as bureau_router
from voucher_service.console.i18n import Translator, language_of
from voucher_service.console.menu import navigation
from voucher_service.console.queries import BlankFiltersDropped, without_invalid_filters
from voucher_service.console.templating import render
from voucher_service.console.viewer import CONSOLE
from voucher_service.errors import Forbidden, NotFound, ServiceError, TooManyFailures, Unauthorized
from voucher_service.routing import allowed_methods

log = logging.getLogger(__name__)


def error_page(request: Request, status: int, exc: ServiceError | None = None) -> Response:
    """An error in the console's look, in the page's language. A refusal of access says no
    more than the API does (403: not for your role; 404: no such thing, or not yours)."""
    t = Translator(language_of(request))
    title_key = f"error.{status}.title"
    text_key = f"error.{status}.text"
    if isinstance(exc, CsrfRefused) or (
        exc is not None and not isinstance(exc, Forbidden | NotFound)
    ):
        text: str | None = pages.describe(exc, t)
    else:
        text = t(text_key) if text_key in t else None
    response = render(
        request,
        "error.html",
        status_code=status,
        status=status,
        title=t(title_key if title_key in t else "error.500.title"),
        text=text,
    )
    if isinstance(exc, TooManyFailures):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


class NoStore:
    """Pure ASGI middleware: every response says ``Cache-Control: no-store`` (whatever a
    handler set: a console page is a person's data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"cache-control"
                ]
                message["headers"] = [*headers, (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, no_store)


def create_console_app() -> FastAPI:
    console = FastAPI(
        title="console",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(require_csrf)],
    )
    console.state.navigation = navigation  # the menu templating.render shows
    console.add_middleware(BlankFiltersDropped)
    console.add_middleware(NoStore)
    console.include_router(pages.router)
    console.include_router(bureau_router)
    console.include_router(enterprise.router)
    console.include_router(provider.router)
    console.include_router(inbox.router)
    console.include_router(public.router)

    @console.exception_handler(PasswordChangeRequired)
    async def password_first(request: Request, exc: PasswordChangeRequired) -> Response:
        return RedirectResponse(f"{CONSOLE}/password", status_code=303)

    @console.exception_handler(SecondFactorRequired)
    async def second_factor_first(request: Request, exc: SecondFactorRequired) -> Response:
        return RedirectResponse(f"{CONSOLE}/second-factor", status_code=303)

    @console.exception_handler(ServiceError)
    async def refused(request: Request, exc: ServiceError) -> Response:
        if isinstance(exc, Unauthorized) and request.method == "GET":
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"{CONSOLE}/sign-in?next={target}", status_code=303)
        return error_page(request, exc.status, exc)

    @console.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        page = error_page(request, exc.status_code)
        if exc.status_code == 405:
            page.headers["Allow"] = allowed_methods(request)
        return page

    @console.exception_handler(RequestValidationError)
    async def invalid_form(request: Request, exc: RequestValidationError) -> Response:
        log.info("invalid request to %s: %s", request.url.path, exc.errors())
        again = without_invalid_filters(request, exc)
        if again is not None:
            return RedirectResponse(again, status_code=303)
        return error_page(request, 422)

    @console.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        log.warning("database error: %s", exc.orig)
        return error_page(request, 503)

    @console.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        return error_page(request, 500)

    return console


async def _to_console(request: Request) -> Response:
    return RedirectResponse(f"{CONSOLE}/", status_code=307)


def mount_console(app: FastAPI) -> None:
    """Mount the console at /console (``/`` leads there) and its assets at /static."""
    console = create_console_app()
    # One set of dependency overrides for both apps: whatever fixes the service's clock or
    # database session (tests do) fixes the console's too.
    console.dependency_overrides = app.dependency_overrides
    mount_static(app)
    app.mount(CONSOLE, console, name="console")
    app.add_route("/", _to_console, include_in_schema=False)
