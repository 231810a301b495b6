"""What a new password must be, after NIST SP 800-63B (section 5.1.1.2): at least 8 characters
(the schemas check the length), not one that attackers try first, and no composition rules (no
"one digit, one capital").

"Tried first" is zxcvbn's estimate: it matches the password against its shipped lists of common
and breached passwords, English words, names and keyboard patterns, plus repeats, sequences,
dates and the user's own details, and estimates how many guesses it would take. Under a million
guesses is refused. Long phrases of ordinary words pass; `password1` and `12345678` do not.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

from tasklane.errors import ValidationFailed

MIN_GUESSES_LOG10 = 6.0
"""Refused below a million estimated guesses (zxcvbn's scores 0 and 1)."""
CHECKED_PREFIX = 64
"""zxcvbn's work grows with the length; the first 64 characters of a password that long decide
alone (a long password is weak only if its start is)."""
TOO_COMMON = (
    "This password is too common or too easy to guess. Try a longer phrase of a few unrelated "
    "words."
)


def _too_guessable(password: str, context: list[str]) -> bool:
    result = zxcvbn(password[:CHECKED_PREFIX], user_inputs=context)
    return float(result["guesses_log10"]) < MIN_GUESSES_LOG10


def _context(email: str | None, name: str | None) -> list[str]:
    """Words from the user's own details, which make weak passwords ("ada.lovelace1")."""
    words = ["tasklane"]
    if email:
        local = email.split("@", 1)[0]
        words += [local, *re.split(r"[^a-zA-Z0-9]+", local)]
    if name:
        words += [name, *name.split()]
    return [w for w in words if len(w) >= 3]


def check_new_password(
    password: str, *, field: str, email: str | None = None, name: str | None = None
) -> None:
    """Raise a 422 naming `field` when `password` is too common or too easy to guess.

    The estimate is up to a tenth of a second of pure-Python CPU, which holds the interpreter
    lock: callers run it through `Passwords.hash_new`, in the bounded slots for new passwords,
    so a flood of sign-ups cannot starve the event loop (and the sign-ins it serves)."""
    if _too_guessable(password, _context(email, name)):
        raise ValidationFailed.for_field(field, TOO_COMMON, code="password_too_common")
