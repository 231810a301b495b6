"""The API's documentation pages, Swagger UI at /api/docs and ReDoc at /api/redoc, served with
their scripts and styles from Tasklane itself: they work on a machine without internet, and
their Content-Security-Policy names no other host.

The assets come from the `fastapi-offline` package, which bundles the swagger-ui-dist and
ReDoc builds (and nothing else we use of it).
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

DOCS_URL = "/api/docs"
REDOC_URL = "/api/redoc"
ASSETS_URL = "/api/docs/assets"
DOCS_PAGES = frozenset({DOCS_URL, REDOC_URL})
REDOC_JS = "redoc.standalone.js"
REDOC_LOGO = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'
"""ReDoc's sidebar shows a logo from its makers' CDN. The policy would block it, but the page
should not even try: served with an empty `src`, the image fails at once and ReDoc drops it."""

_ASSETS = Path(str(files("fastapi_offline") / "static"))
_INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def _script_hashes(page: str) -> list[str]:
    hashes = []
    for match in _INLINE_SCRIPT.finditer(page):
        digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sorted(set(hashes))


def docs_csp(script_hashes: list[str]) -> str:
    """Only this server's own files, plus the pages' own inline start-up script (by hash).
    Both UIs style themselves inline, ReDoc searches in a blob: worker, and the icons are
    data: URLs."""
    scripts = " ".join(["'self'", *script_hashes])
    return (
        f"default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def install_api_docs(app: FastAPI) -> str:
    """Add the two pages and their assets to `app`; return the pages' Content-Security-Policy.

    The app must be created with `docs_url=None, redoc_url=None` (FastAPI's own pages load
    their assets from a CDN)."""
    assert app.openapi_url is not None
    favicon = f"{ASSETS_URL}/favicon.png"
    swagger_page = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=favicon,
        oauth2_redirect_url=None,
        # The validator badge would send the document to an outside service.
        swagger_ui_parameters={"validatorUrl": None},
    ).body

    redoc_page = get_redoc_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} API",
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=favicon,
        with_google_fonts=False,
    ).body

    swagger, redoc = bytes(swagger_page).decode(), bytes(redoc_page).decode()
    for page in (swagger, redoc):
        outside = re.findall(r"""(?:src|href)=["'](?!/)([^"']*)""", page)
        assert not outside, f"a docs page loads {outside}"

    redoc_js = (_ASSETS / REDOC_JS).read_bytes().replace(REDOC_LOGO, b'""')

    # Before the mount, which would answer for the same path.
    @app.get(f"{ASSETS_URL}/{REDOC_JS}", include_in_schema=False)
    async def redoc_script() -> Response:
        return Response(redoc_js, media_type="text/javascript; charset=utf-8")

    app.mount(ASSETS_URL, StaticFiles(directory=_ASSETS), name="api-docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger)

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc_ui() -> HTMLResponse:
        return HTMLResponse(redoc)

    return docs_csp(_script_hashes(swagger) + _script_hashes(redoc))
