from __future__ import annotations

from fastapi import status

from tasklane.api import new_router
from tasklane.auth import service
from tasklane.auth.principal import CurrentPrincipal, DetachedPrincipal
from tasklane.auth.schemas import PasswordChange, UserRead, UserUpdate
from tasklane.db import DbSession
from tasklane.runtime import CurrentRuntime

router = new_router(prefix="/users", tags=["users"])


@router.get("/me")
async def get_me(session: DbSession, principal: CurrentPrincipal) -> UserRead:
    """The signed-in user."""
    return await service.get_me(session, principal)


@router.patch("/me")
async def update_me(data: UserUpdate, session: DbSession, principal: CurrentPrincipal) -> UserRead:
    """Change the signed-in user's display name."""
    return await service.update_me(session, principal, data=data)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    data: PasswordChange, principal: DetachedPrincipal, rt: CurrentRuntime
) -> None:
    """Change the password. Every other sign-in session of the user ends."""
    await service.change_password(rt, principal, data=data)
