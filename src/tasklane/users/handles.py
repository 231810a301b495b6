"""Handles (`@ada-lovelace`, what mentions will name): every account gets one when it is made,
from its name, or from its e-mail address when the name holds nothing a handle may (`李雷`),
made unique with a number (`ada-lovelace-2`). People change or clear theirs on the Account
page (tasklane.auth.service.update_me)."""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.models import User

ROOM_FOR_NUMBER = 5
"""A base is at most 32 - 5 characters, so `-9999` still fits in the 32 a handle may have."""


def handle_base(name: str, email: str) -> str:
    """A handle's stem: ASCII letters and digits of the name (accents dropped), words joined
    by `-`; else the e-mail address's local part's; else `user`."""
    for source in (name, email.split("@", 1)[0]):
        ascii_only = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")
        base = base[: 32 - ROOM_FOR_NUMBER].strip("-")
        if len(base) >= 2:
            return base
    return "user"


async def free_handle(session: AsyncSession, base: str, *, retry: bool = False) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever no account has. Sign-ups at once may pick
    the same one: the unique index refuses all but one, and the others try again with
    `retry`, which picks a random free number (so namesakes racing do not collide again)."""
    taken = set(
        await session.scalars(
            select(User.handle).where(or_(User.handle == base, User.handle.like(f"{base}-%")))
        )
    )
    if retry:
        while True:
            handle = f"{base}-{secrets.randbelow(9000) + 1000}"
            if handle not in taken:
                return handle
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
