"""A board-order page on SQLite reads each status column from its index, carries only ids
through the merge, and reads whole rows and links for the page's own tasks only. With whole
rows in the branches (descriptions too) a page of 51 from five columns cost 1.3 ms of SQLite's
time against 0.6 ms; and without the materialised page SQLite flattened it into the branches,
reading the links of every branch's rows. It reads the plan, not timings."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import create_engine

from tasklane.authz.access import StatusRow
from tasklane.models import Base
from tasklane.tasks import queries
from tasklane.tasks.queries import TaskFilters


@pytest.mark.parametrize("cursor", [None, (0, "a0", str(uuid4()))])
def test_a_page_reads_links_and_rows_of_its_own_tasks_only(
    cursor: tuple[object, ...] | None,
) -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    statuses = [StatusRow(uuid4(), n, "started") for n in range(5)]
    groups = queries.status_groups(statuses, TaskFilters())
    found = queries.position_page(uuid4(), TaskFilters(), groups, cursor, 51, "sqlite")
    assert found is not None
    sql, params = found
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql.text}", sql.params(params)).all()
    steps = [row[3] for row in plan]
    column_walks = [s for s in steps if s.startswith("SEARCH tasks USING INDEX ix_tasks_status")]
    assert len(column_walks) == 5, steps
    assert "MATERIALIZE page" in steps, steps
    # Links: one subquery each for assignees and labels, at the page's level only.
    assert len([s for s in steps if s.startswith("CORRELATED SCALAR SUBQUERY")]) == 2, steps
    # Whole rows: fetched by id for the page's tasks.
    assert "SEARCH tasks USING INDEX sqlite_autoindex_tasks_1 (id=?)" in steps, steps
    assert not any(s.startswith("SCAN tasks") for s in steps), steps
