"""Sending e-mail: one message through the SMTP server of `TASKLANE_SMTP_URL` (aiosmtplib),
or, with none configured, into the log (development: the inbox works all the same).

A refusal the server calls permanent (a 5xx reply: no such mailbox, relaying denied) is
`Undeliverable`: the caller records it and does not try again. Anything else (the server
down, a timeout, a 4xx "try later") propagates, and the job that sends is retried with backoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib
import structlog

from tasklane.config import Settings

log = structlog.get_logger(__name__)

TIMEOUT_SECONDS = 30
_PORTS = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}


class Undeliverable(Exception):
    """The server refused the message for good."""


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool
    starttls: bool


def smtp_target(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    return SmtpTarget(
        host=parts.hostname or "localhost",
        port=parts.port or _PORTS[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=parts.scheme == "smtps",
        starttls=parts.scheme == "smtp+starttls",
    )


async def send(settings: Settings, message: EmailMessage) -> None:
    if "From" not in message:
        message["From"] = settings.mail_from
    url = settings.smtp_url.get_secret_value()
    if not url:
        log.info(
            "mail_logged",
            to=message["To"],
            subject=message["Subject"],
            text=_text_part(message),
            hint="set TASKLANE_SMTP_URL to send it",
        )
        return
    target = smtp_target(url)
    try:
        await aiosmtplib.send(
            message,
            hostname=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.tls,
            start_tls=target.starttls,  # smtp://: none at all, not "if offered"
            timeout=TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        if all(500 <= code < 600 for code in codes):
            raise Undeliverable("; ".join(str(r) for r in exc.recipients)) from exc
        raise
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600 and not isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            raise Undeliverable(f"{exc.code} {exc.message}") from exc
        raise


def _text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""
