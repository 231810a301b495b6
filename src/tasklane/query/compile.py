"""A parsed query as SQL conditions on tasks, the same for SQLite and PostgreSQL.

Every condition is an expression on `Task` with its values bound as parameters; names (of
statuses, labels, people, projects) are looked up inside the statement, so a query costs no
extra round trip. The statement the conditions go into limits the tasks to the projects the
caller can see: a condition can only narrow that, never reach past it (a label or a handle
from another workspace names tasks the statement never considers).

Each condition is false, never NULL, for a task without the value it tests (no due date, no
assignee), so a negated one holds for such a task: `-due<2026-12-15` includes tasks without a
due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import aliased

from tasklane.kit.refs import HumanKey, parse_ref
from tasklane.models import Label, Project, Status, Task, TaskAssignee, TaskLabel, User
from tasklane.query.language import (
    STATUS_CATEGORIES,
    Condition,
    Field,
    Group,
    Query,
    QueryError,
    Text,
    resolve_date,
)
from tasklane.search.terms import Phrase, Term, Terms, words_of
from tasklane.tasks.schemas import Priority

_CLOSED = ("done", "cancelled")


@dataclass(frozen=True, slots=True)
class Context:
    user_id: UUID
    """Who `me` is."""
    today: date
    """What relative dates count from (UTC)."""


# Subqueries of other tables never correlate to an enclosing statement's (the counts per
# status nest these inside a query over statuses): `.correlate(None)`.


def _in_categories(categories: tuple[str, ...] | list[str]) -> ColumnElement[bool]:
    statuses = select(Status.id).where(Status.category.in_(categories)).correlate(None)
    return Task.status_id.in_(statuses)


def _assigned(condition: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    rows = select(TaskAssignee.task_id).correlate(None)
    if condition is not None:
        rows = rows.where(condition)
    return Task.id.in_(rows)


def _unassigned() -> ColumnElement[bool]:
    return ~exists().where(TaskAssignee.task_id == Task.id)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _dates(condition: Condition, ctx: Context) -> ColumnElement[bool]:
    column: Any = {
        Field.CREATED: Task.created_at,
        Field.UPDATED: Task.updated_at,
        Field.DUE: Task.due_date,
    }[condition.name]
    span = resolve_date(condition, ctx.today)
    if span is None:
        empty: ColumnElement[bool] = column.is_(None)
        return empty
    first, last = span
    parts: list[ColumnElement[bool]] = [column.is_not(None)]
    if condition.name == Field.DUE:
        if first is not None:
            parts.append(column >= first)
        if last is not None:
            parts.append(column <= last)
    else:
        if first is not None:
            parts.append(column >= _day_start(first))
        if last is not None:
            parts.append(column < _day_start(last + timedelta(days=1)))
    return and_(*parts)


def _condition(condition: Condition, ctx: Context) -> ColumnElement[bool]:
    value = condition.value
    lowered = value.lower()
    match condition.name:
        case Field.ASSIGNEE:
            if lowered == "me":
                return _assigned(TaskAssignee.user_id == ctx.user_id)
            if lowered == "none":
                return _unassigned()
            handle = lowered.removeprefix("@")
            people = select(User.id).where(func.lower(User.handle) == handle).correlate(None)
            return _assigned(TaskAssignee.user_id.in_(people))
        case Field.STATUS:
            named = func.lower(Status.name) == lowered
            if lowered in STATUS_CATEGORIES:
                named = or_(named, Status.category == lowered)
            return Task.status_id.in_(select(Status.id).where(named).correlate(None))
        case Field.LABEL:
            labelled = (
                select(TaskLabel.task_id)
                .join(Label, Label.id == TaskLabel.label_id)
                .where(func.lower(Label.name) == lowered)
                .correlate(None)
            )
            return Task.id.in_(labelled)
        case Field.PRIORITY:
            return Task.priority == Priority(lowered).rank
        case Field.PROJECT:
            keyed = select(Project.id).where(Project.key == value.upper()).correlate(None)
            return Task.project_id.in_(keyed)
        case Field.IS:
            if lowered == "open":
                return ~_in_categories(_CLOSED)
            if lowered == "done":
                return _in_categories(["done"])
            if lowered == "unassigned":
                return _unassigned()
            return and_(
                Task.due_date.is_not(None), Task.due_date < ctx.today, ~_in_categories(_CLOSED)
            )
        case Field.PARENT:
            if lowered == "none":
                return Task.parent_id.is_(None)
            ref = parse_ref(value)
            if not isinstance(ref, HumanKey):
                raise QueryError(
                    f"`parent` takes a task key (`parent:ENG-1`) or none, not `{value}`",
                    condition.position,
                )
            parent = aliased(Task)
            parents = (
                select(parent.id)
                .join(Project, Project.id == parent.project_id)
                .where(Project.key == ref.prefix.upper(), parent.number == ref.number)
                .correlate(None)
            )
            return and_(Task.parent_id.is_not(None), Task.parent_id.in_(parents))
        case _:
            return _dates(condition, ctx)


def _group(group: Group, ctx: Context) -> ColumnElement[bool]:
    parts = []
    for term in group.terms:
        assert isinstance(term, Condition)
        made = _condition(term, ctx)
        parts.append(not_(made) if term.negated else made)
    return parts[0] if len(parts) == 1 else or_(*parts)


def task_conditions(query: Query, ctx: Context) -> list[ColumnElement[bool]]:
    """The query's field terms as conditions on `Task` (its free text is not among them)."""
    return [_group(g, ctx) for g in query.condition_groups]


def text_terms(query: Query) -> Terms | None:
    """The query's free text as full-text terms; None when it has none. The last word is a
    prefix while it is being typed (nothing after it yet)."""
    groups = query.text_groups
    if not groups:
        return None
    last = groups[-1].terms[-1] if query.groups and query.groups[-1] is groups[-1] else None
    terms: list[Term] = []
    for group in groups:
        negated = {t.negated for t in group.terms}
        if len(negated) > 1:
            raise QueryError("`-` cannot be used inside `OR`", group.terms[0].position)
        phrases = []
        for text in group.terms:
            assert isinstance(text, Text)
            words = words_of(text.text)
            if not words:
                continue
            prefix = text is last and not query.ends_in_space and not text.phrase
            phrases.append(Phrase(words, prefix and not text.negated))
        if phrases:
            terms.append(Term(tuple(phrases), negated.pop()))
    return Terms(tuple(terms)) if terms else None
