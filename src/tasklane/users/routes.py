from __future__ import annotations

from uuid import UUID

from fastapi import Request, status

from tasklane import audit
from tasklane.api import new_router, problem_doc
from tasklane.audit.address import ClientAddress
from tasklane.auth import apitokens, mfa, passkeys, service, sessions
from tasklane.auth.principal import CurrentPrincipal, DetachedPrincipal
from tasklane.auth.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    CodeRequest,
    MeRead,
    MfaStatus,
    PasskeyCreate,
    PasskeyRead,
    PasskeyUpdate,
    PasswordChange,
    RecoveryCodes,
    SessionInfo,
    SessionsEnded,
    TotpDisable,
    TotpSetup,
    UserRead,
    UserUpdate,
)
from tasklane.db import DbSession
from tasklane.errors import NotFound
from tasklane.kit.pagination import Page
from tasklane.runtime import CurrentRuntime
from tasklane.security import client_address

router = new_router(prefix="/users", tags=["users"])


@router.get("/me")
async def get_me(session: DbSession, principal: CurrentPrincipal) -> MeRead:
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


@router.get("/me/tokens")
async def list_tokens(session: DbSession, principal: CurrentPrincipal) -> Page[ApiTokenRead]:
    """The caller's personal API tokens that are not revoked, newest first, expired ones
    included (at most 50: creating more is refused); never their secrets. Not open to API
    tokens themselves."""
    return await apitokens.list_tokens(session, principal.user_id)


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(
    data: ApiTokenCreate, session: DbSession, principal: CurrentPrincipal, address: ClientAddress
) -> ApiTokenCreated:
    """Create a personal API token. Its secret (`token`, starting `tl_pat_`) is in this
    response only; send it as `Authorization: Bearer <token>`. It acts as its owner, narrowed
    by its scopes, until it is revoked, expires, or its owner is deactivated. A user holds
    at most 50 tokens, expired ones counted until revoked (422 `too_many_tokens`); an expiry
    in the past is 422."""
    return await apitokens.create(session, principal, data=data, address=address)


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    token_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    address: ClientAddress,
) -> None:
    """Revoke a token: it stops working at once in this process, and within
    `TASKLANE_SIGNED_IN_CACHE_SECONDS` in the others."""
    await apitokens.revoke(session, principal, rt.signed_in, token_id=token_id, address=address)


@router.get("/me/sessions")
async def list_sessions(session: DbSession, principal: CurrentPrincipal) -> Page[SessionInfo]:
    """The caller's live sign-in sessions (browsers and API sign-ins), the current one first,
    then the most recently used: when and from where each was last used, and on what. At most
    200 are listed, the most recently used."""
    return await sessions.list_sessions(session, principal)


@router.delete("/me/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(
    session_id: UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    address: ClientAddress,
) -> None:
    """End one of the caller's sessions (ending the current one signs out): its refresh token
    stops at once, its access tokens at once in this process and within
    `TASKLANE_SIGNED_IN_CACHE_SECONDS` in the others. Another user's session is 404."""
    await sessions.end_session(
        session, principal, rt.signed_in, session_id=session_id, address=address
    )


@router.post("/me/sessions/end-others")
async def end_other_sessions(
    session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime, address: ClientAddress
) -> SessionsEnded:
    """End every session of the caller but this one (a lost laptop, a shared computer)."""
    ended = await sessions.end_other_sessions(session, principal, rt.signed_in, address=address)
    return SessionsEnded(ended=ended)


@router.get("/me/mfa")
async def mfa_status(session: DbSession, principal: CurrentPrincipal) -> MfaStatus:
    """Whether two-factor sign-in is on, since when, and how many recovery codes are left.
    Not open to API tokens."""
    enabled_at, left = await mfa.status(session, principal.user_id)
    return MfaStatus(
        totp_enabled=enabled_at is not None, enabled_at=enabled_at, recovery_codes_left=left
    )


@router.post(
    "/me/mfa/totp",
    status_code=status.HTTP_201_CREATED,
    responses={409: problem_doc("Two-factor sign-in is already on (`mfa_already_enabled`).")},
)
async def start_totp(session: DbSession, principal: CurrentPrincipal) -> TotpSetup:
    """Begin two-factor set-up: a new secret for an authenticator app (scan `otpauth_uri` as
    a QR code, or type `secret`). Nothing changes at sign-in until `.../totp/confirm`."""
    secret = await mfa.start(session, principal.user_id)
    return TotpSetup(secret=secret, otpauth_uri=mfa.provisioning_uri(secret, principal.email))


