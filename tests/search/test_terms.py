"""The free text of a query, as full-text terms: the syntax, and that no input whatever makes
an expression FTS5 refuses (PostgreSQL's `to_tsquery` is checked the same way in
test_search.py's corpus, on a real server)."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasklane.errors import ValidationFailed
from tasklane.query.compile import text_terms
from tasklane.query.language import parse_query
from tasklane.search.terms import (
    Phrase,
    Term,
    Terms,
    fts5_match,
    fts5_title_match,
    prefixes,
    tsquery_positive_text,
    tsquery_text,
    tsquery_title_text,
)


def parse_terms(text: str) -> Terms:
    terms = text_terms(parse_query(text))
    if terms is None or all(t.negated for t in terms.terms):
        raise ValidationFailed.for_field("q", "nothing to look for")
    return terms


def test_the_syntax() -> None:
    terms = parse_terms('Login "time out" -flaky mobile OR "web app" déjà')
    assert terms == Terms(
        (
            Term((Phrase(("login",)),)),
            Term((Phrase(("time", "out")),)),
            Term((Phrase(("flaky",)),), negated=True),
            Term((Phrase(("mobile",)), Phrase(("web", "app")))),
            Term((Phrase(("déjà",), prefix=True),)),
        )
    )
    assert fts5_match(terms) == (
        '("login" AND "time out" AND ("mobile" OR "web app") AND "déjà"*) NOT "flaky"'
    )
    assert tsquery_text(terms) == (
        "'login' & ('time' <-> 'out') & !'flaky' & ('mobile' | ('web' <-> 'app')) & 'déjà':*"
    )
    # The title tier: every positive term in the title alone, and the whole expression.
    assert fts5_title_match(terms) == (
        '{title} : ("login" AND "time out" AND ("mobile" OR "web app") AND "déjà"*) AND ('
        + fts5_match(terms)
        + ")"
    )
    assert fts5_title_match(parse_terms("login ")) == '{title} : ("login")'
    assert tsquery_title_text(terms) == (
        "'login':A & ('time':A <-> 'out':A) & ('mobile':A | ('web':A <-> 'app':A)) & 'déjà':*A"
    )
    assert tsquery_positive_text(terms) == (
        "'login' & ('time' <-> 'out') & ('mobile' | ('web' <-> 'app')) & 'déjà':*"
    )
    # A prefix written as the words it stands for, in a phrase too; none found: still a prefix.
    typed = Terms(
        (
            Term((Phrase(("login",)),)),
            Term((Phrase(("tim",), prefix=True), Phrase(("web", "ap"), prefix=True))),
        )
    )
    expanded = {"tim": ["time", "timeout"], "ap": ["app"]}
    assert fts5_match(typed, expanded) == ('"login" AND (("time" OR "timeout") OR "web app")')
    assert fts5_match(typed, {"tim": []}) == '"login" AND ("tim"* OR "web ap"*)'
    assert prefixes(typed) == {"tim", "ap"}
    # Punctuation splits words as both engines do; a space after the last word ends it.
    assert parse_terms("e-mail ") == Terms((Term((Phrase(("e", "mail")),)),))
    assert fts5_match(parse_terms("NEAR(a b) AND")) == '"near a" AND "b" AND "and"*'


@pytest.mark.parametrize("typed", ["", "   ", "?!", "-word", '-"a phrase" -x', "- ?"])
def test_nothing_to_look_for(typed: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_terms(typed)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Éé东\"-*():^OR NOT AND{}.'\\\t"), max_size=40))
def test_no_input_makes_an_expression_fts5_refuses(typed: str) -> None:
    try:
        terms = parse_terms(typed)
    except ValidationFailed:
        return
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    db.execute("INSERT INTO t VALUES ('ab éé 东 or not and', 'and not or')")
    expanded = {word: [word, word + "s"] for word in prefixes(terms)}
    for expression in (fts5_match(terms), fts5_title_match(terms), fts5_match(terms, expanded)):
        db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (expression,)).fetchall()
