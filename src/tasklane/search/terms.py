"""Free text of a query (tasklane.query: words, "quoted phrases", `-word` or `-"phrase"` to
leave out, `OR` between two terms for either) as terms both databases' full-text engines take.
The last word, while it is being typed (no space after it yet), matches as a prefix: `logi`
finds "login".

Words are runs of letters and digits (`e-mail` is the phrase `e mail`, as both engines split
it). The same terms become an FTS5 MATCH expression (SQLite) and a `to_tsquery` text
(PostgreSQL), every word quoted, so nothing typed is read as either engine's own syntax.
PostgreSQL's `websearch_to_tsquery` reads the same syntax but cannot match a prefix, hence
this."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")


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


def words_of(text: str) -> tuple[str, ...]:
    """The words of `text`, as both engines split it (runs of letters and digits), folded."""
    return tuple(w.casefold() for w in _WORD.findall(text))


Expansions = Mapping[str, Sequence[str]]
"""The words of the index a prefix stands for (`timeo` -> timeout, timeouts)."""


def prefixes(terms: Terms) -> set[str]:
    """The words of `terms` that match as prefixes."""
    return {p.words[-1] for t in terms.terms for p in t.alternatives if p.prefix}


def _fts5_phrase(phrase: Phrase, expanded: Expansions) -> str:
    words = " ".join(phrase.words)
    if not phrase.prefix:
        return f'"{words}"'
    found = expanded.get(phrase.words[-1])
    if not found:
        return f'"{words}"*'
    start = phrase.words[:-1]
    parts = ['"' + " ".join((*start, word)) + '"' for word in found]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _fts5_term(term: Term, expanded: Expansions) -> str:
    parts = [_fts5_phrase(p, expanded) for p in term.alternatives]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def fts5_match(terms: Terms, expanded: Expansions | None = None) -> str:
    """An FTS5 MATCH expression: the positive terms ANDed, then each negated one NOT-ed. A
    prefix in `expanded` is written as the words it stands for (the same matches, each word
    looked up directly)."""
    given = expanded or {}
    positive = " AND ".join(_fts5_term(t, given) for t in terms.terms if not t.negated)
    negative = "".join(f" NOT {_fts5_term(t, given)}" for t in terms.terms if t.negated)
    return f"({positive}){negative}" if negative else positive


def fts5_title_match(terms: Terms) -> str:
    """An FTS5 MATCH expression for the documents of `fts5_match` whose title alone holds
    every positive term: a task "in the title" (the first tier of the ranking)."""
    positive = " AND ".join(_fts5_term(t, {}) for t in terms.terms if not t.negated)
    in_title = f"{{title}} : ({positive})"
    if any(t.negated for t in terms.terms):
        return f"{in_title} AND ({fts5_match(terms)})"
    return in_title


def _ts_phrase(phrase: Phrase, weight: str = "") -> str:
    # Words are letters and digits only: nothing in them needs quoting but the quotes.
    words = [f"'{w}'" + (f":{weight}" if weight else "") for w in phrase.words]
    if phrase.prefix:
        words[-1] = f"'{phrase.words[-1]}':*{weight}"
    joined = " <-> ".join(words)
    return f"({joined})" if len(words) > 1 else joined


def _ts_term(term: Term, weight: str = "") -> str:
    parts = [_ts_phrase(p, weight) for p in term.alternatives]
    inner = parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
    return f"!{inner}" if term.negated else inner


def tsquery_text(terms: Terms) -> str:
    """A `to_tsquery` text: every term ANDed, negated ones with `!`."""
    return " & ".join(_ts_term(t) for t in terms.terms)


def tsquery_title_text(terms: Terms) -> str:
    """A `to_tsquery` text matching a task's `search_vector` when its title alone holds every
    positive term: their words weighted A (the title's weight), phrases inside the title (the
    description's positions follow the title's, weighted B)."""
    return " & ".join(_ts_term(t, "A") for t in terms.terms if not t.negated)


def tsquery_positive_text(terms: Terms) -> str:
    """A `to_tsquery` text of the positive terms only (for the title's own index)."""
    return " & ".join(_ts_term(t) for t in terms.terms if not t.negated)
