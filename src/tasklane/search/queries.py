"""SQL for full-text search, one builder per database, both answering with the same columns:
the hit's task id, comment id (null for the task itself), project id, project key, task
number, task title, score (higher is better) and a snippet whose matching words are wrapped in
`MARK_START` … `MARK_END`.

Only tasks of projects the caller can see take part: the visible projects are a join inside
the statement, so nothing unseen is fetched, ranked or counted. Trashed tasks (and their
comments) are left out.

A page is found first (ranked and limited), then only its rows get a snippet: making one reads
the whole text again, too dear for every match of a common word."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles

from tasklane.authz.access import workspace_projects_read_statement
from tasklane.kit.rawsql import Dialect, RawSQL, compile_raw
from tasklane.models import Comment, Project, Task
from tasklane.search.terms import Terms, fts5_match, tsquery_text

MARK_START = "\ue000"
MARK_END = "\ue001"
"""Private-use characters around each matching word of a snippet (text never holds them in
practice; the API turns them into segments)."""
SNIPPET_WORDS = 24
TITLE_WEIGHT = 10.0
"""How much more a word in a title counts than one in a description or comment (SQLite's bm25
column weight; PostgreSQL weighs the title A, description B, comments C)."""

_HIT = ("task_id", "comment_id", "project_id", "key", "number", "title", "score")
HIT_COLUMNS = len(_HIT)
"""A hit row: the `_HIT` columns, then the snippet."""

_fts = table("search_fts", column("rowid", Integer), column("title"), column("body"))
_documents = table(
    "search_documents",
    column("id", Integer),
    column("task_id", Uuid),
    column("comment_id", String),
)


def _visible() -> Any:
    return workspace_projects_read_statement([Project.id, Project.key]).subquery("visible")


def _sqlite_in_title() -> ColumnElement[Any]:
    """1 when the document's title holds every positive term (parameter `title_match`), else
    0: the ranking's first tier. Found once for the statement, as a set of rowids."""
    titled = (
        select(_fts.c.rowid)
        .where(literal_column("search_fts").op("MATCH")(bindparam("title_match", type_=Text)))
        .correlate(None)
    )
    return type_coerce(_fts.c.rowid.in_(titled), Integer)


