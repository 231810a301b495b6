"""The task query language: what a filter bar, a saved view and the API's `q` take.

    login timeout assignee:me status:started label:bug due<2026-12-15 -label:wontfix
    status:todo OR status:started  "exact phrase"  project:ENG  updated>-7d  is:overdue

A query is terms separated by spaces; every term must hold. A term is a field with an
operator and a value (`field:value`, `field>value`, `>=`, `<`, `<=`), or free text (a word or
a "quoted phrase", matched as full text). `-` before a term negates it; `OR` between two terms
of the same field (or two free-text terms) takes either. Values with spaces are quoted:
`label:"needs review"`.

The grammar is lark's (LALR, contextual lexer). A query that does not parse, or names an
unknown field or a bad value, is a `QueryError` carrying the position of the offending term
(0-based, in characters), and a suggestion for a misspelt field or value."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.exceptions import VisitError

from tasklane.errors import FieldError, ValidationFailed

MAX_QUERY_LENGTH = 500
MAX_TERMS = 32

_GRAMMAR = r"""
    start: group*
    group: term (_OR term)*
    term: NEG? (field | PHRASE | WORD)
    field: NAME OP (PHRASE | VALUE)

    NAME.3: /[A-Za-z_]+(?=(:|>=|<=|<|>))/
    OP: ">=" | "<=" | ":" | ">" | "<"
    _OR.4: /OR(?=\s)/
    NEG.2: /-(?=[^\s-])/
    PHRASE: /"[^"]*"/
    VALUE: /[^\s"]+/
    WORD: /[^\s"]+/

    %ignore /\s+/
"""

_parser = Lark(_GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True)


class Field:
    """The fields, and the values the ones with a closed set take."""

    ASSIGNEE = "assignee"
    STATUS = "status"
    LABEL = "label"
    PRIORITY = "priority"
    PROJECT = "project"
    IS = "is"
    PARENT = "parent"
    CREATED = "created"
    UPDATED = "updated"
    DUE = "due"


FIELDS = (
    Field.ASSIGNEE,
    Field.STATUS,
    Field.LABEL,
    Field.PRIORITY,
    Field.PROJECT,
    Field.IS,
    Field.PARENT,
    Field.CREATED,
    Field.UPDATED,
    Field.DUE,
)
DATE_FIELDS = (Field.CREATED, Field.UPDATED, Field.DUE)
IS_VALUES = ("open", "done", "overdue", "unassigned")
PRIORITY_VALUES = ("none", "low", "medium", "high", "urgent")
STATUS_CATEGORIES = ("backlog", "unstarted", "started", "done", "cancelled")
DATE_WORDS = ("today", "yesterday", "tomorrow", "this-week", "last-week", "next-week", "none")
COMPARISONS = (">", ">=", "<", "<=")
_RELATIVE = re.compile(r"([+-]?)(\d{1,4})([dw])")


class QueryError(ValidationFailed):
    """A 422 naming `q` (or the given field), whose message says where and what."""

    def __init__(self, message: str, position: int, *, field_name: str = "q") -> None:
        text = f"{message} (at {position})"
        super().__init__(
            text, errors=[FieldError(field=field_name, message=text, code="invalid_query")]
        )
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class Text:
    """Free text: one word, or a phrase (quoted)."""

    text: str
    phrase: bool = False
    negated: bool = False
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    op: str
    value: str
    negated: bool = False
    position: int = field(default=0, compare=False)


Term = Text | Condition


@dataclass(frozen=True, slots=True)
class Group:
    """One term, or several joined by OR (all of one field, or all free text)."""

    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Query:
    groups: tuple[Group, ...] = ()
    ends_in_space: bool = field(default=True, compare=False)
    """False when the text ended right after its last word (being typed: a prefix)."""

    @property
    def text_groups(self) -> list[Group]:
        return [g for g in self.groups if isinstance(g.terms[0], Text)]

    @property
    def condition_groups(self) -> list[Group]:
        return [g for g in self.groups if isinstance(g.terms[0], Condition)]


def _unquote(token: str) -> str:
    return token[1:-1] if token.startswith('"') else token


class _Build(Transformer[Token, Query]):
    def start(self, groups: list[Group]) -> Query:
        return Query(tuple(groups))

    def group(self, terms: list[Term]) -> Group:
        kinds = {t.name if isinstance(t, Condition) else "" for t in terms}
        if len(kinds) > 1:
            raise QueryError(
                "`OR` joins terms of one field (or words): "
                + " OR ".join(print_term(t) for t in terms),
                terms[0].position,
            )
        return Group(tuple(terms))

    def term(self, items: list[Token | Condition]) -> Term:
        first, item = items[0], items[-1]
        negated = isinstance(first, Token) and first.type == "NEG"
        start = first.start_pos if isinstance(first, Token) else None
        if isinstance(item, Condition):
            position = (start or 0) if negated else item.position
            return Condition(item.name, item.op, item.value, negated, position)
        return Text(_unquote(item), item.type == "PHRASE", negated, start or 0)

    def field(self, items: list[Token]) -> Condition:
        name, op, value = items
        return Condition(name.lower(), str(op), _unquote(value), position=name.start_pos or 0)


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return f": did you mean `{close[0]}`?" if close else ""


def _check(condition: Condition) -> None:
    """Fields and values that can be checked without the database."""
    name, op, value, at = condition.name, condition.op, condition.value, condition.position
    if name not in FIELDS:
        raise QueryError(f"unknown field `{name}`{_suggest(name, FIELDS)}", at)
    if op != ":" and name not in DATE_FIELDS:
        raise QueryError(f"`{name}` takes `:` (`{name}:{value}`), not `{op}`", at)
    if not value:
        raise QueryError(f"`{name}` needs a value", at)
    lowered = value.lower()
    closed = {Field.IS: IS_VALUES, Field.PRIORITY: PRIORITY_VALUES}.get(name)
    if closed is not None and lowered not in closed:
        raise QueryError(
            f"`{name}` is one of {', '.join(closed)}, not `{value}`{_suggest(lowered, closed)}",
            at,
        )
    if name in DATE_FIELDS:
        resolve_date(condition, date(2000, 1, 1))


def parse_query(text: str, *, field_name: str = "q") -> Query:
    """The query in `text`; QueryError (a 422 naming `field_name`) when it is not one."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"at most {MAX_QUERY_LENGTH} characters", 0, field_name=field_name)
    try:
        query = _Build().transform(_parser.parse(text))
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            error = exc.orig_exc
            raise QueryError(error.message, error.position, field_name=field_name) from None
        raise
    except UnexpectedInput as exc:
        at_end = isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
        position = len(text) if at_end else exc.pos_in_stream or 0
        raise QueryError(_parse_problem(exc, text), position, field_name=field_name) from None
    terms = [t for g in query.groups for t in g.terms]
    if len(terms) > MAX_TERMS:
        raise QueryError(f"at most {MAX_TERMS} terms", terms[MAX_TERMS].position)
    for term in terms:
        if isinstance(term, Condition):
            try:
                _check(term)
            except QueryError as error:
                raise QueryError(error.message, error.position, field_name=field_name) from None
    ends_in_space = not text or text[-1].isspace() or text.endswith('"')
    return Query(query.groups, ends_in_space)


def _parse_problem(exc: UnexpectedInput, text: str) -> str:
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        if text.rstrip().endswith("OR"):
            return "`OR` needs a term after it"
        return "the query ends too soon: a field needs a value (`label:bug`)"
    if isinstance(exc, UnexpectedToken) and exc.token.type == "_OR":
        return "`OR` needs a term before it"
    if isinstance(exc, UnexpectedCharacters) and text[exc.pos_in_stream or 0] == '"':
        return "a quote is not closed"
    return 'this is not a term (`field:value`, a word or a "phrase")'


def resolve_date(condition: Condition, today: date) -> tuple[date | None, date | None] | None:
    """The range of days (first, last; either may be open) a date condition means, or None
    for `field:none` (no date). Relative values count from `today`: `-7d` is seven days ago,
    `+2w` two weeks ahead; `this-week` is Monday to Sunday. A comparison takes a date:
    `due<2026-12-15` is before that day, `updated>-7d` after the day seven days ago."""
    value = condition.value.lower()
    at = condition.position
    if value == "none":
        if condition.op != ":":
            raise QueryError(f"`{condition.name}:none` takes `:`", at)
        return None
    day = _day(value, today)
    if day is not None:
        first, last = day, day
    else:
        monday = today - timedelta(days=today.weekday())
        weeks = {"this-week": 0, "last-week": -1, "next-week": 1}
        if value not in weeks:
            raise QueryError(
                f"`{condition.name}` takes a date (2026-12-15), today, yesterday, tomorrow, "
                f"this-week, last-week, next-week, none or a number of days or weeks from "
                f"today (-7d, +2w), not `{condition.value}`",
                at,
            )
        first = monday + timedelta(weeks=weeks[value])
        last = first + timedelta(days=6)
    match condition.op:
        case ":":
            return first, last
        case ">":
            return last + timedelta(days=1), None
        case ">=":
            return first, None
        case "<":
            return None, first - timedelta(days=1)
        case _:  # "<="
            return None, last


def _day(value: str, today: date) -> date | None:
    words = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if value in words:
        return today + timedelta(days=words[value])
    if match := _RELATIVE.fullmatch(value):
        sign, count, unit = match.groups()
        days = int(count) * (7 if unit == "w" else 1)
        return today - timedelta(days=days) if sign == "-" else today + timedelta(days=days)
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


_PLAIN_VALUE = re.compile(r'[^\s"]+')


def _quoted(value: str) -> str:
    return value if _PLAIN_VALUE.fullmatch(value) and value != "OR" else f'"{value}"'


def print_term(term: Term) -> str:
    sign = "-" if term.negated else ""
    if isinstance(term, Condition):
        return f"{sign}{term.name}{term.op}{_quoted(term.value)}"
    text = f'"{term.text}"' if term.phrase or not _PLAIN_VALUE.fullmatch(term.text) else term.text
    return sign + text


def print_query(query: Query) -> str:
    """The query as text that parses back to it (the canonical spelling)."""
    return " ".join(" OR ".join(print_term(t) for t in g.terms) for g in query.groups)
