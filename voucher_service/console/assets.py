"""Static files served by the service itself (no CDN): the console's CSS and JavaScript and
the vendored htmx, ECharts, Swagger UI and ReDoc (see static/vendor/README.md).

URLs carry a hash of the file's content (``/static/console.css?v=3f2a...``), so browsers may
keep a file for a year: a changed file has a new URL."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"


class LongCachedStaticFiles(StaticFiles):
    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


@cache
def static_url(path: str) -> str:
    """The URL of a file under static/, versioned by its content."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    return f"{STATIC_PREFIX}/{path}?v={digest}"


def mount_static(app: FastAPI) -> None:
    """Serve static/ at /static (once, however many callers ask)."""
    if not any(getattr(route, "path", None) == STATIC_PREFIX for route in app.routes):
        app.mount(STATIC_PREFIX, LongCachedStaticFiles(directory=STATIC_DIR), name="static")