def _sqlite_hits(
    conditions: Sequence[ColumnElement[bool]], *, candidates: bool = False, titles: bool = False
) -> Select[Any]:
    """With `candidates`, only the `candidates` best matches of the whole index are looked up
    (parameter `candidates`): see `hits_statement`. With `titles`, only the tasks whose title
    holds every term (parameter `title_match`): the first tier alone."""
    visible = _visible()
    fts: ColumnElement[Any] = literal_column("search_fts")
    matching_text = fts.op("MATCH")(bindparam("title_match" if titles else "match", type_=Text))
    score: ColumnElement[Any] = -func.bm25(fts, TITLE_WEIGHT, 1.0)
    tier: ColumnElement[Any] = literal(1, Integer) if titles else _sqlite_in_title()
    matches: Any = _fts
    matching = [matching_text]
    if candidates:
        matches = (
            select(
                _fts.c.rowid,
                type_coerce(score, Float).label("score"),
                tier.label("tier"),
            )
            .where(matching_text)
            .order_by(literal_column("tier").desc(), literal_column("score").desc(), _fts.c.rowid)
            .limit(bindparam("candidates", type_=Integer))
            .subquery("best")
        )
        score = matches.c.score
        tier = matches.c.tier
        matching = []  # done in `best`
    page = (
        select(
            matches.c.rowid,
            Task.id.label("task_id"),
            type_coerce(func.nullif(_documents.c.comment_id, ""), Uuid).label("comment_id"),
            Task.project_id,
            visible.c.key,
            Task.number,
            Task.title,
            type_coerce(score, Float).label("score"),
            tier.label("tier"),
        )
        .select_from(matches)
        .join(_documents, _documents.c.id == matches.c.rowid)
        .join(Task, Task.id == _documents.c.task_id)
        .join(visible, visible.c.id == Task.project_id)
        .where(*matching, Task.deleted_at.is_(None))
        .where(*conditions)
        .order_by(literal_column("tier").desc(), literal_column("score").desc(), matches.c.rowid)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    # The snippet's words are those of `snippet_match`: the query with its long prefixes
    # written as the words they stand for (see `vocabulary_statement`), cheap to match
    # against one row. Joined outside the page, so that it can never take a hit away: a row
    # it does not match (a word written since the look-up) has no snippet.
    snippet = case(
        (_fts.c.rowid.is_not(None), func.snippet(fts, -1, MARK_START, MARK_END, "…", SNIPPET_WORDS))
    )
    snippet_matches = fts.op("MATCH")(bindparam("snippet_match", type_=Text))
    return (
        select(*(page.c[name] for name in _HIT), type_coerce(snippet, Text))
        .select_from(page)
        .outerjoin(_fts, and_(_fts.c.rowid == page.c.rowid, snippet_matches))
        .order_by(page.c.tier.desc(), page.c.score.desc(), page.c.rowid)
    )


VOCABULARY_LIMIT = 50
"""A prefix standing for more words than this stays a prefix in snippets."""


@cache
def vocabulary_statement() -> RawSQL:
    """SQLite: the index's words from `start` (included) to `stop` (excluded), at most
    `VOCABULARY_LIMIT` + 1 (one more tells there are more)."""
    vocab = table("search_vocab", column("term", Text))
    stmt = (
        select(vocab.c.term)
        .where(vocab.c.term >= bindparam("start"), vocab.c.term < bindparam("stop"))
        .order_by(vocab.c.term)
        .limit(VOCABULARY_LIMIT + 1)
    )
    return compile_raw(stmt, "sqlite")


_CONFIG: ColumnElement[Any] = literal_column("'tasklane'::regconfig")
_HEADLINE = (
    f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords={SNIPPET_WORDS}, MinWords=8, '
    'ShortWord=0, MaxFragments=2, FragmentDelimiter=" … "'
)


_PG_TITLE_VECTOR: ColumnElement[Any] = literal_column(
    "to_tsvector('tasklane'::regconfig, translate(tasks.title, '.@/:_<>&\\-+', '           '))"
)
"""A task's title alone as a text-search vector: the expression of the title's own index
(migration 7c9e1b3d5f80), which finds the first tier of a search without reading every match."""


def _postgres_hits(
    conditions: Sequence[ColumnElement[bool]], *, titles: bool = False, leaves_out: bool = False
) -> Select[Any]:
    """With `titles`, only the tasks whose title holds every term: the first tier alone,
    found by the title's own index (parameter `title_words`, the positive terms); the whole
    query is checked too only when it `leaves_out` words (else the title's match implies it,
    and the planner would read the big index for nothing)."""
    visible = _visible()
    query = func.to_tsquery(_CONFIG, bindparam("tsquery", type_=Text))
    in_title = func.to_tsquery(_CONFIG, bindparam("title_tsquery", type_=Text))
    tasks_vector: ColumnElement[Any] = literal_column("tasks.search_vector")
    comments_vector: ColumnElement[Any] = literal_column("comments.search_vector")
    in_tasks = (
        select(
            Task.id.label("task_id"),
            null().label("comment_id"),
            Task.project_id,
            visible.c.key,
            Task.number,
            Task.title,
            func.ts_rank(tasks_vector, query).label("score"),
            (
                Task.title
                + literal("\n")
                + Task.description
                + literal("\n")
                + Task.attachment_names
            ).label("text"),
            (
                literal(1, Integer) if titles else cast(tasks_vector.op("@@")(in_title), Integer)
            ).label("tier"),
        )
        .join(visible, visible.c.id == Task.project_id)
        .where(Task.deleted_at.is_(None))
        .where(*conditions)
    )
    if titles:
        words = func.to_tsquery(_CONFIG, bindparam("title_words", type_=Text))
        in_tasks = in_tasks.where(_PG_TITLE_VECTOR.op("@@")(words))
        if leaves_out:
            in_tasks = in_tasks.where(tasks_vector.op("@@")(query))
        merged = in_tasks.subquery("hits")
    else:
        in_tasks = in_tasks.where(tasks_vector.op("@@")(query))
        in_comments = (
            select(
                Task.id,
                Comment.id,
                Task.project_id,
                visible.c.key,
                Task.number,
                Task.title,
                func.ts_rank(comments_vector, query),
                Comment.body,
                literal(0, Integer),
            )
            .select_from(Comment)
            .join(Task, Task.id == Comment.task_id)
            .join(visible, visible.c.id == Task.project_id)
            .where(comments_vector.op("@@")(query), Task.deleted_at.is_(None))
            .where(*conditions)
        )
        merged = union_all(in_tasks, in_comments).subquery("hits")
    order = (
        merged.c.tier.desc(),
        merged.c.score.desc(),
        merged.c.task_id,
        merged.c.comment_id.nulls_first(),
    )
    page = (
        select(merged)
        .order_by(*order)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    headline = func.ts_headline(_CONFIG, page.c.text, query, _HEADLINE)
    return select(
        page.c.task_id,
        type_coerce(page.c.comment_id, Uuid),
        page.c.project_id,
        page.c.key,
        page.c.number,
        page.c.title,
        type_coerce(page.c.score, Float),
        type_coerce(headline, Text),
    ).order_by(
        page.c.tier.desc(),
        page.c.score.desc(),
        page.c.task_id,
        page.c.comment_id.nulls_first(),
    )


def hits_statement(
    dialect: Dialect,
    conditions: Sequence[ColumnElement[bool]] = (),
    *,
    candidates: bool = False,
    titles: bool = False,
    leaves_out: bool = False,
) -> RawSQL:
    """Parameters: the `workspace_lookup` ones, `match`, `title_match` and `snippet_match`
    (SQLite, see `terms.fts5_match`, `terms.fts5_title_match` and `vocabulary_statement`)
    or `tsquery` and `title_tsquery` (PostgreSQL, see `terms.tsquery_text` and
    `terms.tsquery_title_text`; with `titles`, also `title_words`:
    `terms.tsquery_positive_text`, and `leaves_out` when the query has negated terms),
    `limit` and `offset`. `conditions` on `Task` (a query's field terms,
    tasklane.query.compile) narrow the hits to their tasks; without them the statement is
    compiled once.

    Hits are ranked in two tiers: first the tasks whose title holds every term, then the rest
    (descriptions, files' names, comments); by score within each. With `titles`, the
    statement gives the first tier alone: a common word is in few titles, so a page found
    there costs what those few cost, not what every match does (see `service.search`).

    `candidates` (SQLite): rank the whole index first and look up only its `candidates` best
    matches (a parameter). A common word matches most of the index, and joining every match to
    its task before ranking costs more than the ranking; if at least `limit` of those
    candidates survive the joins and conditions, they are exactly the page the full statement
    gives (every match ranked above a hit of that page is among the candidates), else the
    caller asks the full statement."""
    sqlite_candidates = candidates and dialect == "sqlite"
    if not conditions:
        return _plain_hits_statement(dialect, sqlite_candidates, titles, leaves_out)
    if dialect == "sqlite":
        stmt = _sqlite_hits(conditions, candidates=sqlite_candidates, titles=titles)
        return compile_raw(stmt, dialect)
    return compile_raw(_postgres_hits(conditions, titles=titles, leaves_out=leaves_out), dialect)


@cache
def _plain_hits_statement(
    dialect: Dialect, candidates: bool, titles: bool, leaves_out: bool
) -> RawSQL:
    if dialect == "sqlite":
        stmt = _sqlite_hits((), candidates=candidates, titles=titles)
    else:
        stmt = _postgres_hits((), titles=titles, leaves_out=leaves_out)
    return compile_raw(stmt, dialect)


@cache
def keyed_statement(dialect: Dialect) -> RawSQL:
    """The live task with key `key`-`number` among the visible projects, as a hit row with no
    score and its description's start as the snippet."""
    visible = _visible()
    stmt = (
        select(
            Task.id,
            type_coerce(null(), Uuid),
            Task.project_id,
            visible.c.key,
            Task.number,
            Task.title,
            type_coerce(null(), Float),
            func.substr(Task.description, 1, 200),
        )
        .join(visible, visible.c.id == Task.project_id)
        .where(
            visible.c.key == bindparam("key"),
            Task.number == bindparam("number"),
            Task.deleted_at.is_(None),
        )
    )
    return compile_raw(stmt, dialect)


def snippet_segments(snippet: str | None) -> list[dict[str, Any]]:
    """A snippet with markers as `[{text, match}]`, so that no client renders it as HTML."""
    segments: list[dict[str, Any]] = []
    for i, piece in enumerate((snippet or "").split(MARK_START)):
        matched, _, rest = piece.partition(MARK_END) if i else ("", "", piece)
        if matched:
            segments.append({"text": matched, "match": True})
        if rest:
            segments.append({"text": rest, "match": False})
    return segments


class TaskTextMatch(ColumnElement[bool]):
    """A condition on `Task`: the task's own text (title, description) or one of its
    comments matches `terms` (a query's free text, for lists). Compiled for the database at
    hand (below), with the terms bound in: a statement using it is compiled for its request."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, terms: Terms) -> None:
        self.terms = terms


@compiles(TaskTextMatch, "sqlite")
def _sqlite_text_match(element: TaskTextMatch, compiler: Any, **kw: Any) -> str:
    matching = (
        select(_documents.c.task_id)
        .select_from(_fts)
        .join(_documents, _documents.c.id == _fts.c.rowid)
        .where(literal_column("search_fts").op("MATCH")(literal(fts5_match(element.terms), Text)))
        .correlate(None)
    )
    # In parentheses: the text is spliced into the enclosing expression as it is.
    return f"({compiler.process(Task.id.in_(matching), **kw)})"


@compiles(TaskTextMatch, "postgresql")
def _postgres_text_match(element: TaskTextMatch, compiler: Any, **kw: Any) -> str:
    query = func.to_tsquery(_CONFIG, literal(tsquery_text(element.terms), Text))
    in_comments = (
        select(Comment.task_id)
        .where(literal_column("comments.search_vector").op("@@")(query))
        .correlate(None)
    )
    in_task: ColumnElement[bool] = literal_column("tasks.search_vector").op("@@")(query)
    return f"({compiler.process(or_(in_task, Task.id.in_(in_comments)), **kw)})"


def text_condition(terms: Terms) -> ColumnElement[bool]:
    """See `TaskTextMatch`."""
    return TaskTextMatch(terms)
