from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from tasklane.runtime import CurrentRuntime

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency is not reachable."}})
async def readyz(rt: CurrentRuntime) -> JSONResponse:
    """Ready to serve: the database answers."""
    try:
        async with rt.db.transaction(write=False) as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse(
            {"status": "unavailable", "checks": {"database": f"error: {type(exc).__name__}"}},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "checks": {"database": "ok"}})
