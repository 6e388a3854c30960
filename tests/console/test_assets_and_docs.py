"""Static assets and the API docs come from the service itself: no CDN, nothing from outside."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

from fastapi.testclient import TestClient

from voucher_service.config import PROJECT_ROOT
from voucher_service.console.assets import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"


def test_every_vendored_file_is_listed_with_its_hash() -> None:
    rows = re.findall(
        r"^\| `([^`]+)` \| (.+?) \| .+ \| `([0-9a-f]{64})` \|$",
        (VENDOR / "README.md").read_text(),
        re.M,
    )
    listed = {path: digest for path, _, digest in rows}
    present = {
        str(p.relative_to(VENDOR))
        for p in VENDOR.rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    assert set(listed) == present
    for path, digest in listed.items():
        assert hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() == digest, path
    licences = {p.split("/")[0] for p in present if "LICENSE" in p}
    assert licences == {"htmx", "echarts", "swagger-ui", "redoc"}


def test_the_package_ships_templates_and_static_files() -> None:
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["voucher_service.console"]
    console = STATIC_DIR.parent
    shipped = {p for pattern in patterns for p in console.glob(pattern) if p.is_file()}
    wanted = {p for d in ("templates", "static") for p in (console / d).rglob("*") if p.is_file()}
    assert wanted and wanted <= shipped


def test_static_files_are_cached_for_long(client: TestClient) -> None:
    response = client.get("/static/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/static/../pyproject.toml").status_code == 404


def _asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)


def test_the_docs_load_only_local_assets(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        urls = _asset_urls(html)
        # ReDoc's bundle is served with its CDN logo dropped (issue 23): /redoc/...
        local = ("/static/vendor/", "/redoc/redoc.standalone.js")
        assert urls and all(u.startswith(local) for u in urls), urls
        assert "http://" not in html and "https://" not in html
        for url in urls:
            assert client.get(url).status_code == 200, url
    assert '"persistAuthorization": true' in client.get("/docs").text


def test_the_openapi_declares_the_api_key(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key, `vsk_<prefix>_<secret>` (see docs/access.md).",
    }
    operations = [
        op
        for path, ops in schema["paths"].items()
        if path.startswith("/v1/")
        for op in ops.values()
    ]
    assert operations and all(op["security"] == [{"apiKey": []}] for op in operations)
    assert "security" not in schema["paths"]["/healthz"]["get"]
    assert not any(path.startswith(("/console", "/static", "/docs")) for path in schema["paths"])


def test_console_pages_use_local_assets_only(client: TestClient) -> None:
    html = client.get("/console/sign-in").text
    assets = [u for u in _asset_urls(html) if not u.startswith(("/console", "#", "?"))]
    assert assets and all(u.startswith("/static/") for u in assets), assets
    assert not any(Path(u).suffix == ".woff2" for u in assets)


def test_pages_forbid_anything_from_elsewhere(client: TestClient) -> None:
    """A content security policy: even a vendored script that tried to reach a CDN (ReDoc
    fetches its maker's logo) is stopped by the browser."""
    for path in ("/docs", "/redoc", "/console/sign-in", "/console/no-such-page"):
        policy = client.get(path).headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
    console = client.get("/console/sign-in").headers["content-security-policy"]
    assert "script-src 'self';" in console  # no inline script on console pages


def test_redocs_bundle_names_no_outside_address_to_load(client: TestClient) -> None:
    """ReDoc would draw its maker's logo from cdn.redoc.ly: the bundle served has none."""
    html = client.get("/redoc").text
    [script] = [u for u in _asset_urls(html) if u.startswith("/redoc/")]
    served = client.get(script)
    assert served.status_code == 200 and "javascript" in served.headers["content-type"]
    assert "cdn.redoc.ly" not in served.text and len(served.text) > 100_000
