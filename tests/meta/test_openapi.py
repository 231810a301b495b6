"""The API contract: the OpenAPI document matches the committed copy, and documents errors."""

from __future__ import annotations

from pathlib import Path

from tasklane.openapi import document, render

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_matches_committed_copy() -> None:
    assert COMMITTED.read_text() == render(), (
        "The API contract changed. Review the difference and run `make openapi` to update "
        "docs/openapi.json."
    )


def test_is_openapi_3_1_with_every_operation_described() -> None:
    spec = document()
    assert spec["openapi"].startswith("3.1")
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation.get("description") or operation.get("summary"), (method, path)
            if path.startswith("/api/v1/") and "{" in path:
                assert "422" in operation["responses"], (method, path)
