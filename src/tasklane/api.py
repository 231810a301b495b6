"""HTTP plumbing shared by every router: the route class and Idempotency-Key support."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import orjson
import structlog
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from tasklane.auth.principal import CurrentPrincipal, Principal
from tasklane.authz.access import (
    ScopedRef,
    access_comment,
    access_project,
    access_task,
    access_workspace,
)
from tasklane.authz.roles import Action
from tasklane.db import DbSession, database_failure, on_before_commit
from tasklane.errors import (
    PROBLEM_JSON,
    Conflict,
    InternalError,
    NotFound,
    Problem,
    TasklaneError,
    ValidationFailed,
)
from tasklane.kit.clock import utcnow
from tasklane.models import IdempotencyRecord

log = structlog.get_logger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


# A JSON-escaped NUL (an odd number of backslashes before u0000): PostgreSQL text cannot hold
# U+0000, so it is refused for every route here instead of failing deep in the database.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _check_input(request: Request, body: bytes) -> None:
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise ValidationFailed.for_field(name, "Text may not contain NUL characters.")
    if b"\\u0000" in body and _JSON_NUL.search(body):
        raise ValidationFailed.for_field("body", "Text may not contain NUL characters.")
    if body:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed.for_field(
                "body", "The body must be JSON encoded as UTF-8.", code="json_invalid"
            ) from None


_PASS_THROUGH = (TasklaneError, StarletteHTTPException, RequestValidationError)


class TasklaneRoute(APIRoute):
    """Keeps the serialised response on the request, so the unit of work can store it for
    idempotent replay in the same transaction as the rows it describes."""

    streams_body = False
    """The handler reads the body as it arrives (uploads): it is not read here first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            # The body is cached on the request, so FastAPI reads this copy afterwards.
            _check_input(request, b"" if self.streams_body else await request.body())
            try:
                response = await original(request)
            except (*_PASS_THROUGH, IdempotentReplay):
                raise
            except Exception as exc:
                if database_failure(exc) is not None:
                    raise  # answered 503 by the database error handlers
                # A bug. Answered here rather than by Starlette's outermost handler, so the
                # 500 passes back through our middleware (request id, security headers).
                log.error("unhandled_exception", exc_info=exc, path=request.url.path)
                raise InternalError(
                    "An unexpected error happened; it has been logged with this request id."
                ) from exc
            request.state.response = response
            return response

        return handler


def encode_json(content: Any) -> bytes:
    """A hot read's JSON body, encoded once (docs/architecture.md, "Hot reads"): orjson
    writes what Pydantic would for the values `kit.rawsql` gives."""
    return orjson.dumps(content, option=orjson.OPT_UTC_Z)


def json_response(content: Any, headers: dict[str, str] | None = None) -> Response:
    """A hot read's response: `content` as JSON values, or a body `encode_json` made."""
    body = content if isinstance(content, bytes) else encode_json(content)
    return Response(body, media_type="application/json", headers=headers)


def problem_doc(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc("Not signed in, or the token is invalid, expired or revoked."),
    403: problem_doc(
        "Visible to you, but your role does not allow this (or the CSRF check failed)."
    ),
    404: problem_doc("No such resource, or you cannot see it."),
    409: problem_doc("The change conflicts with the current state (the `code` says how)."),
    422: problem_doc("The request has invalid fields; `errors` names each one."),
}


def new_router(**kwargs: Any) -> APIRouter:
    """A router whose routes keep their response for the unit of work, and document the
    problem responses every route can give."""
    kwargs.setdefault("responses", ERROR_RESPONSES)
    return APIRouter(route_class=TasklaneRoute, **kwargs)


class StreamedBodyRoute(TasklaneRoute):
    streams_body = True


def upload_router(**kwargs: Any) -> APIRouter:
    """A router for routes that read their body as it streams in (files), never all at once."""
    kwargs.setdefault("responses", ERROR_RESPONSES)
    return APIRouter(route_class=StreamedBodyRoute, **kwargs)


FILE_PART = {"type": "string", "format": "binary"}


