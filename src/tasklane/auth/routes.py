from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Query, Request, Response, status
from fastapi.responses import RedirectResponse

from tasklane.api import new_router, problem_doc
from tasklane.auth import oidc, passkeys, service, tokens
from tasklane.auth.principal import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    REFRESH_COOKIE,
    CurrentPrincipal,
)
from tasklane.auth.schemas import (
    AuthConfig,
    LoginRequest,
    MfaChallenge,
    MfaLogin,
    PasskeyLogin,
    PasskeyLoginOptions,
    RefreshRequest,
    RegisterRequest,
    SessionRead,
    SsoInfo,
    TokenPair,
    UserRead,
)
from tasklane.db import DbSession
from tasklane.errors import Unauthenticated
from tasklane.runtime import CurrentRuntime, Runtime
from tasklane.security import client_address

router = new_router(prefix="/auth", tags=["auth"])
REFRESH_COOKIE_PATH = "/api/v1/auth"


def _pair(issued: service.Issued) -> TokenPair:
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


def _set_cookies(response: Response, rt: Runtime, issued: service.Issued) -> SessionRead:
    secure = rt.settings.secure_cookies
    csrf = tokens.csrf_token_for(rt.settings, issued.session_id)
    refresh_age = rt.settings.refresh_token_days * 86400
    response.set_cookie(
        ACCESS_COOKIE,
        issued.access_token,
        max_age=issued.expires_in,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=refresh_age,
        httponly=True,
        secure=secure,
        samesite="strict",
        path=REFRESH_COOKIE_PATH,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=refresh_age,
        httponly=False,
        secure=secure,
        samesite="strict",
        path="/",
    )
    return SessionRead(
        user=service.user_read(issued.user), csrf_token=csrf, expires_in=issued.expires_in
    )


@router.get("/config")
async def auth_config(rt: CurrentRuntime) -> AuthConfig:
    """Public: how this installation takes sign-ups (`TASKLANE_SIGNUP`) and whether it offers
    single sign-on, for the sign-in and sign-up pages."""
    settings = rt.settings
    sso = SsoInfo(display_name=settings.oidc_display_name) if settings.oidc_enabled else None
    return AuthConfig(signup=settings.signup, sso=sso)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: problem_doc(
            "Sign-up is `signup_closed`, or `signup_invite_only` and this address has no "
            "pending invitation."
        ),
        429: problem_doc("Too many sign-ups from this address; see Retry-After."),
    },
)
async def register(data: RegisterRequest, request: Request, rt: CurrentRuntime) -> UserRead:
    """Create an account. The e-mail address is the sign-in name (case-insensitive). Sign-ups
    from one address are limited per window (429 with Retry-After past it). The installation
    may take sign-ups only from invited addresses, or none (`GET /auth/config` says which)."""
    return await service.register(rt, data=data, address=client_address(request))


_SSO_REQUIRED = problem_doc(
    "`sso_required`: a workspace of the account requires single sign-on (`GET /auth/oidc/login`)."
)
_PASSWORD_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: _SSO_REQUIRED,
    429: problem_doc("Too many failed sign-ins; see Retry-After."),
}


@router.post("/login", responses=_PASSWORD_RESPONSES)
async def login(
    data: LoginRequest, request: Request, rt: CurrentRuntime
) -> TokenPair | MfaChallenge:
    """Sign in for API use: a 15-minute access token (send it as `Authorization: Bearer`) and
    a refresh token. An account with two-factor sign-in on gets `{mfa_required: true,
    mfa_token}` instead: send the token and a code to `POST /auth/mfa`. Repeated failures for
    one account or address answer 429 with Retry-After."""
    issued = await service.login(
        rt,
        email=data.email,
        password=data.password,
        address=client_address(request),
        kind="token",
        user_agent=request.headers.get("user-agent"),
    )
    if isinstance(issued, service.MfaRequired):
        return MfaChallenge(mfa_token=issued.mfa_token)
    return _pair(issued)


_MFA_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc("`invalid_code`, or `invalid_mfa_token` (expired: sign in again)."),
    403: _SSO_REQUIRED,
    429: problem_doc("Too many failed sign-ins; see Retry-After."),
}


@router.post("/mfa", responses=_MFA_RESPONSES)
async def login_mfa(data: MfaLogin, request: Request, rt: CurrentRuntime) -> TokenPair:
    """The second step of an API sign-in with two-factor on: the `mfa_token` from
    `POST /auth/login` and a code from the authenticator app (or a recovery code). Each code
    is accepted once; wrong codes count like wrong passwords."""
    issued = await service.complete_mfa(
        rt,
        mfa_token=data.mfa_token,
        code=data.code,
        address=client_address(request),
        kind="token",
        user_agent=request.headers.get("user-agent"),
    )
    return _pair(issued)


_PASSKEY_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc(
        "`invalid_passkey`: unknown passkey, bad signature, wrong origin, a challenge expired "
        "or already used, or a signature counter that went backwards."
    ),
    403: _SSO_REQUIRED,
    429: problem_doc("Too many failed sign-ins; see Retry-After."),
}


@router.post("/passkey/options")
async def passkey_login_options(rt: CurrentRuntime) -> PasskeyLoginOptions:
    """Public: start a passkey sign-in. `options` (PublicKeyCredentialRequestOptions in
    WebAuthn's JSON form, no allowCredentials: the browser offers the passkeys it holds for
    this site) go to `navigator.credentials.get`; send its answer with `challenge_id`, once,
    within 5 minutes."""
    return await passkeys.authentication_options(rt)


@router.post("/passkey", responses=_PASSKEY_RESPONSES)
async def login_passkey(data: PasskeyLogin, request: Request, rt: CurrentRuntime) -> TokenPair:
    """Sign in for API use with a passkey alone: the token pair, as `POST /auth/login` gives.
    A passkey is two factors: no code step follows. Failures count like wrong passwords."""
    issued = await passkeys.sign_in(
        rt,
        challenge_id=data.challenge_id,
        credential=data.credential.as_json(),
        address=client_address(request),
        kind="token",
        user_agent=request.headers.get("user-agent"),
    )
    return _pair(issued)


@router.post("/refresh")
async def refresh(data: RefreshRequest, request: Request, rt: CurrentRuntime) -> TokenPair:
    """Trade a refresh token for a new pair. Each refresh token works once; presenting a used
    one ends its whole session (someone else may hold it)."""
    return _pair(
        await service.refresh(rt, refresh_token=data.refresh_token, address=client_address(request))
    )


@router.post("/session", responses=_PASSWORD_RESPONSES)
async def create_session(
    data: LoginRequest, request: Request, response: Response, rt: CurrentRuntime
) -> SessionRead | MfaChallenge:
    """Sign in for the browser: tokens go into httpOnly cookies. Writes made with the cookie
    must send the returned `csrf_token` in the `X-CSRF-Token` header. With two-factor on, the
    answer is `{mfa_required: true, mfa_token}` and `POST /auth/session/mfa` finishes."""
    issued = await service.login(
        rt,
        email=data.email,
        password=data.password,
        address=client_address(request),
        kind="cookie",
        user_agent=request.headers.get("user-agent"),
    )
    if isinstance(issued, service.MfaRequired):
        return MfaChallenge(mfa_token=issued.mfa_token)
    return _set_cookies(response, rt, issued)


@router.post("/session/mfa", responses=_MFA_RESPONSES)
async def create_session_mfa(
    data: MfaLogin, request: Request, response: Response, rt: CurrentRuntime
) -> SessionRead:
    """The second step of a browser sign-in with two-factor on (see `POST /auth/mfa`)."""
    issued = await service.complete_mfa(
        rt,
        mfa_token=data.mfa_token,
        code=data.code,
        address=client_address(request),
        kind="cookie",
        user_agent=request.headers.get("user-agent"),
    )
    return _set_cookies(response, rt, issued)


@router.post("/session/passkey", responses=_PASSKEY_RESPONSES)
async def create_session_passkey(
    data: PasskeyLogin, request: Request, response: Response, rt: CurrentRuntime
) -> SessionRead:
    """Sign in for the browser with a passkey alone (see `POST /auth/passkey`): cookies as
    `POST /auth/session` sets them."""
    issued = await passkeys.sign_in(
        rt,
        challenge_id=data.challenge_id,
        credential=data.credential.as_json(),
        address=client_address(request),
        kind="cookie",
        user_agent=request.headers.get("user-agent"),
    )
    return _set_cookies(response, rt, issued)


@router.post("/session/refresh")
async def refresh_session(request: Request, response: Response, rt: CurrentRuntime) -> SessionRead:
    """Rotate the browser session's cookies using the refresh cookie."""
    token = request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise Unauthenticated("No session cookie; sign in again.", code="invalid_refresh_token")
    issued = await service.refresh(rt, refresh_token=token, address=client_address(request))
    return _set_cookies(response, rt, issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    session: DbSession, principal: CurrentPrincipal, response: Response, rt: CurrentRuntime
) -> None:
    """End the caller's sign-in session: its refresh tokens stop working and so do its access
    tokens. Cookies are cleared."""
    await service.logout(session, principal, rt.signed_in)
    response.delete_cookie(ACCESS_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    response.delete_cookie(CSRF_COOKIE, path="/")


def _to_sign_in(code: str) -> RedirectResponse:
    """Back to the web app's sign-in page, which explains `code`."""
    response = RedirectResponse(f"/signin?{urlencode({'sso_error': code})}", status_code=303)
    response.delete_cookie(oidc.STATE_COOKIE, path=oidc.STATE_COOKIE_PATH)
    return response


@router.get(
    "/oidc/login",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={404: problem_doc("`sso_not_configured`: this installation has no SSO.")},
)
async def oidc_login(
    rt: CurrentRuntime,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> RedirectResponse:
    """Single sign-on: send the browser to the provider (Authorization Code with PKCE). After
    signing in there it comes back to `GET /auth/oidc/callback`, then lands on `next` (a path
    on this site; anything else lands on `/`). A provider that does not answer sends the
    browser to `/signin?sso_error=provider_unreachable`."""
    try:
        begun = await oidc.begin(rt, next_path=oidc.safe_next(next_path))
    except oidc.SsoFailed as exc:
        return _to_sign_in(exc.code)
    response = RedirectResponse(begun.redirect_url, status_code=303)
    response.set_cookie(
        oidc.STATE_COOKIE,
        begun.state,
        max_age=oidc.LOGIN_SECONDS,
        httponly=True,
        secure=rt.settings.secure_cookies,
        samesite="lax",  # sent on the provider's top-level redirect back
        path=oidc.STATE_COOKIE_PATH,
    )
    return response


@router.get(
    "/oidc/callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={404: problem_doc("`sso_not_configured`: this installation has no SSO.")},
)
async def oidc_callback(
    request: Request,
    rt: CurrentRuntime,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str, Query(max_length=2000)] = "",
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Where the provider sends the browser back. Signed in: the session cookies are set and
    the browser goes to the `next` it started with. An account with two-factor sign-in goes to
    `/signin#mfa_token=...` for its code first (unless `TASKLANE_OIDC_TRUST_MFA` and the
    provider's `amr` says it asked for a second factor). Anything that does not hold (a state
    used, expired or from another browser, a refused code, an ID token with a bad signature,
    issuer, audience, expiry or nonce, an unverified address of an existing account) goes to
    `/signin?sso_error=<code>` and signs nobody in."""
    oidc.require_enabled(rt.settings)
    if error is not None:
        return _to_sign_in("sso_cancelled" if error == "access_denied" else "sso_refused")
    if not state or not code:
        return _to_sign_in("sso_state")
    try:
        finished = await oidc.finish(
            rt,
            state=state,
            code=code,
            browser_state=request.cookies.get(oidc.STATE_COOKIE),
            address=client_address(request),
            user_agent=request.headers.get("user-agent"),
        )
    except oidc.SsoFailed as exc:
        return _to_sign_in(exc.code)
    outcome = finished.outcome
    if isinstance(outcome, service.MfaRequired):
        carry = "" if finished.next_path == "/" else f"?next={quote(finished.next_path)}"
        response = RedirectResponse(
            f"/signin{carry}#{urlencode({'mfa_token': outcome.mfa_token})}", status_code=303
        )
    else:
        response = RedirectResponse(finished.next_path, status_code=303)
        _set_cookies(response, rt, outcome)
    response.delete_cookie(oidc.STATE_COOKIE, path=oidc.STATE_COOKIE_PATH)
    return response
