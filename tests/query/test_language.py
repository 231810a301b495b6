"""The query language without a database: what parses to what, the errors and where they
point, and that printing a query gives text that parses back to it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasklane.query.language import (
    DATE_FIELDS,
    FIELDS,
    IS_VALUES,
    PRIORITY_VALUES,
    Condition,
    Group,
    Query,
    QueryError,
    Text,
    parse_query,
    print_query,
    resolve_date,
)


def test_the_issue_examples() -> None:
    query = parse_query("login timeout assignee:me status:started label:bug due<2026-12-15")
    assert query.groups == (
        Group((Text("login"),)),
        Group((Text("timeout"),)),
        Group((Condition("assignee", ":", "me"),)),
        Group((Condition("status", ":", "started"),)),
        Group((Condition("label", ":", "bug"),)),
        Group((Condition("due", "<", "2026-12-15"),)),
    )
    query = parse_query(
        'status:todo OR status:started -label:"won\'t fix" "exact phrase" updated>-7d '
        "is:overdue project:ENG parent:ENG-1 due:this-week priority:high assignee:none"
    )
    assert query.groups[0] == Group(
        (Condition("status", ":", "todo"), Condition("status", ":", "started"))
    )
    assert query.groups[1] == Group((Condition("label", ":", "won't fix", negated=True),))
    assert query.groups[2] == Group((Text("exact phrase", phrase=True),))
    assert print_query(query) == (
        'status:todo OR status:started -label:"won\'t fix" "exact phrase" updated>-7d '
        "is:overdue project:ENG parent:ENG-1 due:this-week priority:high assignee:none"
    )
    # Field names are read in any case; a typed word at the end is still being typed.
    assert parse_query("Label:bug logi").groups[0] == Group((Condition("label", ":", "bug"),))
    assert parse_query("logi").ends_in_space is False
    assert parse_query("logi ").ends_in_space is True


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("asignee:me", "unknown field `asignee`: did you mean `assignee`? (at 0)"),
        ("login stauts:done", "unknown field `stauts`: did you mean `status`? (at 6)"),
        (
            "x priority:hgh",
            "`priority` is one of none, low, medium, high, urgent, not `hgh`: "
            "did you mean `high`? (at 2)",
        ),
        ("is:closed", "`is` is one of open, done, overdue, unassigned, not `closed` (at 0)"),
        ("label>bug", "`label` takes `:` (`label:bug`), not `>` (at 0)"),
        (
            "a label:bug OR status:done",
            "`OR` joins terms of one field (or words): label:bug OR status:done (at 2)",
        ),
        ("label:", "the query ends too soon: a field needs a value (`label:bug`) (at 6)"),
        ('label:"open', "a quote is not closed (at 6)"),
        ("x OR ", "`OR` needs a term after it (at 5)"),
        ("due>soon", "not `soon` (at 0)"),
        ("due>none", "`due:none` takes `:` (at 0)"),
        ("x " * 33, "at most 32 terms (at 64)"),
    ],
)
def test_errors_say_what_and_where(typed: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(typed)
    assert str(caught.value.detail).endswith(message), caught.value.detail
    assert caught.value.errors is not None
    assert caught.value.errors[0].field == "q"


def test_dates() -> None:
    today = date(2026, 12, 2)  # a Wednesday

    def span(text: str) -> tuple[date | None, date | None] | None:
        (group,) = parse_query(text).groups
        condition = group.terms[0]
        assert isinstance(condition, Condition)
        return resolve_date(condition, today)

    assert span("due:today") == (today, today)
    assert span("due:this-week") == (date(2026, 11, 30), date(2026, 12, 6))
    assert span("due:next-week") == (date(2026, 12, 7), date(2026, 12, 13))
    assert span("due<2026-12-15") == (None, date(2026, 12, 14))
    assert span("due<=2026-12-15") == (None, date(2026, 12, 15))
    assert span("updated>-7d") == (date(2026, 11, 26), None)
    assert span("created>=-1w") == (date(2026, 11, 25), None)
    assert span("due:+2d") == (date(2026, 12, 4), date(2026, 12, 4))
    assert span("due:none") is None


_VALUE = st.text(
    alphabet=st.characters(blacklist_characters='"', blacklist_categories=("Cs", "Cc")),
    min_size=1,
    max_size=12,
).filter(lambda v: v.strip() == v and v != "")
_WORD = st.from_regex(r"[A-Za-zÀ-ÿ0-9][A-Za-zÀ-ÿ0-9_.-]{0,10}", fullmatch=True).filter(
    lambda w: w != "OR"
)


@st.composite
def _condition(draw: st.DrawFn, name: str | None = None) -> Condition:
    name = name or draw(st.sampled_from(FIELDS))
    negated = draw(st.booleans())
    if name in DATE_FIELDS:
        op = draw(st.sampled_from([":", ">", ">=", "<", "<="]))
        value = draw(st.sampled_from(["2026-12-15", "-7d", "+2w", "today", "this-week"]))
        return Condition(name, op, value, negated)
    closed = {"is": IS_VALUES, "priority": PRIORITY_VALUES}.get(name)
    value = draw(st.sampled_from(closed)) if closed else draw(_VALUE)
    return Condition(name, ":", value, negated)


@st.composite
def _group(draw: st.DrawFn) -> Group:
    if draw(st.booleans()):
        first = draw(_condition())
        rest = draw(st.lists(_condition(first.name), max_size=2))
        return Group((first, *rest))
    phrase = draw(st.booleans())
    text = draw(st.lists(_WORD, min_size=1, max_size=3).map(" ".join)) if phrase else draw(_WORD)
    return Group((Text(text, phrase=phrase or " " in text, negated=draw(st.booleans())),))


@settings(max_examples=300, deadline=None)
@given(st.lists(_group(), max_size=6).map(lambda groups: Query(tuple(groups))))
def test_print_then_parse_gives_the_same_query(query: Query) -> None:
    assert parse_query(print_query(query)).groups == query.groups


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab:-"<>=OR _lbestuaio1 2.'), max_size=30))
def test_parse_print_parse_is_stable(typed: str) -> None:
    try:
        query = parse_query(typed)
    except QueryError:
        return
    printed = print_query(query)
    assert parse_query(printed).groups == query.groups
    assert print_query(parse_query(printed)) == printed
