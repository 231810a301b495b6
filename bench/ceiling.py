"""The ceiling: a bare FastAPI endpoint returning a prepared JSON body.

It runs with the same server settings and process count as Tasklane in the same run, and
returns a real page of 50 tasks captured from the dataset, so every endpoint's throughput can
be stated as a share of what the framework and server alone reach on this machine right now.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response

BODY_ENV = "BENCH_CEILING_BODY"


def create_app() -> FastAPI:
    body = Path(os.environ[BODY_ENV]).read_bytes()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/ceiling")
    async def ceiling() -> Response:
        return Response(content=body, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(content=b'{"status":"ok"}', media_type="application/json")

    return app
