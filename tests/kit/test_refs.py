"""The one parser of references that name a row by UUID or by human key (`ENG-42`)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from sqlalchemy import BigInteger, Integer, SmallInteger

from tasklane.kit.refs import MAX_KEY_NUMBER, HumanKey, parse_ref
from tasklane.models import Task


def test_a_uuid() -> None:
    task_id = uuid4()
    assert parse_ref(str(task_id)) == task_id
    assert parse_ref(task_id) == task_id


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("ENG-42", HumanKey("ENG", 42)),
        ("eng-1", HumanKey("ENG", 1)),
        ("A1B2C3D4E5-7", HumanKey("A1B2C3D4E5", 7)),
        (f"ENG-{MAX_KEY_NUMBER}", HumanKey("ENG", MAX_KEY_NUMBER)),
    ],
)
def test_a_key(ref: str, expected: HumanKey) -> None:
    assert parse_ref(ref) == expected


@pytest.mark.parametrize(
    "ref",
    [
        f"ENG-{MAX_KEY_NUMBER + 1}",
        f"ENG-{2**63}",
        f"ENG-{10**30}",
        "ENG-" + "9" * 5000,
        "ENG-0",
        "ENG-042",
        "ENG--1",
        "ENG-+1",
        "ENG-1\n",
        "ENG-1 ",
        " ENG-1",
        "ENG-\u0661",  # an Arabic-Indic digit one: int() would take it
        "ENG-1\x00",
        "ENG-1\ud800",
        "ENGINEERING1-1",  # longer than a project key may be
        "1ENG-1",
        "ENG",
        "-1",
        "",
        "not a ref",
    ],
)
def test_anything_else_is_none(ref: str) -> None:
    assert parse_ref(ref) is None


def test_the_bound_is_the_number_column_range() -> None:
    """`tasks.number` is a 32-bit INTEGER on PostgreSQL; a larger key cannot name a task,
    and binding it would fail in the driver. Widen MAX_KEY_NUMBER with the column."""
    column_type = Task.__table__.c.number.type
    assert isinstance(column_type, Integer)
    assert not isinstance(column_type, BigInteger | SmallInteger)
    assert MAX_KEY_NUMBER == 2**31 - 1
    assert isinstance(parse_ref(UUID(int=0)), UUID)
