from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tasklane.realtime.broker import ping
from tasklane.runtime import CurrentRuntime

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        200: {
            "description": "Ready. `status` is `degraded` when Redis is configured but down: "
            "requests still work, live updates arrive late."
        },
        503: {
            "description": "Not ready: `checks.database` says why: `read-only`, `disk-full`, "
            "`storage-failed` (a write failed for lack of storage in the last 30 seconds) or "
            "`error: ...` (not reachable)."
        },
    },
)
async def readyz(rt: CurrentRuntime) -> JSONResponse:
    """Ready to serve: the database answers and can take writes (required), and Redis, when
    configured, answers (optional: without it live updates fall back to reading the event
    log). Cheap enough to poll often: one database round trip, no write."""
    checks: dict[str, Any] = {}
    status_code = 200
    try:
        checks["database"] = await rt.db.readiness()
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if checks["database"] != "ok":
        status_code = 503
    degraded = False
    if rt.redis is not None:
        up = await ping(rt.redis)
        checks["redis"] = "ok" if up else "unavailable"
        checks["live_updates"] = "ok" if up and rt.hub.live else "delayed"
        degraded = not up
    status = "unavailable" if status_code != 200 else "degraded" if degraded else "ok"
    return JSONResponse({"status": status, "checks": checks}, status_code=status_code)
