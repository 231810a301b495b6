from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Query, Response

from tasklane.api import json_response, new_router
from tasklane.auth.principal import BEARER_DOC, HotReadDep
from tasklane.search.schemas import SearchPage
from tasklane.search.service import search

router = new_router(tags=["search"])

MAX_QUERY_LENGTH = 200
MAX_LIMIT = 50


@router.get("/search", response_model=SearchPage, openapi_extra=BEARER_DOC)
async def search_workspace(
    read: HotReadDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_LENGTH,
            description='Words to find (all of them), "a phrase", `-word` to leave out, `OR` '
            "between two terms; the last word also matches as a prefix while it is typed (no "
            "space after it). Case and accents do not matter. Field terms of the query language "
            '(`assignee:me status:started label:bug due<2026-12-15`: see the README, "Query '
            'language") narrow the hits to the tasks they hold for. A query that does not '
            "parse is a 422 whose message says what and at which character.",
            examples=["login timeout -flaky assignee:me status:started"],
        ),
    ],
    workspace_id: Annotated[UUID, Query(description="The workspace to search.")],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Tasks and comments whose words match `q`, across every project of the workspace that
    you can see, best first: the tasks whose title holds every word, then the rest (words
    in descriptions, files' names and comments), each by relevance (a word in a title counts
    more). The task whose key is `q` (`ENG-42`) comes first. Each hit has a snippet with the
    matching words marked. At most `limit` per page, and at most 1000 in all: refine the
    query to see past them. Tasks in the trash are left out."""
    found = await search(
        read.raw,
        read.principal,
        workspace_id=workspace_id,
        text=q,
        limit=limit,
        cursor=cursor,
    )
    return json_response(found)
