"""Passkeys (issue 15, item 3): registered by a signed-in user with a real WebAuthn ceremony,
then enough alone to sign in; challenges work once and expire; origin and counter are checked.
The authenticator is a software one: an EC P-256 key and "none" attestation."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import cbor2
import httpx
import pyotp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import update

from tasklane.auth.principal import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE
from tasklane.config import Settings
from tasklane.db import Database
from tasklane.kit.clock import utcnow
from tasklane.models import WebauthnChallenge, Workspace
from tests.factories import User, expect, make_user, make_workspace

PASSKEYS = "/api/v1/users/me/passkeys"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Authenticator:
    """A software authenticator holding one discoverable credential."""

    rp_id: str
    origin: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(
        default_factory=lambda: hashlib.sha256(b"%d" % id(object())).digest()
    )
    user_handle: bytes = b""
    counter: int = 0

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.counter) + attested

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps(data).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        assert options["authenticatorSelection"]["residentKey"] == "required"
        self.user_handle = unb64(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        attested = (
            bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        )
        auth_data = self._auth_data(0x45, attested)  # user present, verified, attested data
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        assert "allowCredentials" not in options or not options["allowCredentials"]
        self.counter += 1
        auth_data = self._auth_data(0x05)  # user present, verified
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": b64(self.user_handle),
            },
            "clientExtensionResults": {},
        }


def authenticator(settings: Settings) -> Authenticator:
    return Authenticator(rp_id=settings.passkey_rp_id, origin=settings.passkey_origin)


async def register(
    client: httpx.AsyncClient, user: User, device: Authenticator, name: str = "Laptop"
) -> dict[str, Any]:
    options = expect(await client.post(f"{PASSKEYS}/options", headers=user.headers), 200)
    body = {"name": name, "credential": device.create(options)}
    return expect(await client.post(PASSKEYS, json=body, headers=user.headers), 201)  # type: ignore[no-any-return]


async def begin(client: httpx.AsyncClient) -> dict[str, Any]:
    return expect(await client.post("/api/v1/auth/passkey/options"), 200)  # type: ignore[no-any-return]


def refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_passkey"


async def test_register_list_then_sign_in_alone(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user(client)
    device = authenticator(settings)
    created = await register(client, user, device)
    assert created["name"] == "Laptop"
    assert created["last_used_at"] is None
    listed = expect(await client.get(PASSKEYS, headers=user.headers), 200)["items"]
    assert [p["id"] for p in listed] == [created["id"]]
    # The same authenticator is excluded from a second registration.
    again = expect(await client.post(f"{PASSKEYS}/options", headers=user.headers), 200)
    assert [c["id"] for c in again["excludeCredentials"]] == [b64(device.credential_id)]

    start = await begin(client)
    body = {"challenge_id": start["challenge_id"], "credential": device.get(start["options"])}
    pair = expect(await client.post("/api/v1/auth/passkey", json=body), 200)
    me = expect(
        await client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
        ),
        200,
    )
    assert me["id"] == user.id
    listed = expect(await client.get(PASSKEYS, headers=user.headers), 200)["items"]
    assert listed[0]["last_used_at"] is not None
    # The challenge was spent: the same answer again is refused.
    refused(await client.post("/api/v1/auth/passkey", json=body))


async def test_no_code_is_asked_after_a_passkey_with_two_factor_on(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user(client)
    setup = expect(await client.post("/api/v1/users/me/mfa/totp", headers=user.headers), 201)
    code = pyotp.TOTP(setup["secret"]).now()
    expect(
        await client.post(
            "/api/v1/users/me/mfa/totp/confirm", json={"code": code}, headers=user.headers
        ),
        200,
    )
    device = authenticator(settings)
    await register(client, user, device)
    start = await begin(client)
    body = {"challenge_id": start["challenge_id"], "credential": device.get(start["options"])}
    response = await client.post("/api/v1/auth/session/passkey", json=body)
    session = expect(response, 200)
    assert session["user"]["id"] == user.id
    assert "mfa_required" not in session
    assert {ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE} <= set(response.cookies)


async def test_expired_challenge_wrong_origin_and_backward_counter_are_refused(
    client: httpx.AsyncClient, settings: Settings, database: Database
) -> None:
    user = await make_user(client)
    device = authenticator(settings)
    await register(client, user, device)

    start = await begin(client)
    async with database.transaction() as session:
        await session.execute(
            update(WebauthnChallenge)
            .where(WebauthnChallenge.id == UUID(start["challenge_id"]))
            .values(expires_at=utcnow())
        )
    body = {"challenge_id": start["challenge_id"], "credential": device.get(start["options"])}
    refused(await client.post("/api/v1/auth/passkey", json=body))

    start = await begin(client)
    answer = device.get(start["options"], origin="https://evil.example")
    refused(
        await client.post(
            "/api/v1/auth/passkey",
            json={"challenge_id": start["challenge_id"], "credential": answer},
        )
    )

    start = await begin(client)
    body = {"challenge_id": start["challenge_id"], "credential": device.get(start["options"])}
    expect(await client.post("/api/v1/auth/passkey", json=body), 200)
    device.counter -= 3  # a clone: its counter is behind the one the server saw
    start = await begin(client)
    body = {"challenge_id": start["challenge_id"], "credential": device.get(start["options"])}
    refused(await client.post("/api/v1/auth/passkey", json=body))


async def test_registration_with_a_wrong_origin_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user(client)
    options = expect(await client.post(f"{PASSKEYS}/options", headers=user.headers), 200)
    credential = authenticator(settings).create(options, origin="https://evil.example")
    response = await client.post(
        PASSKEYS, json={"name": "Key", "credential": credential}, headers=user.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "invalid_passkey"


async def test_rename_and_delete_only_ones_own(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    owner, other = await make_user(client), await make_user(client)
    created = await register(client, owner, authenticator(settings))
    url = f"{PASSKEYS}/{created['id']}"
    assert (await client.delete(url, headers=other.headers)).status_code == 404
    assert (await client.patch(url, json={"name": "x"}, headers=other.headers)).status_code == 404
    renamed = expect(await client.patch(url, json={"name": "Phone"}, headers=owner.headers), 200)
    assert renamed["name"] == "Phone"
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert expect(await client.get(PASSKEYS, headers=owner.headers), 200)["items"] == []


async def test_adding_and_removing_a_passkey_is_audited(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user(client)
    workspace = await make_workspace(client, user)
    created = await register(client, user, authenticator(settings), name="Yubikey")
    url = f"{PASSKEYS}/{created['id']}"
    assert (await client.delete(url, headers=user.headers)).status_code == 204
    log = expect(
        await client.get(
            f"/api/v1/workspaces/{workspace['id']}/audit-log",
            params={"action": "auth."},
            headers=user.headers,
        ),
        200,
    )["items"]
    passkey_entries = [e for e in log if e["action"].startswith("auth.passkey")]
    assert [(e["action"], e["details"]["passkey_id"]) for e in passkey_entries] == [
        ("auth.passkey_removed", created["id"]),
        ("auth.passkey_added", created["id"]),
    ]
    assert passkey_entries[1]["details"]["name"] == "Yubikey"


async def test_failures_spend_the_accounts_sign_in_budget(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user = await make_user(client)
    device = authenticator(settings)
    await register(client, user, device)
    for _ in range(settings.login_failures_per_account):
        start = await begin(client)
        answer = device.get(start["options"], origin="https://evil.example")
        body = {"challenge_id": start["challenge_id"], "credential": answer}
        refused(await client.post("/api/v1/auth/passkey", json=body))
    start = await begin(client)
    body = {"challenge_id": start["challenge_id"], "credential": device.get(start["options"])}
    response = await client.post("/api/v1/auth/passkey", json=body)
    assert response.status_code == 429, response.text
    assert "retry-after" in response.headers


class TestWorkspaceRequiresSso:
    """An installation with single sign-on set up (no provider is reached here)."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"oidc_issuer": "http://127.0.0.1:9/", "oidc_client_id": "tasklane"}

    async def test_a_passkey_sign_in_is_refused_for_its_members(
        self, client: httpx.AsyncClient, settings: Settings, database: Database
    ) -> None:
        user = await make_user(client)
        workspace = await make_workspace(client, user)
        device = authenticator(settings)
        await register(client, user, device)
        async with database.transaction() as session:
            await session.execute(
                update(Workspace)
                .where(Workspace.id == UUID(workspace["id"]))
                .values(require_sso=True)
            )
        start = await begin(client)
        body = {"challenge_id": start["challenge_id"], "credential": device.get(start["options"])}
        r = await client.post("/api/v1/auth/passkey", json=body)
        assert (r.status_code, r.json()["code"]) == (403, "sso_required"), r.text
        async with database.transaction() as session:
            await session.execute(
                update(Workspace)
                .where(Workspace.id == UUID(workspace["id"]))
                .values(require_sso=False)
            )
        # Refused, the sign-in spent nothing: the same passkey's next sign-in works.
        start = await begin(client)
        body = {"challenge_id": start["challenge_id"], "credential": device.get(start["options"])}
        expect(await client.post("/api/v1/auth/passkey", json=body), 200)
