"""Every table is covered by the workspace archive or left out with a reason; installation
archives, backups and `migrate-to` copy every table of the models."""

from __future__ import annotations

from sqlalchemy import Integer

from tasklane.archive.installation import tables as installation_tables
from tasklane.archive.tables import (
    EXCLUDED,
    OMITTED_COLUMNS,
    SEQUENCE_COLUMNS,
    TABLES,
    USERS,
    WORKSPACE,
    user_columns,
)
from tasklane.models import Base


def test_every_table_is_archived_or_left_out_with_a_reason() -> None:
    every = set(Base.metadata.tables)
    covered = set(WORKSPACE) | {USERS}
    assert not covered & set(EXCLUDED), "a table cannot be both carried and left out"
    unaccounted = every - covered - set(EXCLUDED)
    assert not unaccounted, (
        f"tables neither in a workspace archive nor left out with a reason: {unaccounted}; "
        "add a rule to tasklane/archive/tables.py (WORKSPACE or EXCLUDED)"
    )
    assert not (covered | set(EXCLUDED)) - every, "rules for tables that no longer exist"
    assert all(len(reason) > 20 for reason in EXCLUDED.values())


def test_installation_copies_take_every_table() -> None:
    assert {t.name for t in installation_tables()} == set(Base.metadata.tables)


def test_what_an_import_renumbers_is_named_by_real_columns() -> None:
    for table, columns in OMITTED_COLUMNS.items():
        assert columns <= set(TABLES[table].c.keys()), table
    for table, column in SEQUENCE_COLUMNS.items():
        assert column in TABLES[table].c, table
    # Every surrogate integer key would clash between installations: it must be omitted.
    for name in WORKSPACE:
        key = list(TABLES[name].primary_key)
        if len(key) == 1 and isinstance(key[0].type, Integer) and name not in SEQUENCE_COLUMNS:
            assert key[0].name in OMITTED_COLUMNS.get(name, frozenset()), name


def test_every_column_naming_an_account_is_mapped_on_import() -> None:
    """A workspace table's column that holds a user id without a foreign key would keep the
    archived account's id when the account is matched by e-mail: name it in user_columns."""
    for name in WORKSPACE:
        table = TABLES[name]
        mapped = set(user_columns(table))
        for column in table.columns:
            if column.name in ("user_id", "actor_id", "owner_id", "created_by", "author_id"):
                assert column.name in mapped, f"{name}.{column.name}"
