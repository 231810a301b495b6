"""Structured logs: JSON lines in production, readable lines in development, a request id on
every line, and secrets redacted by key before anything is written."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from tasklane.config import Environment, Settings

SECRET_KEYS = ("password", "token", "secret", "authorization", "cookie", "csrf")
REDACTED = "[redacted]"


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace the value of any field whose name says it holds a secret."""
    for key in list(event):
        if any(word in key.lower() for word in SECRET_KEYS):
            event[key] = REDACTED
    return event


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    json_lines = settings.log_format == "json" or (
        settings.log_format == "auto" and settings.environment is Environment.PRODUCTION
    )
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.log_level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
