from __future__ import annotations

from fastapi import Request, status

from tasklane.api import new_router, problem_doc
from tasklane.auth import service
from tasklane.auth.principal import CurrentPrincipal, DetachedPrincipal
from tasklane.auth.schemas import PasswordChange, UserRead, UserUpdate
from tasklane.db import DbSession
from tasklane.runtime import CurrentRuntime
from tasklane.security import client_address

router = new_router(prefix="/users", tags=["users"])


@router.get("/me")
async def get_me(session: DbSession, principal: CurrentPrincipal) -> UserRead:
    """The signed-in user."""
    return await service.get_me(session, principal)


@router.patch("/me", responses={409: problem_doc("The handle is taken.")})
async def update_me(
    data: UserUpdate, session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime
) -> UserRead:
    """Change the signed-in user's name, handle, avatar colour, time zone or theme. Only the
    fields sent change; a taken handle is 409 `handle_taken`."""
    return await service.update_me(session, principal, rt.signed_in, data=data)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={429: problem_doc("Too many wrong current passwords; see Retry-After.")},
)
async def change_password(
    data: PasswordChange, request: Request, principal: DetachedPrincipal, rt: CurrentRuntime
) -> None:
    """Change the password. Every other sign-in session of the user ends. Wrong current
    passwords count like failed sign-ins of the account (429 with Retry-After past the
    limit)."""
    await service.change_password(rt, principal, data=data, address=client_address(request))
