"""Rendering a console page: the Jinja2 environment, and the context every page shares (the
translator, the signed-in person and their navigation, the CSRF token, asset URLs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from voucher_service.console import formatting
from voucher_service.console.assets import static_url
from voucher_service.console.auth import COOKIE_PATH, CSRF_FIELD, csrf_token, set_cookies
from voucher_service.console.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_PARAM,
    LANGUAGES,
    Translator,
    language_of,
    requested_language,
)
from voucher_service.console.viewer import Viewer

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Console pages run only the service's own scripts, load nothing from elsewhere, post forms
# only to the service and cannot be framed. (Inline styles: a chart's height, ECharts' SVG.)
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["yuan"] = formatting.yuan
environment.filters["local_datetime"] = formatting.local_datetime
environment.filters["local_date"] = formatting.local_date
environment.globals["static_url"] = static_url


@dataclass(frozen=True)
class NavItem:
    label: str  # catalogue key
    url: str
    count: int = 0  # shown beside the label when not 0 (unread messages)


# The menu of a signed-in person; the console app puts it in its state (``app.state.navigation``):
# the pages it lists sit above this module.
Navigation = Callable[[Viewer], Sequence[NavItem]]


def menu_of(request: Request, viewer: Viewer | None) -> Sequence[NavItem]:
    """The menu shown to ``viewer`` (none before sign-in or a required password change)."""
    navigation: Navigation | None = getattr(request.app.state, "navigation", None)
    if navigation is None or viewer is None or viewer.must_change_password:
        return []
    return navigation(viewer)


def url_with(request: Request, **changes: str | None) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` in the request's language, for its signed-in person (if any)."""
    language = language_of(request)
    other = LANGUAGES[1 - LANGUAGES.index(language)]
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    secret: bytes | None = getattr(request.state, "console_secret", None)
    csrf = csrf_token(request, secret) if secret else ""
    nav = menu_of(request, viewer)
    # The menu entry of this page, or of the list it is a record of (the longest prefix).
    path = request.url.path
    current = max(
        (i.url for i in nav if path == i.url or path.startswith(i.url + "/")), key=len, default=path
    )
    html = environment.get_template(template).render(
        request=request,
        t=Translator(language),
        lang=language,
        other_lang=other,
        switch_url=url_with(request, **{LANGUAGE_PARAM: other}),
        viewer=viewer,
        nav=nav,
        current=current,
        csrf=csrf,
        csrf_field=Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf}">'),
        **context,
    )
    response = HTMLResponse(
        html, status_code=status_code, headers={"Content-Security-Policy": CONSOLE_CSP}
    )
    set_cookies(response, request)
    asked = requested_language(request)
    if asked:
        response.set_cookie(
            LANGUAGE_COOKIE, asked, max_age=365 * 24 * 3600, path=COOKIE_PATH, samesite="lax"
        )
    return response
