"""CSV cells that a spreadsheet opens as data: a text starting with `=`, `+`, `-`, `@`, a tab
or a carriage return would be read as a formula (CSV injection), so it gets a leading `'` and
is read as text (the quote stays visible: the usual defence, at that small cost)."""

from __future__ import annotations

from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` for a CSV cell: None as empty, a text a spreadsheet would run quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value