def file_upload_body(**alternatives: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body of a streamed upload (`openapi_extra`): a multipart form
    whose `file` part is the file, plus other media types the route also takes (by media
    type, their schema)."""
    form = {"type": "object", "required": ["file"], "properties": {"file": FILE_PART}}
    content = {"multipart/form-data": {"schema": form}}
    content.update({media: {"schema": schema} for media, schema in alternatives.items()})
    return {"requestBody": {"required": True, "content": content}}


class IdempotentReplay(Exception):
    """Carries plain values: the session is rolled back (and its rows expired) on the way out."""

    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.body = body


def _fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


async def idempotent(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            min_length=1,
            max_length=255,
            description="Retries with the same key return the first response (kept 24 hours).",
        ),
    ] = None,
) -> None:
    if idempotency_key is None:
        return
    fingerprint = _fingerprint(request, await request.body())
    existing = await session.get(IdempotencyRecord, (principal.user_id, idempotency_key))
    if existing is not None and existing.created_at < _retention_cutoff(request):
        # Past retention the key is free again: the old record goes in this transaction, so
        # a rolled-back request leaves it for the purge job instead of half-replacing it.
        await session.delete(existing)
        existing = None
    if existing is not None:
        if existing.request_hash != fingerprint:
            raise ValidationFailed.for_field(
                IDEMPOTENCY_HEADER,
                "This Idempotency-Key was already used for a different request.",
                code="idempotency_key_reused",
            )
        body = bytes(existing.body)
        await _reauthorise_replay(request, session, principal, body)
        raise IdempotentReplay(existing.status_code, body)

    async def store(session: AsyncSession) -> None:
        response: Response | None = getattr(request.state, "response", None)
        if response is None or not 200 <= response.status_code < 300:
            return
        record = IdempotencyRecord(
            user_id=principal.user_id,
            key=idempotency_key,
            request_hash=fingerprint,
            status_code=response.status_code,
            body=bytes(response.body),
        )
        try:
            async with session.begin_nested():
                session.add(record)
        except IntegrityError as exc:
            raise Conflict(
                "A request with this Idempotency-Key is already being processed; retry it.",
                code="idempotency_in_progress",
            ) from exc

    on_before_commit(session, "idempotency", store)


Idempotent = Depends(idempotent)


# --- replays answer only what the caller may still read -------------------------------------
#
# A stored answer belongs to its user, but their access to what it describes can end (removed
# from the project) and the thing itself can go (a deleted comment). So a replay runs the read
# checks of the policy module again: on the scope in the path (the same one the original
# request passed), and on the created resource named in the stored answer. What the caller
# cannot read now is 404, as a fresh request would be; nothing of the stored answer is sent.

ReplayCheck = Callable[[AsyncSession, Principal, Any], Coroutine[Any, Any, object]]


async def _workspace(session: AsyncSession, principal: Principal, ref: Any) -> object:
    return await access_workspace(session, principal, _uuid(ref), Action.WORKSPACE_READ)


async def _project(session: AsyncSession, principal: Principal, ref: Any) -> object:
    return await access_project(session, principal, _uuid(ref), Action.PROJECT_READ)


async def _task(session: AsyncSession, principal: Principal, ref: Any) -> object:
    return await access_task(
        session, principal, ref if isinstance(ref, str) else str(ref), Action.PROJECT_READ
    )


async def _comment(session: AsyncSession, principal: Principal, ref: Any) -> object:
    return await access_comment(session, principal, _uuid(ref), Action.PROJECT_READ)


async def _nothing_more(session: AsyncSession, principal: Principal, ref: Any) -> object:
    return None  # a membership, status or label: readable with its scope, checked already


def _uuid(ref: Any) -> UUID:
    try:
        return UUID(str(ref))
    except ValueError:
        raise NotFound("No such resource.") from None


# The path parameter naming a route's scope, and the read check for it.
_SCOPES: dict[str, ReplayCheck] = {
    "workspace_id": _workspace,
    "project_id": _project,
    "task_ref": _task,
}
# By the last segment of a creating route: how to find the created resource in the stored
# answer, and the read check for it. A new idempotent route must add its entry (a test checks).
_CREATED: dict[str, tuple[Callable[[dict[str, Any]], Any], ReplayCheck]] = {
    "workspaces": (lambda body: body["id"], _workspace),
    "projects": (lambda body: body["id"], _project),
    "tasks": (lambda body: body["id"], _task),
    "comments": (lambda body: body["id"], _comment),
    "relations": (lambda body: body["task"]["id"], _task),  # the related task, seen too
    "members": (lambda body: None, _nothing_more),
    "statuses": (lambda body: None, _nothing_more),
    "labels": (lambda body: None, _nothing_more),
}


def replay_check(path_format: str) -> tuple[Callable[[dict[str, Any]], Any], ReplayCheck] | None:
    return _CREATED.get(path_format.rstrip("/").rsplit("/", 1)[-1])


async def _reauthorise_replay(
    request: Request, session: AsyncSession, principal: Principal, body: bytes
) -> None:
    for name, check in _SCOPES.items():
        if name in request.path_params:
            value = request.path_params[name]
            if name == "task_ref":  # resolved in the workspace the request named, as it was
                value = ScopedRef(str(value), request.query_params.get("workspace"))
            await check(session, principal, value)
    # Every creating route's path ends in a fixed word, the same in the template and the URL.
    created = replay_check(request.url.path)
    if created is None:
        raise NotFound("No such resource.")  # an unknown kind: refuse rather than guess
    find, check = created
    try:
        ref = find(json.loads(body))
    except (ValueError, KeyError, TypeError):
        raise NotFound("No such resource.") from None
    if ref is not None:
        await check(session, principal, ref)


def _retention_cutoff(request: Request) -> datetime:
    hours = request.app.state.runtime.settings.idempotency_retention_hours
    return utcnow() - timedelta(hours=hours)


async def purge_idempotency_records(session: AsyncSession, *, retention_hours: int) -> int:
    """Delete the records past retention; they could no longer be replayed anyway."""
    result = await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.created_at < utcnow() - timedelta(hours=retention_hours)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


_ETAG = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


async def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=64,
            description='The version you last saw (the ETag, e.g. `"3"`); a stale one is 412.',
        ),
    ] = None,
) -> int | None:
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.match(value.strip())
    if match is None:
        raise ValidationFailed.for_field("If-Match", 'Send the ETag, like "3".')
    return int(match.group(1))


IfMatch = Annotated[int | None, Depends(if_match)]


def etag(version: int) -> str:
    return f'"{version}"'


def install_idempotency_handler(app: FastAPI) -> None:
    @app.exception_handler(IdempotentReplay)
    async def _replay(_: Request, exc: IdempotentReplay) -> Response:
        return Response(
            content=exc.body,
            status_code=exc.status_code,
            media_type="application/json",
            headers={REPLAYED_HEADER: "true"},
        )
