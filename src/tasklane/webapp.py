"""Serve the web app's production build (web/dist) at `/`.

Hashed files under `/assets` never change, so browsers may keep them for a year; `index.html`
names the current ones, so it is revalidated on every load. Any other GET that is not an API,
health or metrics path answers with `index.html`, so client routes like `/p/<id>/board` survive a
reload. A build compressed ahead of time (`name.gz` beside `name`) is sent gzipped to clients
that accept it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from tasklane.config import Settings
from tasklane.errors import NotFound

ASSET_CACHE = "public, max-age=31536000, immutable"
PAGE_CACHE = "no-cache"
# Paths the web app never answers: the API and the operations endpoints keep their own 404s.
RESERVED_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics")

MISSING_BUILD_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tasklane: web app not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}
code{background:#f1f5f9;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>The web app is not built yet</h1>
<p>The Tasklane API is running (see <a href="/api/docs">/api/docs</a>), but the web app's files
were not found. Build them with <code>make run</code> (it builds what is missing), or with
<code>npm ci &amp;&amp; npm run build</code> in the <code>web/</code> folder, then reload.</p>
</body></html>
"""


def _reserved(path: str) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p) for p in RESERVED_PREFIXES)


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _file_response(request: Request, path: Path, cache_control: str) -> Response:
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".js":
        media_type = "text/javascript"
    compressed = path.with_name(path.name + ".gz")
    if _accepts_gzip(request) and compressed.is_file():
        headers["Content-Encoding"] = "gzip"
        return FileResponse(compressed, media_type=media_type, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


def _inside(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`, or None if it is elsewhere or absent."""
    if not relative or "\x00" in relative:
        return None
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def install_web_app(app: FastAPI, settings: Settings) -> None:
    """Add the web app's routes. Call it last: it answers every GET the API did not claim."""
    root = settings.resolved_web_dir.resolve()

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def web_app(path: str, request: Request) -> Response:
        url_path = "/" + path
        if _reserved(url_path):
            raise NotFound(f"No such endpoint: {url_path}")
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(MISSING_BUILD_PAGE, status_code=503, headers={"Retry-After": "60"})
        if path.startswith("assets/"):
            asset = _inside(root, path)
            if asset is None:
                # A stale page asking for an old hash: a real 404, never index.html.
                raise NotFound(f"No such file: {url_path}")
            return _file_response(request, asset, ASSET_CACHE)
        if "." in path.rsplit("/", 1)[-1]:
            # A file name (client routes have no dots): serve it if the build has it.
            static = _inside(root, path)
            if static is None:
                raise NotFound(f"No such file: {url_path}")
            return _file_response(request, static, PAGE_CACHE)
        return _file_response(request, index, PAGE_CACHE)
