"""Rendering a console page: the Jinja2 environment, and the context every page shares (the
translator, the signed-in person and their navigation, the CSRF token, asset URLs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
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
from voucher_service.locale import translations

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
    extensions=["jinja2.ext.i18n"],
)
# gettext/ngettext/_ (and {% trans %}) are bound per render to the request's language (see
# ``gettext_callables``); these null ones only serve a template rendered outside a request.
environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
environment.globals["static_url"] = static_url


@pass_context
def _yuan(context: Context, fen: int) -> str:
    return formatting.yuan(fen, language=context.get("lang", formatting.DEFAULT_LANGUAGE))


@pass_context
def _local_datetime(context: Context, moment: datetime) -> str:
    language = context.get("lang", formatting.DEFAULT_LANGUAGE)
    return formatting.local_datetime(moment, language=language)


@pass_context
def _local_date(context: Context, value: date | datetime) -> str:
    return formatting.local_date(value, language=context.get("lang", formatting.DEFAULT_LANGUAGE))


@pass_context
def _note(context: Context, item: str | dict[str, Any], prefix: str = "check.note.") -> str:
    """An automatic check's (``check.note.``) or a flag's (``flag.``) note in the page's
    language: the catalog's ``<prefix><note>`` filled with its params (``x_fen`` as ``x`` in
    yuan, a size class by name); the stored English message for a note the catalog lacks or
    an application checked before notes existed."""
    if isinstance(item, str):
        return item
    t: Translator = context["t"]
    key = f"{prefix}{item.get('note', '')}"
    if not item.get("note") or key not in t:
        return str(item["message"])
    language = context.get("lang", formatting.DEFAULT_LANGUAGE)
    values: dict[str, Any] = {}
    for name, value in item.get("params", {}).items():
        if name.endswith("_fen"):
            values[name.removesuffix("_fen")] = formatting.yuan(value, language).lstrip("¥")
        elif name == "size_class" and f"size.{value}" in t:
            values[name] = t(f"size.{value}")
        else:
            values[name] = value
    return t(key, **values)


# Who did something when no person did: the names the service records for itself.
SYSTEM_ACTORS = {"command line": "actor.command_line", "automatic checks": "actor.automatic_checks"}


@pass_context
def _actor(context: Context, name: str | None) -> str | None:
    """A recorded actor (``decided_by``) as a reader says it: the service's own by name."""
    key = SYSTEM_ACTORS.get(name or "")
    return context["t"](key) if key else name


@pass_context
def _decision_reason(context: Context, view: Any) -> str | None:
    """An application's decision reason: the failed checks' notes in the page's language
    when the automatic checks refused it (stored in English for the API), else as written."""
    row = view.application
    failed = [c for c in view.checks if not c.get("ok")]
    if row.decided_by not in SYSTEM_ACTORS or not failed or not all(c.get("note") for c in failed):
        return row.decision_reason  # type: ignore[no-any-return]
    t: Translator = context["t"]
    parts = [
        t("check.failed", check=t(f"check.{c['check']}"), note=_note(context, c)) for c in failed
    ]
    return t("check.separator").join(parts)


environment.globals["note"] = _note
environment.globals["decision_reason"] = _decision_reason
environment.filters["actor"] = _actor
environment.filters["yuan"] = _yuan
environment.filters["local_datetime"] = _local_datetime
environment.filters["local_date"] = _local_date


@cache
def gettext_callables(language: str) -> dict[str, Callable[..., str]]:
    """``gettext``, ``ngettext`` and ``_`` of the i18n extension in ``language`` (new-style:
    ``_("msgid", name=...)`` fills ``%(name)s`` and escapes what it fills)."""
    catalog = translations(language)

    @pass_context
    def gettext(context: Context, message: str, **variables: Any) -> str:
        text: str = catalog.gettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables else text

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int, **variables: Any) -> str:
        variables.setdefault("num", n)
        text: str = catalog.ngettext(singular, plural, n)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return {"gettext": gettext, "ngettext": ngettext, "_": gettext}


@dataclass(frozen=True)
class NavItem:
    label: str  # catalogue key
    url: str
    count: int | None = None  # what waits there (applications, unread messages), shown beside it
    count_label: str = "menu.waiting"  # the catalogue key that says what the count counts


# The menu of a signed-in person; the console app puts it in its state (``app.state.navigation``):
# the pages it lists sit above this module.
# It is given the page's session, when the page has one, for its counts.
Navigation = Callable[[Viewer, Any], Sequence[NavItem]]


def menu_of(request: Request, viewer: Viewer | None) -> Sequence[NavItem]:
    """The menu shown to ``viewer`` (none before sign-in or a required password change)."""
    navigation: Navigation | None = getattr(request.app.state, "navigation", None)
    if navigation is None or viewer is None or viewer.must_change_password:
        return []
    return navigation(viewer, getattr(request.state, "session", None))


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
        **gettext_callables(language),
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
