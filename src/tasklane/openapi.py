"""Print the OpenAPI document: `python -m tasklane.openapi > docs/openapi.json`."""

from __future__ import annotations

import json
import sys
from typing import Any

from tasklane.app import create_app
from tasklane.config import Settings


def document() -> dict[str, Any]:
    # The document does not depend on the database; no connection is made.
    return create_app(Settings(database_url="sqlite+aiosqlite:///unused.db")).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
