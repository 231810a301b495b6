"""What someone types into a search box, as terms both databases' full-text engines take.

The syntax is the one people know from web search engines: words (all must match), "quoted
phrases", `-word` or `-"phrase"` to leave out, `OR` between two terms for either. The last word,
while it is being typed (no space after it yet), matches as a prefix: `logi` finds "login".

Words are runs of letters and digits (`e-mail` is the phrase `e mail`, as both engines split
it). The same terms become an FTS5 MATCH expression (SQLite) and a `to_tsquery` text
(PostgreSQL), every word quoted, so nothing typed is read as either engine's own syntax.
PostgreSQL's `websearch_to_tsquery` reads the same syntax but cannot match a prefix, hence
this."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasklane.errors import ValidationFailed

MAX_TERMS = 16
MAX_WORDS = 32

_WORD = re.compile(r"[^\W_]+")
# A quoted phrase (closed or not), or a run of anything else but space and quotes.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+?)(?=\s|"|$)')


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]
    prefix: bool = False
    """The last word matches as a prefix."""


@dataclass(frozen=True, slots=True)
class Term:
    """One of `alternatives` must match (`OR`); none of them when `negated`."""

    alternatives: tuple[Phrase, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Terms:
    """All positive terms must match and no negated one."""

    terms: tuple[Term, ...]

    @property
    def words(self) -> list[str]:
        return [w for t in self.terms if not t.negated for p in t.alternatives for w in p.words]


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in _WORD.findall(text))


def parse_terms(text: str, *, field: str = "q") -> Terms:
    """The terms of `text`; ValidationFailed (naming `field`) when nothing is left to look for
    or there is too much."""
    typing_last = bool(text) and not text[-1].isspace() and not text.endswith('"')
    terms: list[Term] = []
    join_next = False
    tokens = list(_TOKEN.finditer(text))
    for index, token in enumerate(tokens):
        minus, quoted, bare = token.group(1), token.group(2), token.group(3)
        if bare == "OR":
            join_next = bool(terms) and not terms[-1].negated
            continue
        negated = bool(minus) or (bare is not None and bare.startswith("-") and len(bare) > 1)
        words = _words(quoted if quoted is not None else bare)
        if not words:
            join_next = False
            continue
        last = index == len(tokens) - 1
        prefix = last and typing_last and quoted is None and not negated
        phrase = Phrase(words, prefix)
        if join_next and not negated:
            previous = terms.pop()
            terms.append(Term((*previous.alternatives, phrase)))
        else:
            terms.append(Term((phrase,), negated))
        join_next = False
    if not any(not t.negated for t in terms):
        raise ValidationFailed.for_field(field, "Type a word to look for.")
    if len(terms) > MAX_TERMS or sum(len(p.words) for t in terms for p in t.alternatives) > (
        MAX_WORDS
    ):
        raise ValidationFailed.for_field(
            field, f"Too many words: at most {MAX_WORDS} in at most {MAX_TERMS} terms."
        )
    return Terms(tuple(terms))


def _fts5_phrase(phrase: Phrase) -> str:
    quoted = '"' + " ".join(phrase.words) + '"'
    return quoted + "*" if phrase.prefix else quoted


def _fts5_term(term: Term) -> str:
    parts = [_fts5_phrase(p) for p in term.alternatives]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def fts5_match(terms: Terms) -> str:
    """An FTS5 MATCH expression: the positive terms ANDed, then each negated one NOT-ed."""
    positive = " AND ".join(_fts5_term(t) for t in terms.terms if not t.negated)
    negative = "".join(f" NOT {_fts5_term(t)}" for t in terms.terms if t.negated)
    return f"({positive}){negative}" if negative else positive


def _ts_phrase(phrase: Phrase) -> str:
    # Words are letters and digits only: nothing in them needs quoting but the quotes.
    words = [f"'{w}'" for w in phrase.words]
    if phrase.prefix:
        words[-1] += ":*"
    joined = " <-> ".join(words)
    return f"({joined})" if len(words) > 1 else joined


def _ts_term(term: Term) -> str:
    parts = [_ts_phrase(p) for p in term.alternatives]
    inner = parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
    return f"!{inner}" if term.negated else inner


def tsquery_text(terms: Terms) -> str:
    """A `to_tsquery` text: every term ANDed, negated ones with `!`."""
    return " & ".join(_ts_term(t) for t in terms.terms)
