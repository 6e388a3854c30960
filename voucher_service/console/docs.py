"""The interactive API documentation from the vendored assets, so it works with no internet:
Swagger UI at ``/docs`` (with an Authorize button that takes an API key and keeps it across
reloads: the document declares the key, ``voucher_service/openapi.py``) and ReDoc at
``/redoc``. The app must be made with ``docs_url=None, redoc_url=None`` so FastAPI's CDN
pages are not registered."""

from __future__ import annotations

import hashlib
from functools import cache

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from voucher_service.console.assets import STATIC_DIR, mount_static, static_url

# ReDoc's bundle draws its maker's logo from a CDN (issue 23): served here with that one URL
# made an empty image, which ReDoc hides, so the page asks nothing of anyone else. The
# vendored file itself stays as fetched (static/vendor/README.md).
REDOC_BUNDLE = "vendor/redoc/redoc.standalone.js"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_PATH = "/redoc/redoc.standalone.js"


@cache
def redoc_bundle() -> bytes:
    """ReDoc's bundle with no outside address left in what it loads."""
    return (STATIC_DIR / REDOC_BUNDLE).read_bytes().replace(REDOC_LOGO, b"data:,")


def redoc_url() -> str:
    return f"{REDOC_PATH}?v={hashlib.sha256(redoc_bundle()).hexdigest()[:12]}"


# The browser itself refuses anything from elsewhere: ReDoc, for one, would fetch its maker's
# logo from a CDN. (The inline script is FastAPI's page starting Swagger UI; ReDoc runs a
# worker from a blob.)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def mount_docs(app: FastAPI) -> None:
    """Serve /static, and /docs and /redoc from it."""
    mount_static(app)
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = static_url("vendor/swagger-ui/favicon-32x32.png")

    def locked(page: HTMLResponse) -> HTMLResponse:
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return locked(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} · API",
                swagger_js_url=static_url("vendor/swagger-ui/swagger-ui-bundle.js"),
                swagger_css_url=static_url("vendor/swagger-ui/swagger-ui.css"),
                swagger_favicon_url=favicon,
                # validatorUrl None: Swagger UI would otherwise ask an outside validator about us.
                swagger_ui_parameters={"persistAuthorization": True, "validatorUrl": None},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return locked(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} · API",
                redoc_js_url=redoc_url(),
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )
        )

    @app.get(REDOC_PATH, include_in_schema=False)
    def redoc_script() -> Response:
        return Response(
            redoc_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )
