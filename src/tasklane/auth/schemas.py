from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from tasklane.config import SignupMode

Password = Annotated[str, Field(min_length=8, max_length=256)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

AVATAR_PALETTE = ("slate", "red", "orange", "amber", "green", "teal", "blue", "indigo", "violet")
"""Named avatar colours; the web app maps each to a shade that reads in light and dark themes."""


def _lower(value: object) -> object:
    """Before the pattern is checked, so "Mia" is accepted (as "mia") like "mia" is."""
    return value.strip().lower() if isinstance(value, str) else value


Handle = Annotated[
    str,
    BeforeValidator(_lower),
    StringConstraints(min_length=2, max_length=32, pattern=r"^[a-z0-9_-]+$"),
    Field(description="2 to 32 of a-z, 0-9, _ and -; unique regardless of case."),
]
AvatarColor = Annotated[
    str,
    BeforeValidator(_lower),
    StringConstraints(max_length=16, pattern=rf"^(?:{'|'.join(AVATAR_PALETTE)}|#[0-9a-f]{{6}})$"),
    Field(description=f"One of {', '.join(AVATAR_PALETTE)}, or #rrggbb."),
]
Theme = Literal["light", "dark", "system"]


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("Not a known IANA time zone name.")
    return value


TimeZone = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_known_zone),
    Field(description="An IANA time zone name such as Europe/Berlin."),
]


class AuthConfig(BaseModel):
    """What the sign-in and sign-up pages need to know before anyone signs in."""

    signup: SignupMode = Field(
        description="`open`: anyone may sign up; `invite`: only an address with a pending "
        "invitation; `closed`: nobody."
    )
    sso: SsoInfo | None = Field(
        default=None,
        description="Single sign-on, when set up: the button goes to `GET /auth/oidc/login`.",
    )


class SsoInfo(BaseModel):
    display_name: str = Field(description='The button reads "Sign in with <display_name>".')


class RegisterRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    password: Password
    name: PersonName


class UserRead(BaseModel):
    id: UUID
    email: str
    name: str
    handle: str | None
    avatar_color: str | None = Field(description="A palette name or #rrggbb; null: not chosen.")
    time_zone: str | None = Field(description="An IANA name; null: the browser's own.")
    theme: Theme
    created_at: datetime


class MeRead(UserRead):
    has_password: bool = Field(
        description="False for an account made by single sign-on that has not set a password "
        "yet: it sets its first one without a current one."
    )


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr
    password: Annotated[str, Field(min_length=1, max_length=256)]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")


class MfaChallenge(BaseModel):
    """The password was right and the account has two-factor sign-in on: send `mfa_token`
    with a code to `POST /auth/mfa` (or `/auth/session/mfa` for the browser)."""

    mfa_required: Literal[True] = True
    mfa_token: str = Field(description="Good for 5 minutes, and only for the code step.")


MfaCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=6, max_length=32),
    Field(description="6 digits from the authenticator app, or a recovery code."),
]


class MfaLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mfa_token: Annotated[str, Field(min_length=1, max_length=2000)]
    code: MfaCode


class MfaStatus(BaseModel):
    totp_enabled: bool
    enabled_at: datetime | None
    recovery_codes_left: int


class TotpSetup(BaseModel):
    """Add this to an authenticator app (the URI is what the QR code holds), then confirm
    with a code from it."""

    secret: str = Field(description="Base32, for typing into the app.")
    otpauth_uri: str


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: MfaCode


class TotpDisable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Annotated[str, Field(min_length=1, max_length=256)]
    code: MfaCode


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(
        description="Shown this once; each signs in once in place of a code."
    )


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


class SessionRead(BaseModel):
    """A browser session: the tokens are in httpOnly cookies; send `csrf_token` back in the
    X-CSRF-Token header on every write."""

    user: UserRead
    csrf_token: str
    expires_in: int


class UserUpdate(BaseModel):
    """Only the fields sent change. A null handle, avatar_color or time_zone clears it; a null
    name or theme changes nothing."""

    model_config = ConfigDict(extra="forbid")
    name: PersonName | None = None
    handle: Handle | None = None
    avatar_color: AvatarColor | None = None
    time_zone: TimeZone | None = None
    theme: Theme | None = None


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: Annotated[str, Field(max_length=256)] = Field(
        default="", description="Required unless the account has no password yet (made by SSO)."
    )
    new_password: Password


TokenScope = Literal["read", "write", "admin"]
TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: TokenName
    scopes: Annotated[list[TokenScope], Field(min_length=1, max_length=3)] = Field(
        description="`read`: every GET the owner may make; `write`: read, plus writes to tasks, "
        "comments and projects; `admin`: everything the owner may do. No token may manage "
        "tokens, the password, the profile or sign-in sessions."
    )
    expires_at: datetime | None = Field(
        default=None, description="When the token stops working (in the future); null: never."
    )


class ApiTokenRead(BaseModel):
    id: UUID
    name: str
    scopes: list[TokenScope]
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(
        description="Updated at most once a minute; null: never used."
    )


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(
        description="The secret, shown this once: send it as `Authorization: Bearer <token>`."
    )


SignInMethod = Literal["password", "passkey", "sso"]


class SessionInfo(BaseModel):
    """One of the user's live sign-in sessions."""

    id: UUID
    kind: Literal["browser", "api"] = Field(
        description="`browser`: signed in on the web (cookies); `api`: through /auth/login."
    )
    method: SignInMethod = Field(
        description="How it was signed in (`password` with or without a second factor)."
    )
    created_at: datetime
    last_used_at: datetime = Field(
        description="Its sign-in or latest refresh: within an access token's lifetime "
        "(15 minutes by default) of its last use."
    )
    expires_at: datetime
    user_agent: str | None
    ip: str | None = Field(description="The address of its sign-in or latest refresh.")
    current: bool = Field(description="The session this request was made with.")


class SessionsEnded(BaseModel):
    ended: int = Field(description="How many sessions ended.")


PasskeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


B64Url = Annotated[str, StringConstraints(max_length=16_384, pattern=r"^[A-Za-z0-9_=-]{0,16384}$")]
"""WebAuthn's binary fields, base64url-encoded (an attestation object is the largest: a few KB)."""


class WebauthnResponse(BaseModel):
    """The `response` of a PublicKeyCredential in WebAuthn's JSON form: the attestation parts
    when registering, the assertion parts when signing in. Fields the server does not use are
    ignored."""

    model_config = ConfigDict(populate_by_name=True)

    client_data_json: B64Url = Field(alias="clientDataJSON")
    attestation_object: B64Url | None = Field(default=None, alias="attestationObject")
    authenticator_data: B64Url | None = Field(default=None, alias="authenticatorData")
    signature: B64Url | None = None
    user_handle: B64Url | None = Field(default=None, alias="userHandle")
    transports: list[Annotated[str, StringConstraints(max_length=32)]] = Field(
        default_factory=list, max_length=10
    )


class WebauthnCredential(BaseModel):
    """A PublicKeyCredential as JSON (what `@simplewebauthn/browser` and
    `PublicKeyCredential.toJSON()` give)."""

    model_config = ConfigDict(populate_by_name=True)

    id: B64Url
    raw_id: B64Url = Field(alias="rawId")
    type: Literal["public-key"]
    response: WebauthnResponse
    authenticator_attachment: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        default=None, alias="authenticatorAttachment"
    )

    def as_json(self) -> dict[str, object]:
        """The form py_webauthn parses (WebAuthn's JSON names, absent parts left out)."""
        fields = self.model_dump(by_alias=True, exclude_none=True)
        fields["clientExtensionResults"] = {}
        return fields


class PasskeyCreate(BaseModel):
    name: PasskeyName = Field(description="A label to tell passkeys apart, e.g. 'Work laptop'.")
    credential: WebauthnCredential = Field(
        description="The browser's registration response (PublicKeyCredential as JSON)."
    )


class PasskeyUpdate(BaseModel):
    name: PasskeyName


class PasskeyRead(BaseModel):
    id: UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="The last sign-in with it; null: never.")


class PasskeyLoginOptions(BaseModel):
    """Pass `options` to `navigator.credentials.get({publicKey})` (after base64url-decoding
    as WebAuthn's JSON form says), then send `challenge_id` with the answer."""

    challenge_id: UUID = Field(description="Good for 5 minutes, once.")
    options: dict[str, object] = Field(description="PublicKeyCredentialRequestOptions (JSON).")


class PasskeyLogin(BaseModel):
    challenge_id: UUID
    credential: WebauthnCredential = Field(
        description="The browser's authentication response (PublicKeyCredential as JSON)."
    )
