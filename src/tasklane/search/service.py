"""Full-text search across the projects of a workspace that the caller can see.

A hot read (docs/architecture.md, "Hot reads" and "Search"): the caller's workspace role, then
one statement that matches, ranks, pages and makes the page's snippets."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tasklane.auth.principal import Principal
from tasklane.authz.access import read_workspace_role, workspace_lookup
from tasklane.authz.roles import Action
from tasklane.errors import NotFound, ValidationFailed
from tasklane.kit.clock import utcnow
from tasklane.kit.pagination import decode_cursor, encode_cursor
from tasklane.kit.rawsql import RawConnection
from tasklane.kit.refs import HumanKey, parse_ref
from tasklane.query.compile import Context, task_conditions, text_terms
from tasklane.query.language import parse_query
from tasklane.search import queries
from tasklane.search.terms import (
    Expansions,
    Terms,
    fts5_match,
    fts5_title_match,
    prefixes,
    tsquery_positive_text,
    tsquery_text,
    tsquery_title_text,
)
from tasklane.tasks.search import workspace_statement

MAX_RESULTS = 1000
"""How deep paging goes: past this many hits, refine the query."""
_CURSOR_SCOPE = "search"


def _hit(row: list[Any]) -> dict[str, Any]:
    task_id, comment_id, project_id, key, number, title, score, snippet = row
    return {
        "kind": "task" if comment_id is None else "comment",
        "task_id": task_id,
        "task_key": f"{key}-{number}",
        "title": title,
        "comment_id": comment_id,
        "project_id": project_id,
        "snippet": queries.snippet_segments(snippet),
        "score": None if score is None else round(score, 6),
    }


CANDIDATES_PER_ROW = 4
CANDIDATES_EXTRA = 100
"""SQLite looks up this many of the index's best matches per row asked for (and a few more)
before it ranks every match."""


INDEXED_PREFIXES = (2, 3)
"""The prefix lengths FTS5 keeps an index for (migration 3b8d0f2a4c61)."""


async def _expansions(raw: RawConnection, terms: Terms) -> Expansions:
    """SQLite: the words each longer prefix of `terms` stands for, when they are few. Only
    for ASCII prefixes, whose index form is the typed one (the tokenizer folds accents, which
    is not redone here): another prefix stays a prefix."""
    found: dict[str, list[str]] = {}
    for prefix in prefixes(terms):
        if len(prefix) in INDEXED_PREFIXES or not prefix.isascii():
            continue
        stop = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = await raw.fetch(queries.vocabulary_statement(), {"start": prefix, "stop": stop})
        if len(rows) <= queries.VOCABULARY_LIMIT:
            found[prefix] = [row[0] for row in rows]
    return found


async def _ranked(
    raw: RawConnection,
    conditions: list[Any],
    params: dict[str, Any],
    terms: Terms,
) -> list[list[Any]]:
    """The page of hits (`queries.hits_statement`; `params` ask one more than the page's
    size), from the cheapest statement that gives it whole: the first tier (titles) alone
    when the page lies in it, as it does for a common word (in a few titles and in most
    descriptions); on SQLite the index's best matches before every match."""
    wanted = params["limit"]
    sqlite = raw.dialect == "sqlite"
    matched: list[list[Any]] = []
    for titles in (True, False):
        values = params
        if titles and not sqlite:
            values = params | {"title_words": tsquery_positive_text(terms)}
        if sqlite:
            candidates = CANDIDATES_PER_ROW * (params["offset"] + wanted) + CANDIDATES_EXTRA
            fast = queries.hits_statement(raw.dialect, conditions, candidates=True, titles=titles)
            matched = await raw.fetch(fast, values | {"candidates": candidates}, slow=True)
            if len(matched) >= wanted:
                return matched
        leaves_out = any(t.negated for t in terms.terms)
        statement = queries.hits_statement(
            raw.dialect, conditions, titles=titles, leaves_out=leaves_out
        )
        matched = await raw.fetch(statement, values, slow=True)
        if len(matched) >= wanted:
            return matched
    return matched


async def search(
    raw: RawConnection,
    principal: Principal,
    *,
    workspace_id: UUID,
    text: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """`SearchPage` JSON: on the first page the task whose key is `text` (when it looks like
    one and is visible), then the tasks and comments whose text matches, best first. Field
    terms of the query language (`assignee:me status:started`) narrow the hits to the tasks
    they hold for; the free text is what is searched."""
    query = parse_query(text)
    terms = text_terms(query)
    if terms is None or all(t.negated for t in terms.terms):
        raise ValidationFailed.for_field("q", "Type a word to look for.")
    conditions = task_conditions(query, Context(principal.user_id, utcnow().date()))
    offset = decode_cursor(cursor, scope=_CURSOR_SCOPE, size=1)[0] if cursor else 0
    if not isinstance(offset, int) or offset < 0:
        offset = 0
    params = workspace_lookup(principal, workspace_id)
    rows = await raw.fetch(workspace_statement(raw.dialect), params)
    if not rows:
        raise NotFound("No such workspace.")
    read_workspace_role(rows[0], Action.WORKSPACE_READ)
    found: list[list[Any]] = []
    ref = parse_ref(text.strip())
    if offset == 0 and isinstance(ref, HumanKey) and not conditions:
        keyed = {**params, "key": ref.prefix, "number": ref.number}
        found = await raw.fetch(queries.keyed_statement(raw.dialect), keyed)
    if raw.dialect == "sqlite":
        params["match"] = fts5_match(terms)
        params["title_match"] = fts5_title_match(terms)
        params["snippet_match"] = fts5_match(terms, await _expansions(raw, terms))
    else:
        params["tsquery"] = tsquery_text(terms)
        params["title_tsquery"] = tsquery_title_text(terms)
    # One more than asked, to know whether there is a next page.
    params |= {"limit": limit + 1, "offset": offset}
    matched = await _ranked(raw, conditions, params, terms)
    more = len(matched) > limit and offset + limit < MAX_RESULTS
    keyed_ids = {row[0] for row in found}
    found += [r for r in matched[:limit] if r[1] is not None or r[0] not in keyed_ids]
    next_cursor = encode_cursor([offset + limit], scope=_CURSOR_SCOPE) if more else None
    return {"items": [_hit(row) for row in found], "next_cursor": next_cursor}
