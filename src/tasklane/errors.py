"""The error hierarchy and the one handler that renders every error as RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)


class FieldError(BaseModel):
    field: str
    message: str
    code: str


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable machine `code`."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str
    errors: list[FieldError] | None = None
    workspaces: list[str] | None = Field(
        default=None,
        description="`ambiguous_key`: the slugs of the caller's workspaces that have the key; "
        "send one as `workspace`.",
    )
    limit_bytes: int | None = Field(
        default=None, description="413 for a file: the largest one accepted, in bytes."
    )
    used_bytes: int | None = Field(
        default=None, description="`storage_quota_exceeded`: what the workspace holds."
    )
    quota_bytes: int | None = Field(
        default=None, description="`storage_quota_exceeded`: what it may hold."
    )
    request_id: str | None = None


class TasklaneError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = extensions or {}
        """Extension members of the problem (RFC 9457), documented on `Problem`."""
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        if code is not None:
            self.code = code  # type: ignore[misc]


class BadRequest(TasklaneError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class Unauthenticated(TasklaneError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class PermissionDenied(TasklaneError):
    status = 403
    code = "permission_denied"
    title = "Permission denied"


class NotFound(TasklaneError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(TasklaneError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(TasklaneError):
    status = 412
    code = "precondition_failed"
    title = "Precondition failed"


class PreconditionRequired(TasklaneError):
    status = 428
    code = "precondition_required"
    title = "Precondition required"


class ValidationFailed(TasklaneError):
    status = 422
    code = "validation_failed"
    title = "Validation failed"

    @classmethod
    def for_field(cls, field: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls(message, errors=[FieldError(field=field, message=message, code=code)])


class PayloadTooLarge(TasklaneError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class UriTooLong(TasklaneError):
    status = 414
    code = "uri_too_long"
    title = "URI too long"


class RateLimited(TasklaneError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class InternalError(TasklaneError):
    """A bug: logged with its traceback, answered without details."""

    status = 500
    code = "internal_error"
    title = "Internal server error"


class ServiceUnavailable(TasklaneError):
    status = 503
    code = "service_unavailable"
    title = "Service unavailable"


def _request_id(request: Request) -> str | None:
    rid = getattr(request.state, "request_id", None)
    return rid if isinstance(rid, str) else None


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    body = Problem(
        title=title,
        status=status,
        detail=detail,
        code=code,
        errors=errors,
        request_id=_request_id(request),
    )
    return JSONResponse(
        {**body.model_dump(exclude_none=True), **(extensions or {})},
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field_path(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TasklaneError)
    async def _tasklane(request: Request, exc: TasklaneError) -> JSONResponse:
        return problem_response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            extensions=exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(field=_field_path(e["loc"]), message=e["msg"], code=e["type"])
            for e in exc.errors()
        ]
        return problem_response(
            request,
            status=422,
            code="validation_failed",
            title="Validation failed",
            detail="The request has invalid fields.",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            request,
            status=exc.status_code,
            code=_HTTP_CODES.get(exc.status_code, "http_error"),
            title=str(exc.detail) if exc.detail else "HTTP error",
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_exception", exc_info=exc, path=request.url.path)
        return problem_response(
            request,
            status=500,
            code="internal_error",
            title="Internal server error",
            detail="An unexpected error happened; it has been logged with this request id.",
        )