@router.post(
    "/me/mfa/totp/confirm",
    responses={
        404: problem_doc("Set-up was not started (`mfa_not_started`)."),
        409: problem_doc("Two-factor sign-in is already on."),
        422: problem_doc("The code is not valid (`invalid_code`)."),
    },
)
async def confirm_totp(
    data: CodeRequest, session: DbSession, principal: CurrentPrincipal, address: ClientAddress
) -> RecoveryCodes:
    """Turn two-factor sign-in on with a first code from the app. The answer holds 10
    recovery codes, shown this once: each signs in once when the app is lost."""
    codes = await mfa.confirm(session, principal.user_id, data.code)
    await audit.record(
        session, "auth.mfa_enabled", actor=principal, workspace_id=None, address=address
    )
    return RecoveryCodes(recovery_codes=codes)


@router.delete(
    "/me/mfa/totp",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        422: problem_doc("Wrong password (`wrong_password`) or code (`invalid_code`)."),
        429: problem_doc("Too many wrong passwords or codes; see Retry-After."),
    },
)
async def turn_off_totp(
    data: TotpDisable, request: Request, principal: DetachedPrincipal, rt: CurrentRuntime
) -> None:
    """Turn two-factor sign-in off: needs the password and a current code (or a recovery
    code). The recovery codes go too."""
    await service.turn_off_mfa(
        rt, principal, password=data.password, code=data.code, address=client_address(request)
    )


@router.post(
    "/me/mfa/recovery-codes",
    responses={
        422: problem_doc("The code is not valid (`invalid_code`)."),
        429: problem_doc("Too many wrong codes; see Retry-After."),
    },
)
async def new_recovery_codes(
    data: CodeRequest, request: Request, principal: DetachedPrincipal, rt: CurrentRuntime
) -> RecoveryCodes:
    """Replace the recovery codes (the old ones stop working); needs a current code."""
    await service.check_code(rt, principal, data.code, address=client_address(request))
    async with rt.db.transaction() as session:
        if await mfa.factor(session, principal.user_id) is None:
            raise NotFound("Two-factor sign-in is off.", code="mfa_not_enabled")
        codes = await mfa.new_recovery_codes(session, principal.user_id)
        await audit.record(
            session,
            "auth.recovery_codes_regenerated",
            actor=principal,
            workspace_id=None,
            address=client_address(request),
        )
    return RecoveryCodes(recovery_codes=codes)


_PASSKEY_422 = problem_doc(
    "`invalid_passkey` (the browser's answer was not accepted, or its set-up expired or was "
    "used) or `too_many_passkeys`."
)


@router.post("/me/passkeys/options", responses={422: _PASSKEY_422})
async def passkey_options(
    session: DbSession, principal: CurrentPrincipal, rt: CurrentRuntime
) -> dict[str, object]:
    """Start adding a passkey: PublicKeyCredentialCreationOptions in WebAuthn's JSON form,
    for `navigator.credentials.create`. The passkey must be discoverable (resident) and
    verify its user; the caller's passkeys are excluded. Good for 5 minutes, once."""
    return await passkeys.registration_options(session, principal, rt.settings)


@router.post("/me/passkeys", status_code=status.HTTP_201_CREATED, responses={422: _PASSKEY_422})
async def create_passkey(
    data: PasskeyCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    rt: CurrentRuntime,
    address: ClientAddress,
) -> PasskeyRead:
    """Add a passkey: `credential` is the browser's answer to the options from
    `POST /users/me/passkeys/options`. The passkey then signs in alone
    (`POST /auth/passkey`), with no authenticator-app code after it. A user holds at most
    20 (422 `too_many_passkeys`)."""
    added = await passkeys.register(session, principal, rt.settings, data=data)
    await audit.record(
        session,
        "auth.passkey_added",
        actor=principal,
        workspace_id=None,
        address=address,
        details={"passkey_id": added.id, "name": added.name},
    )
    return added


@router.get("/me/passkeys")
async def list_passkeys(session: DbSession, principal: CurrentPrincipal) -> Page[PasskeyRead]:
    """The caller's passkeys, newest first (at most 20). Not open to API tokens."""
    return await passkeys.list_passkeys(session, principal.user_id)


@router.patch("/me/passkeys/{passkey_id}", responses={404: problem_doc("No such passkey.")})
async def rename_passkey(
    passkey_id: UUID, data: PasskeyUpdate, session: DbSession, principal: CurrentPrincipal
) -> PasskeyRead:
    """Rename a passkey."""
    return await passkeys.rename(session, principal, passkey_id=passkey_id, name=data.name)


@router.delete(
    "/me/passkeys/{passkey_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: problem_doc("No such passkey.")},
)
async def delete_passkey(
    passkey_id: UUID, session: DbSession, principal: CurrentPrincipal, address: ClientAddress
) -> None:
    """Remove a passkey: it no longer signs in."""
    await passkeys.delete_passkey(session, principal, passkey_id=passkey_id)
    await audit.record(
        session,
        "auth.passkey_removed",
        actor=principal,
        workspace_id=None,
        address=address,
        details={"passkey_id": passkey_id},
    )
